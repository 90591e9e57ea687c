package io.quantkit.bench;

import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/**
 * The median of a set of measurements and its spread. Benchmarks report medians because one slow
 * phase of a shared machine should not move the figure; the error bar is the whole range (min..max)
 * of the samples, which with a handful of interleaved rounds says more than a standard error would.
 * Immutable.
 */
public record Stats(double median, double min, double max, int n) {

  public static Stats of(Collection<Double> samples) {
    return of(samples.stream().mapToDouble(Double::doubleValue).toArray());
  }

  public static Stats of(double... samples) {
    Preconditions.checkArgument(samples.length > 0, "no samples");
    double[] s = samples.clone();
    Arrays.sort(s);
    int n = s.length;
    double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return new Stats(median, s[0], s[n - 1], n);
  }

  /** The same samples mapped by a decreasing function such as images/s = batch x 1e6 / us. */
  public Stats inverted(double numerator) {
    return new Stats(numerator / median, numerator / max, numerator / min, n);
  }

  public Stats scaled(double factor) {
    return new Stats(median * factor, min * factor, max * factor, n);
  }

  /** Half the range relative to the median, in percent: the "±" of a figure. */
  public double spreadPercent() {
    return median == 0 ? 0 : 100 * (max - min) / 2 / Math.abs(median);
  }

  /** e.g. {@code 4,262 (4,101-4,310)}. */
  public String format(String pattern) {
    if (n == 1) {
      return String.format(Locale.ROOT, pattern, median);
    }
    return String.format(Locale.ROOT, pattern + " (" + pattern + "–" + pattern + ")", median, min, max);
  }
}
