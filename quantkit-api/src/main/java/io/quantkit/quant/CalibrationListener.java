package io.quantkit.quant;

/** Progress of a calibration run, called after each batch on the calibrating thread. */
@FunctionalInterface
public interface CalibrationListener {
  CalibrationListener NONE = (done, total) -> {};

  void onBatch(int imagesDone, int imagesTotal);
}
