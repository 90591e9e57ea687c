package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.CalibrationException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RangeEstimatorsTest {
  private static TensorStatistics stats(float[] v) {
    TensorStatistics s = new TensorStatistics("t");
    s.add(v, 0, v.length);
    return s;
  }

  /** 200,000 standard normal samples plus 6 outliers at +-60 sigma. */
  private static float[] gaussianWithOutliers(boolean abs) {
    return gaussianWithOutliers(200_000, 6, abs);
  }

  private static float[] gaussianWithOutliers(int n, int outliers, boolean abs) {
    Random r = new Random(42);
    float[] v = new float[n + outliers];
    for (int i = 0; i < n; i++) {
      double g = r.nextGaussian();
      v[i] = (float) (abs ? Math.abs(g) : g);
    }
    for (int i = n; i < v.length; i++) {
      v[i] = abs || i % 2 == 0 ? 60f : -60f;
    }
    return v;
  }

  @Test
  void minMaxIsTheObservedRange() {
    assertEquals(new TensorRange(-3f, 7f), RangeEstimators.minMax(stats(new float[] {1f, -3f, 7f, 0f})));
  }

  @Test
  void percentileOfKnownUniformValues() {
    // the integers 0..9999: the 99th percentile is ~9900, the 1st ~100
    float[] v = new float[10_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    TensorRange r = RangeEstimators.percentile(stats(v), 99, false);
    assertEquals(9900, r.max(), 10);
    assertEquals(0f, r.min()); // non-negative tensor: the lower end stays at the minimum... of |x|
    // signed values -5000..4999: asymmetric 99 % keeps [~-4900, ~4900]
    float[] s = new float[10_000];
    for (int i = 0; i < s.length; i++) {
      s[i] = i - 5000;
    }
    TensorRange a = RangeEstimators.percentile(stats(s), 99, false);
    assertEquals(-4900, a.min(), 10);
    assertEquals(4900, a.max(), 10);
    // symmetric: the 99th percentile of |x| is ~4950 (|x| is uniform on 0..5000)
    TensorRange sym = RangeEstimators.percentile(stats(s), 99, true);
    assertEquals(4950, sym.max(), 10);
    assertEquals(-4950, sym.min(), 10);
  }

  @Test
  void percentileClipsOutliersOfAGaussian() {
    TensorRange r = RangeEstimators.percentile(stats(gaussianWithOutliers(false)), 99.99, true);
    // 99.99 % of 200,006 values: the 15th largest |x| of the Gaussian part, about its 99.9925 % point
    // (3.96 sigma); the 6 outliers fall in the clipped 0.01 %
    assertTrue(r.max() > 3.7 && r.max() < 4.3, r.toString());
  }

  @Test
  void entropyThresholdIsFarBelowOutliersAndAboveThreeSigma() {
    TensorRange sym = RangeEstimators.entropy(stats(gaussianWithOutliers(false)), QuantType.INT8, true);
    assertTrue(sym.max() > 3 && sym.max() < 20, sym.toString());
    assertEquals(-sym.max(), sym.min(), 1e-6);
    TensorRange half = RangeEstimators.entropy(stats(gaussianWithOutliers(true)), QuantType.UINT8, false);
    assertTrue(half.max() > 3 && half.max() < 20, half.toString());
    assertEquals(0f, half.min(), 1e-3);
  }

  @Test
  void entropyKeepsTheFullRangeWhenNothingIsGainedByClipping() {
    // few distinct values: the histogram has fewer non-empty bins than quantization levels
    TensorRange r = RangeEstimators.entropy(stats(new float[] {0f, 1f, 2f, 3f}), QuantType.UINT8, false);
    assertEquals(new TensorRange(0f, 3f), r);
  }

  @Test
  void entropySearchEqualsTheStraightforwardDivergenceOfEveryCandidate() {
    Random r = new Random(7);
    float[] halfNormal = new float[400_000];
    float[] bimodal = new float[400_000];
    for (int i = 0; i < halfNormal.length; i++) {
      halfNormal[i] = (float) Math.abs(r.nextGaussian());
      bimodal[i] = (float) (r.nextGaussian() * 0.3 + (i % 3 == 0 ? 4 : -1));
    }
    halfNormal[0] = 25f; // an outlier far out, so that clipping pays
    for (float[] v : new float[][] {halfNormal, bimodal}) {
      // 1,024 bins hold ~400 values each: dense enough that the search does not coarsen them
      TensorStatistics s = new TensorStatistics("t", 1024, true);
      s.add(v, 0, v.length);
      for (boolean symmetric : new boolean[] {false, true}) {
        int levels = !symmetric && s.min() >= 0 ? 256 : 128;
        double t = naiveEntropyEdge(s, levels) * s.binWidth();
        float ft = (float) t;
        TensorRange expected = new TensorRange(Math.max(-ft, Math.min(s.min(), ft)), Math.max(-ft, Math.min(s.max(), ft)));
        assertEquals(expected, RangeEstimators.entropy(s, QuantType.UINT8, symmetric), "symmetric " + symmetric);
      }
    }
  }

  /** The KL search written out directly: every candidate sums the divergence over all its blocks. */
  private static int naiveEntropyEdge(TensorStatistics s, int levels) {
    long[] pos = s.positiveCounts();
    long[] neg = s.negativeCounts();
    int nb = pos.length;
    long[] m = new long[nb];
    for (int i = 0; i < nb; i++) {
      m[i] = pos[i] + neg[i];
    }
    while (nb > 0 && m[nb - 1] == 0) {
      nb--;
    }
    double total = 0;
    for (int k = 0; k < nb; k++) {
      total += m[k];
    }
    int best = nb;
    double bestKl = Double.POSITIVE_INFINITY;
    int stride = Math.max(1, (nb - levels) / 1024);
    for (int i = levels; i <= nb; i = i < nb && i + stride > nb ? nb : i + stride) {
      double kept = 0;
      double pLogP = 0;
      for (int k = 0; k < i; k++) {
        kept += m[k];
      }
      double outliers = total - kept;
      for (int k = 0; k < i; k++) {
        double p = k == i - 1 ? m[k] + outliers : m[k];
        pLogP += p > 0 ? p * Math.log(p) : 0;
      }
      int merged = i / levels;
      double pLogQ = 0;
      boolean infinite = false;
      for (int j = 0; j < levels && !infinite; j++) {
        int start = j * merged;
        int end = j == levels - 1 ? i : start + merged;
        double q = 0;
        int nonEmpty = 0;
        for (int k = start; k < end; k++) {
          q += m[k];
          nonEmpty += m[k] != 0 ? 1 : 0;
        }
        double p = q;
        if (j == levels - 1 && outliers > 0) {
          p += outliers;
          nonEmpty += m[i - 1] == 0 ? 1 : 0;
        }
        if (p > 0 && q == 0) {
          infinite = true;
        } else if (p > 0) {
          pLogQ += p * Math.log(q / nonEmpty);
        }
      }
      if (infinite) {
        continue;
      }
      double kl = (pLogP - pLogQ) / total + Math.log(kept) - Math.log(total);
      if (kl < bestKl - 1e-9) {
        bestKl = kl;
        best = i;
      }
    }
    return best;
  }

  @Test
  void mseThresholdIsFarBelowOutliersAndAboveThreeSigma() {
    // MSE clips an outlier only when its squared clipping error is below the rounding error it
    // saves on everything else: 2 outliers at 60 sigma among 1,000,000 values are clipped
    TensorRange r = RangeEstimators.mse(stats(gaussianWithOutliers(1_000_000, 2, false)), QuantType.INT8, true);
    assertTrue(r.max() > 3 && r.max() < 20, r.toString());
    // |N(0,1)| on UINT8 [0, t] without outliers: a clip just below the largest values
    TensorStatistics half = stats(gaussianWithOutliers(1_000_000, 0, true));
    TensorRange u = RangeEstimators.mse(half, QuantType.UINT8, false);
    assertTrue(u.max() > 3 && u.max() <= half.max(), u.toString());
  }

  @Test
  void mseKeepsOutliersThatCarryMoreErrorThanTheyCost() {
    // 6 outliers at 60 among 200,000: clipping them costs 6 x 56^2 ~ 19,000, keeping them costs
    // 200,000 x (60/127)^2 / 12 ~ 3,700 of rounding error, so the full range is right
    TensorRange r = RangeEstimators.mse(stats(gaussianWithOutliers(false)), QuantType.INT8, true);
    assertTrue(r.max() > 50, r.toString());
  }

  @Test
  void mseMatchesABruteForceSearchOnTheRawValues() {
    float[] v = gaussianWithOutliers(false);
    TensorRange chosen = RangeEstimators.mse(stats(v), QuantType.INT8, true);
    double chosenErr = QuantErrors.roundTrip(v, QuantMath.params(chosen, QuantType.INT8, true));
    double best = Double.MAX_VALUE;
    for (double t = 0.5; t <= 60; t += 0.05) {
      QuantParams p = QuantMath.params(new TensorRange((float) -t, (float) t), QuantType.INT8, true);
      best = Math.min(best, QuantErrors.roundTrip(v, p));
    }
    assertTrue(chosenErr <= best * 1.03, chosenErr + " vs best " + best);
  }

  @Test
  void mseDoesNotClipAUniformDistribution() {
    Random r = new Random(1);
    float[] v = new float[50_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat() * 2 - 1;
    }
    TensorRange m = RangeEstimators.mse(stats(v), QuantType.UINT8, false);
    assertTrue(m.max() > 0.95 && m.min() < -0.95, m.toString());
  }

  @Test
  void allZeroTensorGetsZeroRange() {
    TensorStatistics s = stats(new float[] {0f, 0f, 0f});
    for (CalibrationMethod m : CalibrationMethod.values()) {
      TensorRange r = RangeEstimators.estimate(s, m, QuantType.UINT8, false, 99.99);
      assertEquals(new TensorRange(0f, 0f), r, m.name());
    }
  }

  @Test
  void emptyStatisticsAreAnError() {
    TensorStatistics s = new TensorStatistics("never_seen");
    for (CalibrationMethod m : CalibrationMethod.values()) {
      CalibrationException e = assertThrows(CalibrationException.class,
          () -> RangeEstimators.estimate(s, m, QuantType.UINT8, false, 99.99));
      assertTrue(e.getMessage().contains("never_seen"));
    }
  }
}
