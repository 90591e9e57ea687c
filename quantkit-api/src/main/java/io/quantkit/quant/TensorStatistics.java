package io.quantkit.quant;

import com.google.common.base.Preconditions;
import io.quantkit.CalibrationException;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Running statistics of one tensor over a calibration set, in memory independent of the number of
 * values seen: count, minimum, maximum and (optionally) a histogram with the number of exact zeros.
 *
 * <p>The histogram has {@code bins} bins for positive values over (0, R] and as many for negative
 * values over [-R, 0), with exact zeros counted apart (after ReLU they are often half of all
 * values, and they quantize exactly). R starts at the first non-zero absolute maximum seen; when a
 * later value exceeds it, R doubles as often as needed and 2^k old bins merge into one new bin.
 * The merge is exact (no interpolation), and at least half of the bins always cover the data.
 *
 * <p>Non-finite values are an error ({@link CalibrationException} naming the tensor): a NaN or
 * infinity in calibration means the model or the data is broken, and skipping them would hide it.
 *
 * <p>Not thread-safe; use one instance per tensor and thread, and {@link #merge} to combine.
 * Serializable, so that statistics gathered on several machines (one shard of the data each) can be
 * sent to one place and merged; {@link #seedRange} makes that merge exact.
 */
public final class TensorStatistics implements Serializable {
  private static final long serialVersionUID = 1L;
  /**
   * Bins per sign in the default histogram. Entropy calibration needs at least as many bins
   * inside the clipping threshold as there are quantization levels (256 for UINT8 over [0, t]), so
   * the bins must be fine enough to resolve the bulk of a distribution whose outliers set R.
   */
  public static final int DEFAULT_BINS = 8192;
  private static final int CHUNK = 8192;

  private final String tensor;
  private final int bins;
  private final boolean histogram;
  private long count;
  private long zeros;
  private float min = Float.POSITIVE_INFINITY;
  private float max = Float.NEGATIVE_INFINITY;
  /** Upper end of the histogram's magnitude range; 0 until a non-zero value arrives. */
  private double range;
  /** hist[bins + i]: positive bin i; hist[bins - 1 - i]: negative bin i (by magnitude). */
  private final long[] hist;
  /**
   * Counts not yet added to {@link #hist}, split by the parity of the value's position: two
   * arrays break the store-to-load chains that a single array builds when consecutive values hit
   * the same bin (post-ReLU zeros do, all the time), which halves the cost of the scatter.
   */
  private transient int[] pendingEven;
  private transient int[] pendingOdd;
  private transient long pendingValues;
  private transient float[] chunk;

  /** Statistics with the default histogram. */
  public TensorStatistics(String tensor) {
    this(tensor, DEFAULT_BINS, true);
  }

  /**
   * @param bins histogram bins per sign (at least 16)
   * @param histogram false to keep only count, min and max (enough for MINMAX)
   */
  public TensorStatistics(String tensor, int bins, boolean histogram) {
    Preconditions.checkArgument(bins >= 16, "need at least 16 bins, got %s", bins);
    this.tensor = Preconditions.checkNotNull(tensor);
    this.bins = bins;
    this.histogram = histogram;
    this.hist = histogram ? new long[2 * bins] : null;
  }

  /**
   * Starts the histogram at range {@code initialRange} instead of the first non-zero magnitude
   * seen. Collectors of the same tensor seeded with the same R (or R times a power of two) keep
   * ranges that differ by powers of two only, so {@link #merge} combines them exactly: this is how
   * shards of a calibration set gathered apart give the histogram one collector fed every batch
   * would have. Seed with the range such a single collector had after its first batch.
   *
   * @throws IllegalStateException when values were already added
   * @throws IllegalArgumentException when the range is not positive and finite
   */
  public void seedRange(double initialRange) {
    Preconditions.checkState(count == 0, "tensor '%s': seed the range before adding values", tensor);
    Preconditions.checkArgument(initialRange > 0 && Double.isFinite(initialRange),
        "tensor '%s': a histogram range must be positive and finite, got %s", tensor, initialRange);
    range = initialRange;
  }

  /** Adds every element of a FLOAT32 tensor. */
  public void add(Tensor values) {
    if (values.type() != DataType.FLOAT32) {
      throw new CalibrationException("tensor '" + tensor + "' is " + values.type() + ", calibration needs FLOAT32");
    }
    FloatBuffer fb = values.floatBuffer();
    if (chunk == null) {
      chunk = new float[CHUNK];
    }
    while (fb.hasRemaining()) {
      int n = Math.min(CHUNK, fb.remaining());
      fb.get(chunk, 0, n);
      add(chunk, 0, n);
    }
  }

  /** Adds {@code values[offset, offset + length)}. */
  public void add(float[] values, int offset, int length) {
    Preconditions.checkPositionIndexes(offset, offset + length, values.length);
    if (length == 0) {
      return;
    }
    // Math.min/max propagate NaN, and an infinity becomes an extreme: one branch-free pass finds
    // the range and proves every value finite. Counting zeros here would cost as much again, so
    // the histogram scatter counts them.
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      lo = Math.min(lo, values[i]);
      hi = Math.max(hi, values[i]);
    }
    if (!Float.isFinite(lo) || !Float.isFinite(hi)) {
      throw nonFinite(values, offset, length);
    }
    min = Math.min(min, lo);
    max = Math.max(max, hi);
    count += length;
    if (!histogram) {
      return;
    }
    if (lo == 0 && hi == 0) {
      zeros += length;
      return;
    }
    double absMax = Math.max(-(double) lo, hi);
    if (absMax > range) {
      growTo(absMax);
    }
    if (pendingEven == null) {
      pendingEven = new int[2 * bins];
      pendingOdd = new int[2 * bins];
    } else if (pendingValues + length >= Integer.MAX_VALUE) {
      flush();
    }
    zeros += scatter(values, offset, end);
    pendingValues += length;
  }

  /**
   * Counts each value into the pending arrays and returns how many were exactly 0. One array for
   * both signs: index bins + floor(v / w), so negative bins sit below 'bins' in mirrored order and
   * zeros land in positive bin 0, from which they are taken out again.
   */
  private int scatter(float[] values, int from, int end) {
    double inv = bins / range;
    double off = bins;
    int last = 2 * bins - 1;
    int[] even = pendingEven;
    int[] odd = pendingOdd;
    int z = 0;
    int k = from;
    for (; k + 1 < end; k += 2) {
      float a = values[k];
      float b = values[k + 1];
      // 1 exactly for +0 and -0: (|bits| - 1) is negative only when |bits| is 0
      z += (((Float.floatToRawIntBits(a) & 0x7FFFFFFF) - 1) >>> 31) + (((Float.floatToRawIntBits(b) & 0x7FFFFFFF) - 1) >>> 31);
      even[Math.min((int) (a * inv + off), last)]++;
      odd[Math.min((int) (b * inv + off), last)]++;
    }
    if (k < end) {
      z += ((Float.floatToRawIntBits(values[k]) & 0x7FFFFFFF) - 1) >>> 31;
      even[Math.min((int) (values[k] * inv + off), last)]++;
    }
    even[bins] -= z;
    return z;
  }

  /** Adds the pending counts to the histogram; everything that reads or re-bins it calls this first. */
  private void flush() {
    if (pendingValues == 0) {
      return;
    }
    for (int i = 0; i < hist.length; i++) {
      hist[i] += pendingEven[i] + (long) pendingOdd[i];
    }
    Arrays.fill(pendingEven, 0);
    Arrays.fill(pendingOdd, 0);
    pendingValues = 0;
  }

  private CalibrationException nonFinite(float[] values, int offset, int length) {
    int nan = 0;
    int inf = 0;
    for (int i = offset; i < offset + length; i++) {
      if (Float.isNaN(values[i])) {
        nan++;
      } else if (Float.isInfinite(values[i])) {
        inf++;
      }
    }
    return new CalibrationException("tensor '" + tensor + "' has non-finite values during calibration (" + nan
        + " NaN, " + inf + " infinite among " + length + " values of this batch); the model or the calibration data is broken");
  }

  /** Doubles R until it covers {@code absMax}, merging bins exactly. */
  private void growTo(double absMax) {
    if (histogram) {
      flush();
    }
    if (range == 0) {
      range = absMax;
      return;
    }
    int k = 0;
    double r = range;
    while (r < absMax) {
      r *= 2;
      k++;
    }
    range = r;
    if (histogram) {
      int shift = Math.min(k, 31);
      for (int i = 1; i < bins; i++) {
        int j = i >> shift;
        if (j != i) {
          hist[bins + j] += hist[bins + i];
          hist[bins + i] = 0;
          hist[bins - 1 - j] += hist[bins - 1 - i];
          hist[bins - 1 - i] = 0;
        }
      }
    }
  }

  /**
   * Adds another collector's observations. Exact when both histogram ranges are equal up to a
   * power of two (as for collectors fed the same first batch); otherwise the other's bins are
   * spread proportionally over the overlapping bins of this one.
   */
  public void merge(TensorStatistics other) {
    if (histogram) {
      flush();
    }
    if (other.histogram) {
      other.flush();
    }
    Preconditions.checkArgument(other.bins == bins && other.histogram == histogram,
        "cannot merge statistics with %s/%s bins", other.bins, bins);
    if (other.count == 0) {
      return;
    }
    count += other.count;
    zeros += other.zeros;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
    if (!histogram || other.range == 0) {
      return;
    }
    if (other.range > range) {
      growTo(other.range);
    }
    double ratio = other.range / range; // <= 1
    long[] pos = pos();
    long[] neg = neg();
    rebinInto(other.pos(), pos, ratio);
    rebinInto(other.neg(), neg, ratio);
    for (int i = 0; i < bins; i++) {
      hist[bins + i] = pos[i];
      hist[bins - 1 - i] = neg[i];
    }
  }

  private void rebinInto(long[] src, long[] dst, double ratio) {
    for (int i = 0; i < src.length; i++) {
      long c = src[i];
      if (c == 0) {
        continue;
      }
      double lo = i * ratio;
      double hi = (i + 1) * ratio;
      int a = (int) lo;
      int b = Math.min((int) Math.ceil(hi) - 1, bins - 1);
      if (a >= b) {
        dst[Math.min(a, bins - 1)] += c;
        continue;
      }
      long left = c;
      for (int j = a; j <= b && left > 0; j++) {
        double overlap = Math.min(hi, j + 1) - Math.max(lo, j);
        long share = j == b ? left : Math.min(left, Math.round(c * overlap / (hi - lo)));
        dst[j] += share;
        left -= share;
      }
    }
  }

  public String tensor() {
    return tensor;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    if (histogram) {
      flush();
    }
    out.defaultWriteObject();
  }

  /** Number of values seen. */
  public long count() {
    return count;
  }

  /** Number of values exactly 0 (+0 or -0); counted with the histogram only. */
  public long zeroCount() {
    Preconditions.checkState(histogram, "tensor '%s': zeros are counted with the histogram only", tensor);
    return zeros;
  }

  /** Smallest value seen; +infinity before any. */
  public float min() {
    return min;
  }

  /** Largest value seen; -infinity before any. */
  public float max() {
    return max;
  }

  public boolean hasHistogram() {
    return histogram;
  }

  /** Bins per sign. */
  public int bins() {
    return bins;
  }

  /** R: the histogram covers [-R, R]; 0 while every value seen was 0. */
  public double histogramRange() {
    return range;
  }

  /** Width of one bin, R / bins. */
  public double binWidth() {
    return range / bins;
  }

  /**
   * Counts of positive values by bin, bin i holding [i w, (i+1) w) (the last one also R). A copy.
   */
  public long[] positiveCounts() {
    Preconditions.checkState(histogram, "tensor '%s': statistics were collected without histogram", tensor);
    return pos();
  }

  /**
   * Counts of negative values by magnitude, bin i holding about (i w, (i+1) w]; a value within
   * float rounding of a bin edge may land in the neighbouring bin. A copy.
   */
  public long[] negativeCounts() {
    Preconditions.checkState(histogram, "tensor '%s': statistics were collected without histogram", tensor);
    return neg();
  }

  long[] pos() {
    flush();
    long[] p = new long[bins];
    System.arraycopy(hist, bins, p, 0, bins);
    return p;
  }

  long[] neg() {
    flush();
    long[] n = new long[bins];
    for (int i = 0; i < bins; i++) {
      n[i] = hist[bins - 1 - i];
    }
    return n;
  }

  /** [min, max] seen; throws when nothing was seen. */
  public TensorRange minMax() {
    if (count == 0) {
      throw new CalibrationException("tensor '" + tensor + "' received no values during calibration");
    }
    return new TensorRange(min, max);
  }

  @Override
  public String toString() {
    return "TensorStatistics(" + tensor + ", n=" + count + ", min=" + min + ", max=" + max + (histogram ? ", zeros=" + zeros : "") + ")";
  }
}
