package io.quantkit;

/**
 * A model file (Keras .h5, .onnx, ...) could not be read: truncated, not a model, inconsistent.
 *
 * <p>Thread-safety: as {@link QuantkitException}.
 */
public class ModelFormatException extends QuantkitException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
