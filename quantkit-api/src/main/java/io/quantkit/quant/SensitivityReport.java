package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.collect.ImmutableList;
import io.quantkit.internal.JsonFiles;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@link LayerSensitivity}'s result: the FP32 and all-INT8 scores on the validation set and, per
 * quantizable layer, the scores with only that layer INT8 and with only that layer FP32. JSON
 * ({@link #toJson}, {@link #save}) and a Markdown table ({@link #table}).
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
@JsonPropertyOrder({"format", "model", "validation", "backend", "fp32", "allInt8", "layers"})
public record SensitivityReport(
    @JsonProperty("model") String model,
    @JsonProperty("validation") String validation,
    @JsonProperty("backend") String backend,
    @JsonProperty("fp32") Score fp32,
    @JsonProperty("allInt8") Score allInt8,
    @JsonProperty("layers") List<Layer> layers) {
  public static final String FORMAT = "quantkit.sensitivity/1";

  public SensitivityReport {
    layers = ImmutableList.copyOf(layers);
  }

  /**
   * One layer: {@code onlyThisInt8} (every other quantizable layer FP32) and {@code onlyThisFp32}
   * (every other layer INT8); both null with a {@code note} when the plan could not express them.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Layer(
      @JsonProperty("node") String node,
      @JsonProperty("op") String op,
      @JsonProperty("onlyThisInt8") Score onlyThisInt8,
      @JsonProperty("onlyThisFp32") Score onlyThisFp32,
      @JsonProperty("note") String note) {}

  @JsonProperty("format")
  String format() {
    return FORMAT;
  }

  /**
   * Layers from most to least sensitive: fewest flips when that layer alone stays FP32 (what
   * keeping it FP32 buys), then most flips when it alone is INT8, then lowest SQNR alone.
   */
  public List<Layer> bySensitivity() {
    return layers.stream().filter(l -> l.onlyThisFp32() != null)
        .sorted(Comparator.comparingInt((Layer l) -> l.onlyThisFp32().flips())
            .thenComparing(Comparator.comparingInt((Layer l) -> l.onlyThisInt8().flips()).reversed())
            .thenComparingDouble(l -> l.onlyThisInt8().sqnrDb()))
        .toList();
  }

  public String toJson() {
    return JsonFiles.toJson(this, "sensitivity report");
  }

  public void save(Path file) {
    JsonFiles.save(file, this, "sensitivity report");
  }

  /** A Markdown table, one row per layer in graph order. */
  public String table() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "FP32: %.2f %% top-1 on %s (%s); all layers INT8: %s%n%n", fp32.accuracyPercent(),
        validation, backend, allInt8));
    s.append("| layer | op | only this INT8: top-1 | flips | SQNR dB | only this FP32: top-1 | flips | SQNR dB |\n");
    s.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (Layer l : layers) {
      s.append("| ").append(l.node()).append(" | ").append(l.op()).append(" | ");
      if (l.onlyThisInt8() == null) {
        s.append("- | - | - | - | - | - | ").append(l.note()).append('\n');
        continue;
      }
      s.append(cells(l.onlyThisInt8())).append(" | ").append(cells(l.onlyThisFp32())).append(" |\n");
    }
    return s.toString();
  }

  private static String cells(Score sc) {
    return String.format(Locale.ROOT, "%.2f %% | %d | %s", sc.accuracyPercent(), sc.flips(),
        Double.isFinite(sc.sqnrDb()) ? String.format(Locale.ROOT, "%.2f", sc.sqnrDb()) : "exact");
  }
}
