package io.quantkit.quant;

import com.google.common.base.Preconditions;
import java.util.Locale;

/**
 * What an accuracy-driven quantization must keep, checked on a {@link ValidationSet}: top-1 at
 * most {@code maxDropPoints} percentage points below FP32, and/or at most {@code maxFlips}
 * predictions that differ from FP32's. An unset bound (null) is not checked; at least one is set.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record AccuracyTarget(Double maxDropPoints, Integer maxFlips) {
  public AccuracyTarget {
    Preconditions.checkArgument(maxDropPoints != null || maxFlips != null, "set a maximum drop or a maximum of flips");
    Preconditions.checkArgument(maxDropPoints == null || (Double.isFinite(maxDropPoints) && maxDropPoints >= 0),
        "maximum drop must be >= 0 points, got %s", maxDropPoints);
    Preconditions.checkArgument(maxFlips == null || maxFlips >= 0, "maximum flips must be >= 0, got %s", maxFlips);
  }

  public static AccuracyTarget maxDrop(double points) {
    return new AccuracyTarget(points, null);
  }

  public static AccuracyTarget maxFlips(int flips) {
    return new AccuracyTarget(null, flips);
  }

  /**
   * Whether {@code q} meets the target against {@code fp32} (same images). The drop is compared
   * in images, not in rounded percentages: it holds when the quantized model gets at least
   * {@code correct(fp32) - floor(maxDrop x images / 100)} right.
   */
  public boolean isMetBy(Score q, Score fp32) {
    if (maxFlips != null && q.flips() > maxFlips) {
      return false;
    }
    if (maxDropPoints != null) {
      long allowed = (long) Math.floor(maxDropPoints * q.images() / 100.0 + 1e-9);
      return q.correct() >= fp32.correct() - allowed;
    }
    return true;
  }

  @Override
  public String toString() {
    String drop = maxDropPoints == null ? null : String.format(Locale.ROOT, "top-1 drop <= %s points", maxDropPoints);
    String flips = maxFlips == null ? null : "flips <= " + maxFlips;
    return drop == null ? flips : flips == null ? drop : drop + " and " + flips;
  }
}
