package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.internal.JsonFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a QDQ graph contains, as computed by {@link QdqInspector}: Q/DQ node counts and share, how
 * each tensor is quantized, the scale ratio at every Add fed by two DequantizeLinear nodes, and
 * weight storage. JSON ({@link #toJson}, {@link #save}, {@link #load}) tagged {@link #FORMAT};
 * {@link #toText} is a table. Immutable: arrays are copied in and out.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
@JsonPropertyOrder({"format", "graph", "nodes", "quantizeLinear", "dequantizeLinear", "quantizeShare", "dequantizeShare",
    "opCounts", "tensors", "adds", "weights"})
public record InspectionReport(
    @JsonProperty("graph") String graph,
    @JsonProperty("nodes") int nodes,
    @JsonProperty("quantizeLinear") int quantizeLinear,
    @JsonProperty("dequantizeLinear") int dequantizeLinear,
    @JsonProperty("opCounts") ImmutableMap<String, Integer> opCounts,
    @JsonProperty("tensors") ImmutableList<TensorQuantization> tensors,
    @JsonProperty("adds") ImmutableList<AddScales> adds,
    @JsonProperty("weights") WeightBytes weights) {
  /** Format tag written into the JSON form. */
  public static final String FORMAT = "quantkit.inspection/1";

  public InspectionReport {
    Preconditions.checkNotNull(opCounts, "opCounts");
    Preconditions.checkNotNull(tensors, "tensors");
    Preconditions.checkNotNull(adds, "adds");
    Preconditions.checkNotNull(weights, "weights");
  }

  @JsonCreator
  static InspectionReport fromJsonFields(
      @JsonProperty("format") String format,
      @JsonProperty("graph") String graph,
      @JsonProperty("nodes") int nodes,
      @JsonProperty("quantizeLinear") int quantizeLinear,
      @JsonProperty("dequantizeLinear") int dequantizeLinear,
      @JsonProperty("opCounts") Map<String, Integer> opCounts,
      @JsonProperty("tensors") List<TensorQuantization> tensors,
      @JsonProperty("adds") List<AddScales> adds,
      @JsonProperty("weights") WeightBytes weights) {
    JsonFiles.checkFormat(format, "inspection report", Set.of(FORMAT));
    return new InspectionReport(graph, nodes, quantizeLinear, dequantizeLinear, ImmutableMap.copyOf(opCounts),
        ImmutableList.copyOf(tensors), ImmutableList.copyOf(adds), weights);
  }

  /**
   * One quantized tensor: an activation (input of a QuantizeLinear) or a constant stored quantized
   * (input of a DequantizeLinear): role ACTIVATION, WEIGHT, BIAS or CONSTANT.
   */
  public record TensorQuantization(
      @JsonProperty("tensor") String tensor,
      @JsonProperty("role") String role,
      @JsonProperty("type") QuantType type,
      @JsonProperty("scales") float[] scales,
      @JsonProperty("zeroPoints") int[] zeroPoints,
      @JsonProperty("axis") int axis) {
    public TensorQuantization {
      scales = scales.clone();
      zeroPoints = zeroPoints.clone();
    }

    /** A copy. */
    @Override
    @JsonProperty("scales")
    public float[] scales() {
      return scales.clone();
    }

    /** A copy. */
    @Override
    @JsonProperty("zeroPoints")
    public int[] zeroPoints() {
      return zeroPoints.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorQuantization t && tensor.equals(t.tensor) && role.equals(t.role) && type == t.type
          && axis == t.axis && Arrays.equals(scales, t.scales) && Arrays.equals(zeroPoints, t.zeroPoints);
    }

    @Override
    public int hashCode() {
      return Objects.hash(tensor, role, type, axis, Arrays.hashCode(scales), Arrays.hashCode(zeroPoints));
    }

    @Override
    public String toString() {
      return "TensorQuantization(" + tensor + ", " + role + ", " + type + ", axis " + axis + ", scales "
          + Arrays.toString(scales) + ", zero points " + Arrays.toString(zeroPoints) + ")";
    }
  }

  /**
   * An Add both of whose inputs come from DequantizeLinear: the activations that were quantized
   * (inputs of the matching QuantizeLinear when there is one), their scales, and larger / smaller.
   */
  public record AddScales(
      @JsonProperty("node") String node,
      @JsonProperty("inputA") String inputA,
      @JsonProperty("inputB") String inputB,
      @JsonProperty("scaleA") float scaleA,
      @JsonProperty("scaleB") float scaleB,
      @JsonProperty("ratio") double ratio) {}

  /**
   * Weights and biases (initializers read by compute ops directly or through a DequantizeLinear):
   * {@code fp32Bytes} as if all were FLOAT32, {@code storedBytes} as stored (INT8 1 byte, INT32
   * and FLOAT32 4), scales and zero points counted apart in {@code quantParamBytes}.
   */
  public record WeightBytes(
      @JsonProperty("fp32Bytes") long fp32Bytes,
      @JsonProperty("storedBytes") long storedBytes,
      @JsonProperty("quantParamBytes") long quantParamBytes,
      @JsonProperty("quantizedTensors") int quantizedTensors,
      @JsonProperty("floatTensors") int floatTensors) {
    /** fp32Bytes / (storedBytes + quantParamBytes). */
    @JsonProperty("compression")
    public double compression() {
      long total = storedBytes + quantParamBytes;
      return total == 0 ? 1 : (double) fp32Bytes / total;
    }
  }

  /** QuantizeLinear nodes / all nodes. */
  @JsonProperty("quantizeShare")
  public double quantizeShare() {
    return nodes == 0 ? 0 : (double) quantizeLinear / nodes;
  }

  /** DequantizeLinear nodes / all nodes. */
  @JsonProperty("dequantizeShare")
  public double dequantizeShare() {
    return nodes == 0 ? 0 : (double) dequantizeLinear / nodes;
  }

  /** The format tag of the JSON form, {@link #FORMAT}. */
  @JsonProperty("format")
  String format() {
    return FORMAT;
  }

  public String toJson() {
    return JsonFiles.toJson(this, "inspection report");
  }

  /** Parses a report; {@link io.quantkit.ModelFormatException} when the text is not one. */
  public static InspectionReport fromJson(String json) {
    return JsonFiles.fromJson(json, InspectionReport.class, "inspection report");
  }

  /**
   * Writes the JSON form atomically (temporary file in the same folder, then a move).
   *
   * @throws io.quantkit.QuantkitException naming the file when it cannot be written
   */
  public void save(Path file) {
    JsonFiles.save(file, this, "inspection report");
  }

  /**
   * Reads a report written by {@link #save}.
   *
   * @throws io.quantkit.ModelFormatException naming the file when it is missing, unreadable or not a report
   */
  public static InspectionReport load(Path file) {
    return JsonFiles.load(file, InspectionReport.class, "inspection report");
  }

  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "graph %s: %d nodes, %d QuantizeLinear (%.1f %%), %d DequantizeLinear (%.1f %%)%n",
        graph, nodes, quantizeLinear, 100 * quantizeShare(), dequantizeLinear, 100 * dequantizeShare()));
    sb.append("ops:");
    opCounts.forEach((op, c) -> sb.append(' ').append(op).append('=').append(c));
    sb.append(System.lineSeparator()).append(System.lineSeparator());
    int w = "tensor".length();
    for (TensorQuantization t : tensors) {
      w = Math.max(w, t.tensor().length());
    }
    String row = "%-" + w + "s  %-10s  %-5s  %4s  %-28s  %s%n";
    sb.append(String.format(Locale.ROOT, row, "tensor", "role", "type", "axis", "scale(s)", "zero point(s)"));
    for (TensorQuantization t : tensors) {
      sb.append(String.format(Locale.ROOT, row, t.tensor(), t.role(), t.type(), t.axis() < 0 ? "-" : String.valueOf(t.axis()),
          summarize(t.scales()), summarize(t.zeroPoints())));
    }
    if (!adds.isEmpty()) {
      sb.append(System.lineSeparator()).append("Add inputs (scale ratio larger/smaller):").append(System.lineSeparator());
      for (AddScales a : adds) {
        sb.append(String.format(Locale.ROOT, "  %s: %s %.6g, %s %.6g, ratio %.2f%n", a.node(), a.inputA(), a.scaleA(),
            a.inputB(), a.scaleB(), a.ratio()));
      }
    }
    sb.append(System.lineSeparator()).append(String.format(Locale.ROOT,
        "weights: %d bytes as FP32, %d bytes stored + %d bytes of scales/zero points (%.2fx smaller); %d quantized, %d FP32 tensors%n",
        weights.fp32Bytes(), weights.storedBytes(), weights.quantParamBytes(), weights.compression(),
        weights.quantizedTensors(), weights.floatTensors()));
    return sb.toString();
  }

  private static String summarize(float[] v) {
    if (v.length == 1) {
      return String.format(Locale.ROOT, "%.6g", v[0]);
    }
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (float x : v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    return String.format(Locale.ROOT, "%d: %.3g..%.3g", v.length, lo, hi);
  }

  private static String summarize(int[] v) {
    if (v.length == 1) {
      return String.valueOf(v[0]);
    }
    return Arrays.stream(v).allMatch(x -> x == v[0]) ? v.length + " x " + v[0] : Arrays.toString(v);
  }
}
