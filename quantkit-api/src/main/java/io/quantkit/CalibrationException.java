package io.quantkit;

/**
 * Calibration could not produce quantization parameters (empty set, non-finite data, ...).
 *
 * <p>Thread-safety: as {@link QuantkitException}.
 */
public class CalibrationException extends QuantkitException {
  private static final long serialVersionUID = 1L;

  public CalibrationException(String message) {
    super(message);
  }

  public CalibrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
