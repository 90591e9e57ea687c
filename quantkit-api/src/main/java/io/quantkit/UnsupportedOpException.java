package io.quantkit;

/**
 * A layer or node whose kind quantkit cannot represent or run; names the node and its type.
 *
 * <p>Thread-safety: as {@link QuantkitException}.
 */
public class UnsupportedOpException extends QuantkitException {
  private static final long serialVersionUID = 1L;
  private final String nodeName;
  private final String opType;

  public UnsupportedOpException(String nodeName, String opType, String detail) {
    super("unsupported " + opType + " '" + nodeName + "'" + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    this.nodeName = nodeName;
    this.opType = opType;
  }

  public String nodeName() {
    return nodeName;
  }

  public String opType() {
    return opType;
  }
}
