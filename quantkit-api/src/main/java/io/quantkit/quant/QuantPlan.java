package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.quantkit.ModelFormatException;
import io.quantkit.internal.JsonFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The one artifact every backend consumes: for each IR tensor name, how it is quantized. It holds
 * activations (calibrated), weights (INT8, per channel or per tensor), biases (INT32, scale =
 * input scale x weight scale) and quantized constants, plus how it was made (options, calibration
 * method, number of calibration images) and, per calibrated tensor, what was observed.
 *
 * <p>Keys are tensor names of the graph after {@link io.quantkit.ir.passes.BatchNormFolding}
 * (which keeps the BatchNorm output names). When a ReLU is folded into its producer, the key is
 * the ReLU's output (the producer's own output is then never materialized in FP32).
 *
 * <p>Immutable. Round-trips through JSON exactly ({@link #toJson}, {@link #fromJson}, {@link #save},
 * {@link #load}); the file carries {@link #FORMAT}.
 *
 * <p>Thread-safety: immutable and thread-safe; its {@link Builder} is not.
 */
@JsonPropertyOrder({"format", "graph", "calibration", "options", "adjustments", "tensors", "observations", "metadata"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class QuantPlan {
  /**
   * Format tag written into every file. Version 2 records the calibration's estimator by name and
   * parameters; version 1 (method and percentile) and plans without a format still load.
   */
  public static final String FORMAT = "quantkit.quant-plan/2";
  /** The previous format, still read. */
  static final String FORMAT_V1 = "quantkit.quant-plan/1";
  /**
   * The format of a plan with {@link #adjustments()} (weights or biases edited by equalization or
   * bias correction); plans without them keep writing {@link #FORMAT}, so older readers still
   * read every plan they can apply.
   */
  public static final String FORMAT_V3 = "quantkit.quant-plan/3";

  private final String graph;
  private final CalibrationInfo calibration;
  private final QuantOptions options;
  private final ImmutableMap<String, QuantParams> tensors;
  private final ImmutableMap<String, Observation> observations;
  private final ImmutableMap<String, String> metadata;
  private final GraphAdjustments adjustments;

  /**
   * How the activation ranges were obtained: the {@link RangeEstimator}'s name and parameters,
   * the number of calibration samples and what they were ({@link CalibrationData#name()}). Null
   * fields are unknown (a hand-made plan).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"estimator", "parameters", "samples", "dataset"})
  public record CalibrationInfo(
      @JsonProperty("estimator") String estimator,
      @JsonProperty("parameters") @JsonInclude(JsonInclude.Include.NON_EMPTY) ImmutableMap<String, Double> parameters,
      @JsonProperty("samples") int samples,
      @JsonProperty("dataset") String dataset) {
    public CalibrationInfo {
      parameters = parameters == null ? ImmutableMap.of() : ImmutableMap.copyOf(parameters);
    }

    /**
     * Reads both forms: version 2 ({@code estimator}, {@code parameters}) and version 1
     * ({@code method}, {@code percentile}), which maps onto the built-in estimator's name.
     */
    @JsonCreator
    static CalibrationInfo fromJson(
        @JsonProperty("estimator") String estimator,
        @JsonProperty("parameters") Map<String, Double> parameters,
        @JsonProperty("method") CalibrationMethod method,
        @JsonProperty("percentile") Double percentile,
        @JsonProperty("samples") int samples,
        @JsonProperty("dataset") String dataset) {
      if (estimator == null && method != null) {
        estimator = method.name().toLowerCase(Locale.ROOT);
        parameters = percentile == null ? Map.of() : Map.of("percentile", percentile);
      }
      return new CalibrationInfo(estimator, parameters == null ? null : ImmutableMap.copyOf(parameters), samples, dataset);
    }

    /** The built-in method the estimator is, if it is one. */
    @JsonIgnore
    public Optional<CalibrationMethod> method() {
      return estimator == null ? Optional.empty() : RangeEstimators.methodNamed(estimator);
    }
  }

  /**
   * What calibration saw of one tensor and the range it chose: {@code count} values, observed
   * [observedMin, observedMax], quantized over [min, max] (before widening to include 0).
   */
  public record Observation(
      @JsonProperty("count") long count,
      @JsonProperty("observedMin") float observedMin,
      @JsonProperty("observedMax") float observedMax,
      @JsonProperty("min") float min,
      @JsonProperty("max") float max) {}

  @JsonCreator
  private QuantPlan(
      @JsonProperty("format") String format,
      @JsonProperty("graph") String graph,
      @JsonProperty("calibration") CalibrationInfo calibration,
      @JsonProperty("options") QuantOptions options,
      @JsonProperty("adjustments") GraphAdjustments adjustments,
      @JsonProperty("tensors") Map<String, QuantParams> tensors,
      @JsonProperty("observations") Map<String, Observation> observations,
      @JsonProperty("metadata") Map<String, String> metadata) {
    JsonFiles.checkFormat(format, "quantization plan", Set.of(FORMAT, FORMAT_V1, FORMAT_V3));
    this.adjustments = adjustments == null ? GraphAdjustments.none() : adjustments;
    this.graph = graph == null ? "" : graph;
    this.calibration = calibration;
    this.options = options == null ? QuantOptions.defaults() : options;
    this.tensors = tensors == null ? ImmutableMap.of() : ImmutableMap.copyOf(tensors);
    this.observations = observations == null ? ImmutableMap.of() : ImmutableMap.copyOf(observations);
    this.metadata = metadata == null ? ImmutableMap.of() : ImmutableMap.copyOf(metadata);
  }

  public static Builder builder(String graphName) {
    return new Builder(graphName);
  }

  public Builder toBuilder() {
    Builder b = new Builder(graph).options(options).calibration(calibration).adjustments(adjustments);
    b.tensors.putAll(tensors);
    b.observations.putAll(observations);
    b.metadata.putAll(metadata);
    return b;
  }

  @JsonProperty("format")
  String format() {
    return adjustments.isEmpty() ? FORMAT : FORMAT_V3;
  }

  /**
   * Edits of the BatchNorm-folded graph's weights and biases that the plan's parameters were
   * computed for ({@link Equalization}, {@link BiasCorrection}); {@link Qdq} applies them first.
   * Empty for a plain calibration.
   */
  @JsonIgnore
  public GraphAdjustments adjustments() {
    return adjustments;
  }

  @JsonProperty("adjustments")
  GraphAdjustments adjustmentsJson() {
    return adjustments.isEmpty() ? null : adjustments;
  }

  /** Name of the graph the plan was made for. */
  @JsonProperty("graph")
  public String graph() {
    return graph;
  }

  @JsonProperty("calibration")
  public CalibrationInfo calibration() {
    return calibration;
  }

  @JsonProperty("options")
  public QuantOptions options() {
    return options;
  }

  /** Tensor name to parameters, in graph order. */
  @JsonProperty("tensors")
  public ImmutableMap<String, QuantParams> tensors() {
    return tensors;
  }

  public Optional<QuantParams> params(String tensor) {
    return Optional.ofNullable(tensors.get(tensor));
  }

  public boolean contains(String tensor) {
    return tensors.containsKey(tensor);
  }

  public int size() {
    return tensors.size();
  }

  /** Per calibrated tensor: what was observed and the range chosen. */
  @JsonProperty("observations")
  public ImmutableMap<String, Observation> observations() {
    return observations;
  }

  @JsonProperty("metadata")
  public ImmutableMap<String, String> metadata() {
    return metadata;
  }

  public String toJson() {
    return JsonFiles.toJson(this, "quantization plan");
  }

  /** Parses a plan (this format, the previous one, or none); {@link ModelFormatException} when the text is not one. */
  public static QuantPlan fromJson(String json) {
    return JsonFiles.fromJson(json, QuantPlan.class, "quantization plan");
  }

  /**
   * Writes the plan as JSON atomically (temporary file in the same folder, then rename).
   *
   * @throws io.quantkit.QuantkitException naming the file when it cannot be written
   */
  public void save(Path file) {
    JsonFiles.save(file, this, "quantization plan");
  }

  /**
   * Reads a plan written by {@link #save} (or by hand).
   *
   * @throws ModelFormatException naming the file when it is missing, unreadable or not a plan
   */
  public static QuantPlan load(Path file) {
    return JsonFiles.load(file, QuantPlan.class, "quantization plan");
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof QuantPlan)) {
      return false;
    }
    QuantPlan p = (QuantPlan) o;
    return graph.equals(p.graph) && Objects.equals(calibration, p.calibration) && options.equals(p.options)
        && tensors.equals(p.tensors) && observations.equals(p.observations) && metadata.equals(p.metadata)
        && adjustments.equals(p.adjustments);
  }

  @Override
  public int hashCode() {
    return Objects.hash(graph, calibration, options, tensors, observations, metadata, adjustments);
  }

  @Override
  public String toString() {
    return "QuantPlan(" + graph + ", " + tensors.size() + " tensors"
        + (calibration == null ? "" : ", " + calibration.method() + " on " + calibration.samples() + " samples") + ")";
  }

  public static final class Builder {
    private final String graph;
    private CalibrationInfo calibration;
    private QuantOptions options = QuantOptions.defaults();
    private final Map<String, QuantParams> tensors = new LinkedHashMap<>();
    private final Map<String, Observation> observations = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private GraphAdjustments adjustments = GraphAdjustments.none();

    private Builder(String graph) {
      this.graph = Preconditions.checkNotNull(graph);
    }

    public Builder options(QuantOptions value) {
      this.options = Preconditions.checkNotNull(value);
      return this;
    }

    /** Weight and bias edits the parameters were computed for (none by default). */
    public Builder adjustments(GraphAdjustments value) {
      this.adjustments = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder calibration(CalibrationInfo value) {
      this.calibration = value;
      return this;
    }

    public Builder put(String tensor, QuantParams params) {
      tensors.put(Preconditions.checkNotNull(tensor), Preconditions.checkNotNull(params));
      return this;
    }

    public Builder remove(String tensor) {
      tensors.remove(tensor);
      observations.remove(tensor);
      return this;
    }

    public Builder observation(String tensor, Observation value) {
      observations.put(tensor, value);
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    public QuantPlan build() {
      return new QuantPlan(FORMAT, graph, calibration, options, adjustments, tensors, observations, metadata);
    }
  }
}
