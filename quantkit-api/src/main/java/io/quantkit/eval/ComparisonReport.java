package io.quantkit.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.internal.JsonFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * How far several runners' outputs on the same images agree: for each pair the share of equal
 * top-1 predictions and the largest and mean absolute difference over all output elements, and
 * each runner's own top-1 accuracy when labels were known. Immutable; JSON field names are part of
 * the file format, tagged {@link #FORMAT}; reports written before the tag existed still load.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
@JsonPropertyOrder({"format", "dataset", "samples", "runners", "pairs"})
public final class ComparisonReport {
  /** Format tag written into every comparison file. */
  public static final String FORMAT = "quantkit.comparison-report/1";

  /** One runner's result; {@code top1} is null when no labels were given. */
  public record RunnerResult(@JsonProperty("name") String name, @JsonProperty("top1") Double top1) {
    public RunnerResult {
      Objects.requireNonNull(name, "name");
    }
  }

  /**
   * Runners {@code a} and {@code b} compared: {@code agreement} is the share of samples with equal
   * top-1 predictions, {@code disagreements} their count.
   */
  public record Pair(
      @JsonProperty("a") String a,
      @JsonProperty("b") String b,
      @JsonProperty("agreement") double agreement,
      @JsonProperty("disagreements") int disagreements,
      @JsonProperty("maxAbsDiff") double maxAbsDiff,
      @JsonProperty("meanAbsDiff") double meanAbsDiff) {
    public Pair {
      Objects.requireNonNull(a, "a");
      Objects.requireNonNull(b, "b");
    }
  }

  private final String dataset;
  private final int samples;
  private final ImmutableList<RunnerResult> runners;
  private final ImmutableList<Pair> pairs;

  @JsonCreator
  static ComparisonReport fromJsonFields(
      @JsonProperty("format") String format,
      @JsonProperty("dataset") String dataset,
      @JsonProperty("samples") int samples,
      @JsonProperty("runners") List<RunnerResult> runners,
      @JsonProperty("pairs") List<Pair> pairs) {
    JsonFiles.checkFormat(format, "comparison report", Set.of(FORMAT));
    return new ComparisonReport(dataset, samples, runners, pairs);
  }

  public ComparisonReport(String dataset, int samples, List<RunnerResult> runners, List<Pair> pairs) {
    Preconditions.checkArgument(runners != null && runners.size() >= 2, "a comparison needs at least two runners");
    Preconditions.checkArgument(pairs != null, "no pairs");
    this.dataset = dataset;
    this.samples = samples;
    this.runners = ImmutableList.copyOf(runners);
    this.pairs = ImmutableList.copyOf(pairs);
  }

  @JsonProperty
  public String dataset() {
    return dataset;
  }

  @JsonProperty
  public int samples() {
    return samples;
  }

  /** In the order the runners were given. */
  @JsonProperty
  public ImmutableList<RunnerResult> runners() {
    return runners;
  }

  /** Every pair (i, j) with i before j in runner order. */
  @JsonProperty
  public ImmutableList<Pair> pairs() {
    return pairs;
  }

  /** The pair of runners {@code a} and {@code b} (either order). */
  public Pair pair(String a, String b) {
    for (Pair p : pairs) {
      if ((p.a().equals(a) && p.b().equals(b)) || (p.a().equals(b) && p.b().equals(a))) {
        return p;
      }
    }
    throw new IllegalArgumentException("no pair " + a + " / " + b + " in " + runnerNames());
  }

  public RunnerResult runner(String name) {
    for (RunnerResult r : runners) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no runner " + name + " in " + runnerNames());
  }

  private List<String> runnerNames() {
    return runners.stream().map(RunnerResult::name).toList();
  }

  /** The format tag of the JSON form, {@link #FORMAT}. */
  @JsonProperty
  String format() {
    return FORMAT;
  }

  public String toJson() {
    return JsonFiles.toJson(this, "comparison report");
  }

  /** Parses a report; {@link io.quantkit.ModelFormatException} when the text is not one. */
  public static ComparisonReport fromJson(String json) {
    return JsonFiles.fromJson(json, ComparisonReport.class, "comparison report");
  }

  /**
   * Writes the JSON form atomically (temporary file in the same folder, then a move).
   *
   * @throws io.quantkit.QuantkitException naming the file when it cannot be written
   */
  public void save(Path file) {
    JsonFiles.save(file, this, "comparison report");
  }

  /**
   * Reads a report written by {@link #save}.
   *
   * @throws io.quantkit.ModelFormatException naming the file when it is missing, unreadable or not a report
   */
  public static ComparisonReport load(Path file) {
    return JsonFiles.load(file, ComparisonReport.class, "comparison report");
  }

  /** @deprecated the old name of {@link #save(Path)}. */
  @Deprecated(forRemoval = true)
  public void writeJson(Path file) {
    save(file);
  }

  /** @deprecated the old name of {@link #load(Path)}. */
  @Deprecated(forRemoval = true)
  public static ComparisonReport readJson(Path file) {
    return load(file);
  }

  /** A text table of the runners and pairs. */
  public String toSummary() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "dataset %s | %d samples%n", dataset == null ? "-" : dataset, samples));
    // names as long as "onnx@out/some/dir/model.qdq.onnx" keep the columns aligned
    int w = 24;
    for (RunnerResult r : runners) {
      w = Math.max(w, r.name().length());
    }
    for (RunnerResult r : runners) {
      sb.append(String.format(Locale.ROOT, "  %-" + w + "s top-1 %s%n", r.name(),
          r.top1() == null ? "-" : String.format(Locale.ROOT, "%.2f %%", r.top1() * 100)));
    }
    sb.append(String.format(Locale.ROOT, "%-" + w + "s %-" + w + "s %10s %8s %12s %12s%n", "a", "b", "agreement", "differ",
        "maxAbsDiff", "meanAbsDiff"));
    for (Pair p : pairs) {
      sb.append(String.format(Locale.ROOT, "%-" + w + "s %-" + w + "s %8.2f %% %8d %12.4g %12.4g%n", p.a(), p.b(),
          p.agreement() * 100, p.disagreements(), p.maxAbsDiff(), p.meanAbsDiff()));
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ComparisonReport)) {
      return false;
    }
    ComparisonReport r = (ComparisonReport) o;
    return samples == r.samples && Objects.equals(dataset, r.dataset) && runners.equals(r.runners) && pairs.equals(r.pairs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dataset, samples, runners, pairs);
  }

  @Override
  public String toString() {
    return "ComparisonReport(" + dataset + ", " + samples + " samples, " + runners + ", " + pairs + ")";
  }
}
