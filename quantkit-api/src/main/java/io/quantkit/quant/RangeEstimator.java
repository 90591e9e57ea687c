package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;

/**
 * Turns what calibration observed of one tensor ({@link TensorStatistics}: count, min, max and,
 * when {@link #needsHistogram()}, a signed histogram with the exact zeros counted apart) into the
 * range the tensor is quantized over. The four built-in estimators are in {@link RangeEstimators}
 * ({@link RangeEstimators.MinMax}, {@link RangeEstimators.Percentile},
 * {@link RangeEstimators.Entropy}, {@link RangeEstimators.Mse}); a library user adds one by
 * implementing this interface and passing it to {@link Calibration.Builder#estimator}.
 *
 * <pre>{@code
 * // clips at a fixed fraction of the largest magnitude seen
 * record FractionOfMax(double fraction) implements RangeEstimator {
 *   public String name() { return "fraction-of-max"; }
 *   public ImmutableMap<String, Double> parameters() { return ImmutableMap.of("fraction", fraction); }
 *   public boolean needsHistogram() { return false; }
 *   public TensorRange estimate(TensorStatistics s, Target target) {
 *     float t = (float) (fraction * Math.max(-s.min(), s.max()));
 *     return new TensorRange(Math.max(s.min(), -t), Math.min(s.max(), t));
 *   }
 * }
 * QuantPlan plan = Calibration.builder().estimator(new FractionOfMax(0.9)).build().calibrate(graph, data, backend);
 * }</pre>
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #estimate} returns a finite range inside [min, max] observed; quantization
 *       parameters then widen it to include 0 ({@link QuantMath#params}). A tensor that was always
 *       0 has min = max = 0 and should get [0, 0].
 *   <li>Calibration calls {@link #estimate} once per observed activation tensor, from several
 *       threads at once (each with its own statistics): implementations must be thread-safe, which
 *       an immutable record is.
 *   <li>The graph's inputs never reach an estimator: they always keep their observed [min, max]
 *       (clipping raw input data never helps).
 *   <li>{@link #name()} and {@link #parameters()} are recorded in the {@link QuantPlan}, so a plan
 *       says how its ranges were chosen; they are not used to recreate the estimator.
 *   <li>A problem with the data (e.g. no values seen) is a {@link io.quantkit.CalibrationException}
 *       naming {@link TensorStatistics#tensor()}.
 * </ul>
 */
public interface RangeEstimator {

  /**
   * Short, stable identifier recorded in plans, e.g. {@code "entropy"}: lower case letters,
   * digits, '-', '_' or '.'. The built-in names are those of {@link CalibrationMethod} in lower case.
   */
  String name();

  /** Numeric settings recorded in plans next to {@link #name()} (e.g. {@code percentile = 99.99}); none by default. */
  default ImmutableMap<String, Double> parameters() {
    return ImmutableMap.of();
  }

  /**
   * Whether {@link #estimate} reads the histogram. When false, calibration keeps only count, min
   * and max (cheaper); {@link TensorStatistics#positiveCounts()} and the other histogram accessors
   * then fail.
   */
  default boolean needsHistogram() {
    return true;
  }

  /** The range to quantize the observed tensor over. */
  TensorRange estimate(TensorStatistics stats, Target target);

  /**
   * What the range will be quantized to: the integer type and whether the zero point is fixed
   * (symmetric). An estimator that measures quantization error needs both.
   */
  record Target(QuantType type, boolean symmetric) {
    public Target {
      Preconditions.checkNotNull(type, "type");
    }
  }
}
