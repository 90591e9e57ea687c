package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.quantkit.CalibrationException;
import java.util.Locale;

/**
 * The built-in {@link RangeEstimator}s, one per {@link CalibrationMethod} ({@link MinMax},
 * {@link Percentile}, {@link Entropy}, {@link Mse}), and the static methods that do their work on
 * {@link TensorStatistics}. All work on the bounded histogram, never on stored activations.
 *
 * <p>Conventions shared by all methods:
 * <ul>
 *   <li>The result is the clipped range actually kept, inside [min, max] seen; quantization
 *       parameters then widen it to include 0 ({@link QuantMath#params}).
 *   <li>Symmetric quantization and non-negative tensors (ReLU outputs, raw pixels) only need one
 *       threshold t on |x|; signed tensors quantized asymmetrically get a lower and an upper end.
 *   <li>A tensor that was always exactly 0 gets [0, 0].
 * </ul>
 *
 * <p>Thread-safety: stateless; thread-safe (the statistics passed in are only read).
 */
public final class RangeEstimators {
  /** Most thresholds the MSE search evaluates; each costs one pass over the non-empty bins. */
  private static final int MSE_CANDIDATES = 512;
  /** Coarse step of the MSE search, in grid points; the fine pass covers one step either side. */
  private static final int MSE_REFINE = 8;
  /** Most thresholds the entropy search evaluates. */
  private static final int ENTROPY_CANDIDATES = 1024;
  /** Average values per histogram bin below which entropy calibration coarsens the histogram. */
  private static final double MIN_PER_BIN = 16;

  private RangeEstimators() {}

  /** {@link RangeEstimators#minMax(TensorStatistics)} as an estimator; needs no histogram. */
  public record MinMax() implements RangeEstimator {
    @Override
    public String name() {
      return "minmax";
    }

    @Override
    public boolean needsHistogram() {
      return false;
    }

    @Override
    public TensorRange estimate(TensorStatistics stats, Target target) {
      return minMax(stats);
    }
  }

  /** {@link RangeEstimators#percentile(TensorStatistics, double, boolean)} as an estimator. */
  public record Percentile(double percentile) implements RangeEstimator {
    public Percentile {
      Preconditions.checkArgument(percentile > 50 && percentile <= 100, "percentile must be in (50, 100], got %s", percentile);
    }

    @Override
    public String name() {
      return "percentile";
    }

    @Override
    public ImmutableMap<String, Double> parameters() {
      return ImmutableMap.of("percentile", percentile);
    }

    @Override
    public TensorRange estimate(TensorStatistics stats, Target target) {
      return RangeEstimators.percentile(stats, percentile, target.symmetric());
    }
  }

  /** {@link RangeEstimators#entropy(TensorStatistics, QuantType, boolean)} as an estimator. */
  public record Entropy() implements RangeEstimator {
    @Override
    public String name() {
      return "entropy";
    }

    @Override
    public TensorRange estimate(TensorStatistics stats, Target target) {
      return entropy(stats, target.type(), target.symmetric());
    }
  }

  /** {@link RangeEstimators#mse(TensorStatistics, QuantType, boolean)} as an estimator. */
  public record Mse() implements RangeEstimator {
    @Override
    public String name() {
      return "mse";
    }

    @Override
    public TensorRange estimate(TensorStatistics stats, Target target) {
      return mse(stats, target.type(), target.symmetric());
    }
  }

  /** The built-in estimator of {@code method}; {@code percentile} is only read by PERCENTILE. */
  public static RangeEstimator of(CalibrationMethod method, double percentile) {
    switch (method) {
      case MINMAX:
        return new MinMax();
      case PERCENTILE:
        return new Percentile(percentile);
      case ENTROPY:
        return new Entropy();
      case MSE:
        return new Mse();
      default:
        throw new AssertionError(method);
    }
  }

  /** The method whose built-in estimator has this {@link RangeEstimator#name()}, if any. */
  static java.util.Optional<CalibrationMethod> methodNamed(String name) {
    for (CalibrationMethod m : CalibrationMethod.values()) {
      if (m.name().toLowerCase(Locale.ROOT).equals(name)) {
        return java.util.Optional.of(m);
      }
    }
    return java.util.Optional.empty();
  }

  /** Dispatches to the estimator of {@code method}; {@code percentile} is only read by PERCENTILE. */
  public static TensorRange estimate(TensorStatistics stats, CalibrationMethod method, QuantType type, boolean symmetric,
      double percentile) {
    return of(method, percentile).estimate(stats, new RangeEstimator.Target(type, symmetric));
  }

  /** [min, max] as observed. */
  public static TensorRange minMax(TensorStatistics stats) {
    return stats.minMax();
  }

  /**
   * Clips the rarest values: symmetric, the {@code percentile}-th percentile t of |x| gives
   * [-t, t]; asymmetric, the (100 - p)-th and p-th percentiles of x are the ends. Interpolated
   * linearly inside a histogram bin.
   */
  public static TensorRange percentile(TensorStatistics stats, double percentile, boolean symmetric) {
    Preconditions.checkArgument(percentile > 50 && percentile <= 100, "percentile must be in (50, 100], got %s", percentile);
    TensorRange all = checkedHistogram(stats);
    if (stats.histogramRange() == 0 || percentile == 100) {
      return all;
    }
    double q = percentile / 100.0;
    if (symmetric || stats.min() >= 0) {
      double t = magnitudeQuantile(stats, q);
      if (!(t > 0)) {
        // More than p % of the values are exactly 0: a percentile would keep nothing else.
        return all;
      }
      return clip(all, t);
    }
    double lo = signedQuantile(stats, 1 - q);
    double hi = signedQuantile(stats, q);
    return new TensorRange((float) Math.max(all.min(), lo), (float) Math.min(all.max(), hi));
  }

  private static double magnitudeQuantile(TensorStatistics s, double q) {
    double target = q * s.count();
    double cum = s.zeroCount();
    if (cum >= target) {
      return 0;
    }
    long[] pos = s.pos();
    long[] neg = s.neg();
    double w = s.binWidth();
    for (int i = 0; i < s.bins(); i++) {
      long c = pos[i] + neg[i];
      if (c > 0 && cum + c >= target) {
        return (i + (target - cum) / c) * w;
      }
      cum += c;
    }
    return s.histogramRange();
  }

  private static double signedQuantile(TensorStatistics s, double q) {
    double target = q * s.count();
    double cum = 0;
    long[] pos = s.pos();
    long[] neg = s.neg();
    double w = s.binWidth();
    for (int i = s.bins() - 1; i >= 0; i--) {
      long c = neg[i];
      if (c > 0 && cum + c >= target) {
        return -(i + 1) * w + (target - cum) / c * w;
      }
      cum += c;
    }
    if (cum + s.zeroCount() >= target) {
      return 0;
    }
    cum += s.zeroCount();
    for (int i = 0; i < s.bins(); i++) {
      long c = pos[i];
      if (c > 0 && cum + c >= target) {
        return (i + (target - cum) / c) * w;
      }
      cum += c;
    }
    return s.max();
  }

  /**
   * TensorRT's entropy calibration: the threshold t (a bin edge) minimizing the KL divergence
   * between the |x| histogram clipped at t (outliers folded into the last kept bin) and that
   * histogram quantized to the available levels and expanded back over its non-empty bins.
   * Levels: 256 for a non-negative tensor quantized asymmetrically (all of UINT8 spans [0, t]),
   * otherwise 128 per sign. For signed asymmetric tensors the threshold is found on |x|, as ONNX
   * Runtime does, and each end is then clipped to what was observed.
   *
   * Exact zeros are not part of the distribution compared (they quantize exactly whatever the
   * threshold; pytorch-quantization flattens the same spike).
   *
   * <p>The divergence of each candidate is computed from prefix sums, all blocks but the last
   * shared with its neighbours; up to 1024 candidate edges are tried, evenly spaced. Sparse
   * histograms are first coarsened by exact pair merges to at least 16 values per bin (but at
   * least two bins per level): with few values per bin the divergence is dominated by sampling
   * noise.
   */
  public static TensorRange entropy(TensorStatistics stats, QuantType type, boolean symmetric) {
    TensorRange all = checkedHistogram(stats);
    if (stats.histogramRange() == 0) {
      return all;
    }
    int levels = (!symmetric && stats.min() >= 0) ? (int) (type.qmax() - type.qmin() + 1) : (int) ((type.qmax() - type.qmin() + 1) / 2);
    int bins = stats.bins();
    long[] m = new long[bins];
    long[] pos = stats.pos();
    long[] neg = stats.neg();
    for (int i = 0; i < bins; i++) {
      m[i] = pos[i] + neg[i];
    }
    // Exact zeros (often half of a ReLU output) are left out: every threshold represents them
    // exactly, and as a spike in the first bin they would push the search towards tiny thresholds.
    int nb = bins;
    while (nb > 0 && m[nb - 1] == 0) {
      nb--;
    }
    long total0 = 0;
    for (int k = 0; k < nb; k++) {
      total0 += m[k];
    }
    // A sparse histogram (few values per bin, e.g. a small calibration set) makes the divergence
    // noisy and biased towards clipping; merge bin pairs (exactly) until bins hold on average
    // MIN_PER_BIN values, keeping at least two bins per quantization level.
    double width = stats.binWidth();
    while (nb > 2 * levels && total0 < MIN_PER_BIN * (double) nb) {
      int half = (nb + 1) / 2;
      for (int k = 0; k < half; k++) {
        m[k] = m[2 * k] + (2 * k + 1 < nb ? m[2 * k + 1] : 0);
      }
      nb = half;
      width *= 2;
    }
    if (nb <= levels) {
      return all; // the histogram is no finer than the quantizer: nothing to trade
    }
    // prefix sums: counts, non-empty bins, and sum of c log c
    double[] cum = new double[nb + 1];
    int[] nonEmpty = new int[nb + 1];
    double[] cLogC = new double[nb + 1];
    for (int k = 0; k < nb; k++) {
      cum[k + 1] = cum[k] + m[k];
      nonEmpty[k + 1] = nonEmpty[k] + (m[k] != 0 ? 1 : 0);
      cLogC[k + 1] = cLogC[k] + (m[k] != 0 ? m[k] * Math.log(m[k]) : 0);
    }
    double total = cum[nb];
    int bestI = nb;
    double bestKl = Double.POSITIVE_INFINITY;
    // Blocks 0..levels-2 of a candidate depend only on merged = i / levels, which stays the same
    // over runs of consecutive candidates: their part of the sum is computed once per run, in the
    // same order, so the result is bit-identical to summing every block for every candidate.
    int cachedMerged = -1;
    double cachedPLogQ = 0;
    // at most ENTROPY_CANDIDATES thresholds, evenly spaced; the full range is always a candidate
    int stride = Math.max(1, (nb - levels) / ENTROPY_CANDIDATES);
    for (int i = levels; i <= nb; i = i < nb && i + stride > nb ? nb : i + stride) {
      int merged = i / levels;
      if (merged != cachedMerged) {
        cachedMerged = merged;
        cachedPLogQ = 0;
        for (int j = 0; j < levels - 1; j++) {
          int start = j * merged;
          int end = start + merged;
          double qSum = cum[end] - cum[start];
          if (qSum != 0) {
            cachedPLogQ += qSum * Math.log(qSum / (nonEmpty[end] - nonEmpty[start]));
          }
        }
      }
      double outliers = total - cum[i];
      double last = m[i - 1] + outliers;
      // sum over k < i of p_k log p_k, with the last bin carrying the outliers
      double pLogP = cLogC[i - 1] + (last > 0 ? last * Math.log(last) : 0);
      double pLogQ = cachedPLogQ;
      int start = (levels - 1) * merged;
      double qSum = cum[i] - cum[start];
      double pSum = qSum + outliers;
      int nz = nonEmpty[i] - nonEmpty[start] + (outliers > 0 && m[i - 1] == 0 ? 1 : 0);
      if (pSum != 0) {
        if (qSum == 0) {
          continue; // p has mass where q has none: infinite divergence
        }
        pLogQ += pSum * Math.log(qSum / nz);
      }
      double qTotal = cum[i];
      double kl = (pLogP - pLogQ) / total + Math.log(qTotal) - Math.log(total);
      if (kl < bestKl - 1e-12) {
        bestKl = kl;
        bestI = i;
      }
    }
    double t = bestI * width;
    return clip(all, t);
  }

  /**
   * The range minimizing the expected squared error sum over bins of count x (x - Q(x))^2, with
   * x the bin centre and Q quantization with the candidate's actual scale and zero point, so
   * rounding inside the range and clipping outside both count. Exact zeros cost nothing (0 is
   * always representable). Symmetric or non-negative tensors search one threshold over bin
   * edges; signed asymmetric tensors shrink [min, max] by a common factor. Up to 512 grid
   * candidates, searched coarse to fine.
   */
  public static TensorRange mse(TensorStatistics stats, QuantType type, boolean symmetric) {
    TensorRange all = checkedHistogram(stats);
    if (stats.histogramRange() == 0) {
      return all;
    }
    int bins = stats.bins();
    double w = stats.binWidth();
    long[] pos = stats.pos();
    long[] neg = stats.neg();
    int n = 0;
    for (int i = 0; i < bins; i++) {
      n += (pos[i] != 0 ? 1 : 0) + (neg[i] != 0 ? 1 : 0);
    }
    float[] x = new float[n];
    double[] c = new double[n];
    int k = 0;
    int nb = 0;
    for (int i = 0; i < bins; i++) {
      if (pos[i] != 0) {
        x[k] = (float) Math.min((i + 0.5) * w, all.max());
        c[k++] = pos[i];
        nb = i + 1;
      }
      if (neg[i] != 0) {
        x[k] = (float) Math.max(-(i + 0.5) * w, all.min());
        c[k++] = neg[i];
        nb = i + 1;
      }
    }
    boolean oneSided = symmetric || stats.min() >= 0;
    int candidates = oneSided ? nb : MSE_CANDIDATES;
    int stride = Math.max(1, candidates / MSE_CANDIDATES);
    // The grid j = 1, 1 + stride, ... up to candidates; searched coarse to fine: every
    // MSE_REFINE-th grid point first, then every grid point around the best of those. The error
    // falls with the threshold until rounding error overtakes clipping error, so the coarse pass
    // brackets the minimum and the search costs a fraction of the evaluations.
    int gridSize = (candidates - 1) / stride + 1;
    double bestErr = error(x, c, QuantMath.params(all, type, symmetric));
    TensorRange best = all;
    int bestG = -1;
    for (int g = 0; g < gridSize; g += MSE_REFINE) {
      TensorRange r = mseCandidate(all, oneSided, 1 + g * stride, candidates, w);
      double err = error(x, c, QuantMath.params(r, type, symmetric));
      if (err < bestErr) {
        bestErr = err;
        best = r;
        bestG = g;
      }
    }
    int from = bestG < 0 ? Math.max(0, gridSize - MSE_REFINE) : Math.max(0, bestG - MSE_REFINE + 1);
    int to = bestG < 0 ? gridSize - 1 : Math.min(gridSize - 1, bestG + MSE_REFINE - 1);
    for (int g = from; g <= to; g++) {
      if (g % MSE_REFINE == 0) {
        continue;
      }
      TensorRange r = mseCandidate(all, oneSided, 1 + g * stride, candidates, w);
      double err = error(x, c, QuantMath.params(r, type, symmetric));
      if (err < bestErr || (err == bestErr && bestG >= 0 && g < bestG)) {
        bestErr = err;
        best = r;
        bestG = g;
      }
    }
    return best;
  }

  private static TensorRange mseCandidate(TensorRange all, boolean oneSided, int j, int candidates, double w) {
    if (oneSided) {
      return clip(all, j * w);
    }
    double a = (double) j / candidates;
    return new TensorRange((float) (all.min() * a), (float) (all.max() * a));
  }

  /**
   * Sum of c (x - Q(x))^2. The same arithmetic as {@link QuantMath#quantize} followed by
   * dequantization (x finite here), inlined: the search calls this hundreds of times per tensor.
   */
  private static double error(float[] x, double[] c, QuantParams p) {
    float scale = p.scale();
    int zp = p.zeroPoint();
    double qmin = p.type().qmin();
    double qmax = p.type().qmax();
    double err = 0;
    for (int i = 0; i < x.length; i++) {
      double q = Math.min(qmax, Math.max(qmin, Math.rint(x[i] / scale) + zp));
      float back = (float) (q - zp) * scale;
      double d = x[i] - back;
      err += c[i] * d * d;
    }
    return err;
  }

  private static TensorRange checked(TensorStatistics stats) {
    if (stats.count() == 0) {
      throw new CalibrationException("tensor '" + stats.tensor() + "' received no values during calibration");
    }
    return stats.minMax();
  }

  private static TensorRange checkedHistogram(TensorStatistics stats) {
    Preconditions.checkArgument(stats.hasHistogram(), "tensor '%s': this estimator needs statistics with a histogram",
        stats.tensor());
    return checked(stats);
  }

  /** [min, max] clamped into [-t, t] (a tensor entirely beyond t collapses onto t). */
  private static TensorRange clip(TensorRange all, double t) {
    float ft = (float) t;
    return new TensorRange(Math.max(-ft, Math.min(all.min(), ft)), Math.max(-ft, Math.min(all.max(), ft)));
  }
}
