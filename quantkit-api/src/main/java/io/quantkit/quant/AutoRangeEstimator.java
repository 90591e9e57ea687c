package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --method auto}: for each activation tensor, the built-in estimator (MinMax, Percentile,
 * Entropy, MSE) whose range gives that tensor the highest quantization SQNR, measured on the
 * tensor's own calibration histogram (signal: sum of x squared over the bin centres; noise: the
 * squared difference between x and its quantize-dequantize with the candidate's actual scale and
 * zero point, so both rounding and clipping count). {@link Calibration} records the choice per
 * tensor in the plan's metadata ({@code estimator.TENSOR}: name and SQNR of every candidate).
 *
 * <p>MSE minimizes the same error over a grid of ranges, so it wins or ties on most tensors; the
 * others win where their range falls between the MSE grid's points or where the histogram is
 * coarse. Ties go to the earlier candidate (MinMax, Percentile, Entropy, MSE): the simpler range.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record AutoRangeEstimator(double percentile) implements RangeEstimator {
  public AutoRangeEstimator {
    Preconditions.checkArgument(percentile > 50 && percentile <= 100, "percentile must be in (50, 100], got %s", percentile);
  }

  /** With the default percentile candidate, 99.99. */
  public AutoRangeEstimator() {
    this(99.99);
  }

  /** One tensor's choice: the chosen candidate's name and range, and each candidate's SQNR in dB. */
  public record Choice(String estimator, TensorRange range, ImmutableMap<String, Double> sqnrDb) {
    /** "mse (minmax 31.2 dB, percentile 35.0 dB, entropy 33.1 dB, mse 36.4 dB)". */
    public String describe() {
      StringBuilder s = new StringBuilder(estimator).append(" (");
      String sep = "";
      for (Map.Entry<String, Double> e : sqnrDb.entrySet()) {
        s.append(sep).append(e.getKey()).append(' ').append(String.format(java.util.Locale.ROOT, "%.2f", e.getValue())).append(" dB");
        sep = ", ";
      }
      return s.append(')').toString();
    }
  }

  @Override
  public String name() {
    return "auto";
  }

  @Override
  public ImmutableMap<String, Double> parameters() {
    return ImmutableMap.of("percentile", percentile);
  }

  /** The candidates, in tie-breaking order. */
  public ImmutableList<RangeEstimator> candidates() {
    return ImmutableList.of(new RangeEstimators.MinMax(), new RangeEstimators.Percentile(percentile),
        new RangeEstimators.Entropy(), new RangeEstimators.Mse());
  }

  @Override
  public TensorRange estimate(TensorStatistics stats, Target target) {
    return choose(stats, target).range();
  }

  /** Every candidate's range and SQNR on {@code stats}, and the best. */
  public Choice choose(TensorStatistics stats, Target target) {
    Map<String, Double> sqnr = new LinkedHashMap<>();
    String best = null;
    TensorRange bestRange = null;
    double bestDb = Double.NEGATIVE_INFINITY;
    List<RangeEstimator> all = candidates();
    for (RangeEstimator e : all) {
      TensorRange r = e.estimate(stats, target);
      double db = histogramSqnrDb(stats, QuantMath.params(r, target.type(), target.symmetric()));
      sqnr.put(e.name(), db);
      if (best == null || db > bestDb) {
        best = e.name();
        bestRange = r;
        bestDb = db;
      }
    }
    return new Choice(best, bestRange, ImmutableMap.copyOf(sqnr));
  }

  /**
   * SQNR in dB of quantizing the histogram's values (bin centres, clamped into the observed
   * [min, max]) with {@code p}; exact zeros add neither signal nor noise. Infinite when there is
   * no error, and 0 dB when there is no signal either.
   */
  static double histogramSqnrDb(TensorStatistics s, QuantParams p) {
    if (s.histogramRange() == 0) {
      return Double.POSITIVE_INFINITY;
    }
    double w = s.binWidth();
    long[] pos = s.pos();
    long[] neg = s.neg();
    float scale = p.scale();
    int zp = p.zeroPoint();
    double qmin = p.type().qmin();
    double qmax = p.type().qmax();
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < pos.length; i++) {
      for (int sign = 0; sign < 2; sign++) {
        long c = sign == 0 ? pos[i] : neg[i];
        if (c == 0) {
          continue;
        }
        float x = sign == 0 ? (float) Math.min((i + 0.5) * w, s.max()) : (float) Math.max(-(i + 0.5) * w, s.min());
        double q = Math.min(qmax, Math.max(qmin, Math.rint(x / scale) + zp));
        double d = x - (float) (q - zp) * scale;
        signal += c * (double) x * x;
        noise += c * d * d;
      }
    }
    if (noise == 0) {
      return signal == 0 ? 0 : Double.POSITIVE_INFINITY;
    }
    return 10 * Math.log10(signal / noise);
  }
}
