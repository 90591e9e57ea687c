package io.quantkit.quant;

/**
 * How calibration turns the observed values of a tensor into a quantization range. All four read
 * the same bounded-memory statistics ({@link TensorStatistics}); see {@link RangeEstimators}.
 *
 * <p>Thread-safety: an enum; thread-safe.
 */
public enum CalibrationMethod {
  /** The observed minimum and maximum: nothing clipped, coarsest steps when there are outliers. */
  MINMAX,
  /** A percentile of the values (of |x| when symmetric), e.g. 99.99: clips the rarest outliers. */
  PERCENTILE,
  /** The threshold minimizing the KL divergence between the value histogram and its quantized form (TensorRT). */
  ENTROPY,
  /** The range minimizing the expected squared quantization error, rounding and clipping included. */
  MSE
}
