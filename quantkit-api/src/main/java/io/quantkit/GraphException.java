package io.quantkit;

/**
 * The graph IR is inconsistent: dangling tensor names, cycles, shape mismatches, bad attributes.
 *
 * <p>Thread-safety: as {@link QuantkitException}.
 */
public class GraphException extends QuantkitException {
  private static final long serialVersionUID = 1L;

  public GraphException(String message) {
    super(message);
  }

  public GraphException(String message, Throwable cause) {
    super(message, cause);
  }
}
