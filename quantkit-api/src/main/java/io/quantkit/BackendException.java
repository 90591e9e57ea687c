package io.quantkit;

/**
 * A backend failed to compile or run a graph (native runtime error, missing backend, bad input).
 *
 * <p>Thread-safety: as {@link QuantkitException}.
 */
public class BackendException extends QuantkitException {
  private static final long serialVersionUID = 1L;

  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
