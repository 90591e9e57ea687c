package io.quantkit.quant.debug;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.common.base.Preconditions;

/**
 * Counts of values in {@code counts.length} equal bins over [lo, hi], with the values below
 * {@code lo} and above {@code hi} counted apart. Immutable: the array is copied in and out.
 */
public final class Histogram {
  private final double lo;
  private final double hi;
  private final long[] counts;
  private final long below;
  private final long above;

  @JsonCreator
  public Histogram(@JsonProperty("lo") double lo, @JsonProperty("hi") double hi, @JsonProperty("counts") long[] counts,
      @JsonProperty("below") long below, @JsonProperty("above") long above) {
    Preconditions.checkArgument(counts != null && counts.length > 0, "a histogram needs bins");
    Preconditions.checkArgument(lo < hi, "histogram range [%s, %s] is empty", lo, hi);
    this.lo = lo;
    this.hi = hi;
    this.counts = counts.clone();
    this.below = below;
    this.above = above;
  }

  @JsonProperty("lo")
  public double lo() {
    return lo;
  }

  @JsonProperty("hi")
  public double hi() {
    return hi;
  }

  @JsonProperty("counts")
  public long[] counts() {
    return counts.clone();
  }

  @JsonProperty("below")
  public long below() {
    return below;
  }

  @JsonProperty("above")
  public long above() {
    return above;
  }

  /** All values counted, inside the range or not. */
  public long total() {
    long t = below + above;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  /** Accumulates values into a histogram with a range fixed up front. Not thread-safe. */
  static final class Builder {
    private final double lo;
    private final double hi;
    private final double binsPerUnit;
    private final long[] counts;
    private long below;
    private long above;

    Builder(double lo, double hi, int bins) {
      if (!(hi > lo)) {
        // a constant tensor: any non-empty range around it shows the single spike
        double pad = Math.max(Math.abs(lo) * 0.05, 1e-6);
        hi = lo + pad;
        lo = lo - pad;
      }
      this.lo = lo;
      this.hi = hi;
      this.counts = new long[bins];
      this.binsPerUnit = bins / (hi - lo);
    }

    void add(float x) {
      if (x < lo) {
        below++;
      } else if (x > hi) {
        above++;
      } else {
        counts[Math.min(counts.length - 1, (int) ((x - lo) * binsPerUnit))]++;
      }
    }

    Histogram build() {
      return new Histogram(lo, hi, counts, below, above);
    }
  }
}
