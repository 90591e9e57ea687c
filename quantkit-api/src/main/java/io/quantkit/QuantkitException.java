package io.quantkit;

/**
 * Root of every error quantkit raises; the message says what was wrong and where (file, layer, tensor).
 *
 * <p>Thread-safety: like every exception, safe to hand to another thread once thrown; subclasses add
 * only immutable fields.
 */
public class QuantkitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QuantkitException(String message) {
    super(message);
  }

  public QuantkitException(String message, Throwable cause) {
    super(message, cause);
  }
}
