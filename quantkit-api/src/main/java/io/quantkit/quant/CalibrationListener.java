package io.quantkit.quant;

/**
 * Progress of a calibration run, called after each batch on the calibrating thread.
 *
 * <p>Thread-safety: a listener shared by concurrent calibrations must be thread-safe itself.
 */
@FunctionalInterface
public interface CalibrationListener {
  CalibrationListener NONE = (done, total) -> {};

  /**
   * @param samplesDone samples (images, for an image dataset) calibrated so far
   * @param samplesTotal samples the run will use, or -1 when the {@link CalibrationData} does not
   *     know its size in advance
   */
  void onBatch(int samplesDone, int samplesTotal);
}
