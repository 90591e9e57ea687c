package io.quantkit.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.collect.ImmutableList;
import io.quantkit.internal.JsonFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * How close a model's outputs are to a reference's (FP32 vs INT8 of a regression model, or an
 * autoencoder's reconstruction vs its input), output by output: signal-to-quantization-noise
 * ratio {@code 10 log10(sum ref^2 / sum (ref - x)^2)} in dB, relative error
 * {@code sqrt(sum (ref - x)^2 / sum ref^2)}, and the largest and mean absolute difference, each over
 * every element of every sample. What a classifier's top-1 is for a model without classes.
 * Immutable; JSON field names are part of the file format, tagged {@link #FORMAT}.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
@JsonPropertyOrder({"format", "dataset", "samples", "entries"})
public final class RegressionReport {
  /** Format tag written into every regression report file. */
  public static final String FORMAT = "quantkit.regression-report/1";

  /**
   * {@code candidate}'s output {@code output} against {@code reference}'s: SQNR in dB (infinite
   * when equal, stored as null in JSON), relative error, largest and mean absolute difference.
   */
  public record Entry(
      @JsonProperty("reference") String reference,
      @JsonProperty("candidate") String candidate,
      @JsonProperty("output") String output,
      @JsonProperty("sqnrDb") Double sqnrDb,
      @JsonProperty("relativeError") double relativeError,
      @JsonProperty("maxAbsDiff") double maxAbsDiff,
      @JsonProperty("meanAbsDiff") double meanAbsDiff) {
    public Entry {
      Objects.requireNonNull(reference, "reference");
      Objects.requireNonNull(candidate, "candidate");
      Objects.requireNonNull(output, "output");
    }
  }

  private final String dataset;
  private final int samples;
  private final ImmutableList<Entry> entries;

  public RegressionReport(String dataset, int samples, List<Entry> entries) {
    this.dataset = Objects.requireNonNull(dataset, "dataset");
    this.samples = samples;
    this.entries = ImmutableList.copyOf(entries);
  }

  @JsonCreator
  static RegressionReport fromJsonFields(
      @JsonProperty("format") String format,
      @JsonProperty("dataset") String dataset,
      @JsonProperty("samples") int samples,
      @JsonProperty("entries") List<Entry> entries) {
    JsonFiles.checkFormat(format, "regression report", Set.of(FORMAT));
    return new RegressionReport(dataset, samples, entries == null ? List.of() : entries);
  }

  @JsonProperty("format")
  String format() {
    return FORMAT;
  }

  @JsonProperty("dataset")
  public String dataset() {
    return dataset;
  }

  @JsonProperty("samples")
  public int samples() {
    return samples;
  }

  @JsonProperty("entries")
  public ImmutableList<Entry> entries() {
    return entries;
  }

  /** The entry for {@code candidate}'s output {@code output}. */
  public Entry entry(String candidate, String output) {
    return entries.stream().filter(e -> e.candidate().equals(candidate) && e.output().equals(output)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no entry for " + candidate + " output " + output + " in " + entries));
  }

  public String toJson() {
    return JsonFiles.toJson(this, "regression report");
  }

  public static RegressionReport fromJson(String json) {
    return JsonFiles.fromJson(json, RegressionReport.class, "regression report");
  }

  /** Writes the JSON atomically. */
  public void save(Path file) {
    JsonFiles.save(file, this, "regression report");
  }

  public static RegressionReport load(Path file) {
    return JsonFiles.load(file, RegressionReport.class, "regression report");
  }

  /** One line per entry, e.g. {@code onnx@int8 vs onnx, output dense_10: SQNR 30.4 dB, relative error 3.0 %}. */
  public String toSummary() {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d samples of %s (regression: output vs reference)%n",
        samples, dataset));
    for (Entry e : entries) {
      sb.append(String.format(Locale.ROOT, "  %s vs %s, output %s: SQNR %s, relative error %.2f %%, max |diff| %.4g, "
          + "mean |diff| %.4g%n", e.candidate(), e.reference(), e.output(),
          e.sqnrDb() == null ? "inf dB" : String.format(Locale.ROOT, "%.1f dB", e.sqnrDb()), 100 * e.relativeError(),
          e.maxAbsDiff(), e.meanAbsDiff()));
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegressionReport r && dataset.equals(r.dataset) && samples == r.samples && entries.equals(r.entries);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dataset, samples, entries);
  }

  @Override
  public String toString() {
    return toSummary();
  }
}
