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
  private final String detail;

  public UnsupportedOpException(String nodeName, String opType, String detail) {
    super("unsupported " + opType + " '" + nodeName + "'" + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    this.nodeName = nodeName;
    this.opType = opType;
    this.detail = detail == null ? "" : detail;
  }

  /** For subclasses that word their own message. */
  protected UnsupportedOpException(String message, String nodeName, String opType, String detail) {
    super(message);
    this.nodeName = nodeName;
    this.opType = opType;
    this.detail = detail == null ? "" : detail;
  }

  public String nodeName() {
    return nodeName;
  }

  public String opType() {
    return opType;
  }

  /** Why the node is unsupported (the message without the op and node), possibly empty. */
  public String detail() {
    return detail;
  }
}
