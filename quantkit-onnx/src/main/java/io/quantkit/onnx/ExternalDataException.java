package io.quantkit.onnx;

import io.quantkit.ModelFormatException;

/**
 * A tensor's external data location is not allowed: an absolute path, or one that leads out of
 * the model's folder. quantkit refuses these so that a model file cannot make it read arbitrary
 * files.
 *
 * <p>Thread-safety: as {@link io.quantkit.QuantkitException}.
 */
public class ExternalDataException extends ModelFormatException {
  private static final long serialVersionUID = 1L;

  public ExternalDataException(String message) {
    super(message);
  }

  public ExternalDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
