package io.quantkit.quant.debug;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.google.common.collect.ImmutableList;
import io.quantkit.ModelFormatException;
import io.quantkit.internal.JsonFiles;
import io.quantkit.quant.QuantParams;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What {@link QuantErrorAnalysis} measured: per quantized activation, per quantized weight (and
 * per output channel), and the images whose top-1 prediction differs between FP32 and INT8.
 *
 * <p>SQNR is {@code 10 log10(sum x^2 / sum (x - x')^2)} in dB over all values of all images, where
 * x is the FP32 value and x' the INT8 model's dequantized value; 6 dB is about one bit. A null
 * SQNR means the error was exactly zero (or the signal was). Immutable; JSON field names are the
 * file format ({@link #FORMAT}).
 */
@JsonPropertyOrder({"format", "model", "backend", "dataset", "images", "classNames", "fp32Correct", "int8Correct",
    "options", "calibration", "activations", "weights", "flips", "warnings"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuantErrorReport(
    @JsonProperty("model") String model,
    @JsonProperty("backend") String backend,
    @JsonProperty("dataset") String dataset,
    @JsonProperty("images") int images,
    @JsonProperty("classNames") ImmutableList<String> classNames,
    @JsonProperty("fp32Correct") Integer fp32Correct,
    @JsonProperty("int8Correct") Integer int8Correct,
    @JsonProperty("options") QuantOptions options,
    @JsonProperty("calibration") QuantPlan.CalibrationInfo calibration,
    @JsonProperty("activations") ImmutableList<ActivationError> activations,
    @JsonProperty("weights") ImmutableList<WeightError> weights,
    @JsonProperty("flips") ImmutableList<Flip> flips,
    @JsonProperty("warnings") ImmutableList<String> warnings) {

  /** Format tag written into every file, checked on reading. */
  public static final String FORMAT = "quantkit.quant-error/1";

  @JsonCreator
  static QuantErrorReport create(
      @JsonProperty("format") String format,
      @JsonProperty("model") String model,
      @JsonProperty("backend") String backend,
      @JsonProperty("dataset") String dataset,
      @JsonProperty("images") int images,
      @JsonProperty("classNames") List<String> classNames,
      @JsonProperty("fp32Correct") Integer fp32Correct,
      @JsonProperty("int8Correct") Integer int8Correct,
      @JsonProperty("options") QuantOptions options,
      @JsonProperty("calibration") QuantPlan.CalibrationInfo calibration,
      @JsonProperty("activations") List<ActivationError> activations,
      @JsonProperty("weights") List<WeightError> weights,
      @JsonProperty("flips") List<Flip> flips,
      @JsonProperty("warnings") List<String> warnings) {
    if (format != null && !FORMAT.equals(format)) {
      throw new ModelFormatException("quantization error report has format '" + format + "', expected '" + FORMAT + "'");
    }
    return new QuantErrorReport(model, backend, dataset, images, copy(classNames), fp32Correct, int8Correct, options,
        calibration, copy(activations), copy(weights), copy(flips), copy(warnings));
  }

  private static <T> ImmutableList<T> copy(List<T> list) {
    return list == null ? ImmutableList.of() : ImmutableList.copyOf(list);
  }

  @JsonProperty("format")
  String format() {
    return FORMAT;
  }

  /**
   * One quantized activation tensor (the input of a QuantizeLinear): its parameters, the error of
   * the INT8 model's value against FP32 ({@code sqnrDb}, {@code maxAbsError}, {@code meanAbsError},
   * everything upstream included), the error of quantizing the FP32 value alone with these
   * parameters ({@code localSqnrDb}: rounding and clipping at this tensor only), the share of FP32
   * values outside the representable range by more than half a step ({@code clippedShare}), the
   * FP32 values' range and their histogram.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ActivationError(
      @JsonProperty("tensor") String tensor,
      @JsonProperty("producer") String producer,
      @JsonProperty("opType") String opType,
      @JsonProperty("params") QuantParams params,
      @JsonProperty("representableMin") float representableMin,
      @JsonProperty("representableMax") float representableMax,
      @JsonProperty("values") long values,
      @JsonProperty("sqnrDb") Double sqnrDb,
      @JsonProperty("localSqnrDb") Double localSqnrDb,
      @JsonProperty("maxAbsError") double maxAbsError,
      @JsonProperty("meanAbsError") double meanAbsError,
      @JsonProperty("clippedShare") double clippedShare,
      @JsonProperty("min") float min,
      @JsonProperty("max") float max,
      @JsonProperty("histogram") Histogram histogram) {}

  /**
   * One quantized weight: the node that reads it, its parameters, the error of the stored INT8
   * values against the FP32 weights, as a whole and per output channel ({@code channelAxis} of the
   * FP32 weight, whatever the quantization axis), and the histogram of the FP32 weights.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record WeightError(
      @JsonProperty("tensor") String tensor,
      @JsonProperty("node") String node,
      @JsonProperty("opType") String opType,
      @JsonProperty("params") QuantParams params,
      @JsonProperty("shape") int[] shape,
      @JsonProperty("channelAxis") int channelAxis,
      @JsonProperty("sqnrDb") Double sqnrDb,
      @JsonProperty("maxAbsError") double maxAbsError,
      @JsonProperty("meanAbsError") double meanAbsError,
      @JsonProperty("clippedShare") double clippedShare,
      @JsonProperty("channelSqnrDb") List<Double> channelSqnrDb,
      @JsonProperty("histogram") Histogram histogram) {}

  /** An image whose top-1 class differs: its index in the dataset, label, both predictions and their scores. */
  public record Flip(
      @JsonProperty("index") int index,
      @JsonProperty("label") int label,
      @JsonProperty("fp32") int fp32,
      @JsonProperty("int8") int int8,
      @JsonProperty("fp32Score") float fp32Score,
      @JsonProperty("int8Score") float int8Score) {}

  /** Top-1 of the FP32 model on these images, or null when the model is not a classifier of them. */
  @JsonIgnore
  public Double fp32Top1() {
    return fp32Correct == null || images == 0 ? null : (double) fp32Correct / images;
  }

  @JsonIgnore
  public Double int8Top1() {
    return int8Correct == null || images == 0 ? null : (double) int8Correct / images;
  }

  public String toJson() {
    try {
      return JsonFiles.mapper().writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize quantization error report", e);
    }
  }

  public static QuantErrorReport fromJson(String json) {
    try {
      return JsonFiles.mapper().readValue(json, QuantErrorReport.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new ModelFormatException("not a valid quantization error report: " + e.getMessage(), e);
    }
  }

  /** Writes the JSON atomically (temporary file, then rename). */
  public void writeJson(Path file) throws IOException {
    JsonFiles.writeAtomically(file, toJson());
  }

  public static QuantErrorReport readJson(Path file) throws IOException {
    try {
      return fromJson(Files.readString(file, StandardCharsets.UTF_8));
    } catch (ModelFormatException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  /** Tables for a terminal: activations, weights, flips. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    String nl = System.lineSeparator();
    sb.append(String.format(Locale.ROOT, "%s on %s: %d images of %s", model, backend, images, dataset));
    if (fp32Correct != null && int8Correct != null) {
      sb.append(String.format(Locale.ROOT, ", FP32 top-1 %.2f %%, INT8 top-1 %.2f %%, %d flipped", 100 * fp32Top1(),
          100 * int8Top1(), flips.size()));
    }
    sb.append(nl).append(nl);
    int w = "activation".length();
    for (ActivationError a : activations) {
      w = Math.max(w, a.tensor().length());
    }
    String row = "%-" + w + "s  %-18s  %9s  %9s  %11s  %11s  %8s%n";
    sb.append(String.format(Locale.ROOT, row, "activation", "written by", "SQNR dB", "local dB", "max |err|",
        "mean |err|", "clipped"));
    for (ActivationError a : activations) {
      sb.append(String.format(Locale.ROOT, row, a.tensor(), a.opType(), db(a.sqnrDb()), db(a.localSqnrDb()),
          num(a.maxAbsError()), num(a.meanAbsError()), String.format(Locale.ROOT, "%.3f%%", 100 * a.clippedShare())));
    }
    sb.append(nl);
    w = "weight".length();
    for (WeightError x : weights) {
      w = Math.max(w, x.tensor().length());
    }
    row = "%-" + w + "s  %-6s  %9s  %-24s  %11s%n";
    sb.append(String.format(Locale.ROOT, row, "weight", "op", "SQNR dB", "per channel dB min..max", "max |err|"));
    for (WeightError x : weights) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (Double d : x.channelSqnrDb()) {
        if (d != null) {
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
      }
      String channels = lo > hi ? "—" : String.format(Locale.ROOT, "%.1f..%.1f (%d)", lo, hi, x.channelSqnrDb().size());
      sb.append(String.format(Locale.ROOT, row, x.tensor(), x.opType(), db(x.sqnrDb()), channels, num(x.maxAbsError())));
    }
    if (!flips.isEmpty()) {
      sb.append(nl).append("flipped predictions (image: label, FP32 -> INT8):").append(nl);
      for (Flip f : flips) {
        sb.append(String.format(Locale.ROOT, "  %5d: %s, %s -> %s%n", f.index(), name(f.label()), name(f.fp32()),
            name(f.int8())));
      }
    }
    for (String warning : warnings) {
      sb.append("warning: ").append(warning).append(nl);
    }
    return sb.toString();
  }

  private String name(int cls) {
    return cls >= 0 && cls < classNames.size() ? classNames.get(cls) : String.valueOf(cls);
  }

  private static String db(Double v) {
    return v == null ? "exact" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
