package io.quantkit.quant;

/**
 * Progress of a calibration run, called after each batch on the calibrating thread.
 *
 * <p>Thread-safety: a listener shared by concurrent calibrations must be thread-safe itself.
 */
@FunctionalInterface
public interface CalibrationListener {
  CalibrationListener NONE = (done, total) -> {};

  void onBatch(int imagesDone, int imagesTotal);
}
