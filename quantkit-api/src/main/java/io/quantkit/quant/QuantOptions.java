package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableSortedSet;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;

/**
 * What gets quantized and how: the choices that both calibration (which tensors to observe) and
 * the QDQ pass (where to put QuantizeLinear/DequantizeLinear) must agree on. A {@link QuantPlan}
 * records the options it was made with, so {@link Qdq#quantize(io.quantkit.ir.Graph, QuantPlan)}
 * reproduces the same placement.
 *
 * <p>Thread-safety: immutable and thread-safe; its {@link Builder} is not.
 */
public final class QuantOptions {
  private final QuantType activationType;
  private final boolean symmetricActivations;
  private final boolean perChannelWeights;
  private final CalibrationMethod weightMethod;
  private final ImmutableSortedSet<String> excludeNodes;
  private final ImmutableSortedSet<String> excludeOpTypes;
  private final boolean dequantizePerConsumer;
  private final boolean shareAddInputScales;
  private final boolean reduceWeightRange;
  private final boolean saturationSafeInput;
  private final boolean simplifyGraph;
  private final int padInputChannels;

  @JsonCreator
  QuantOptions(
      @JsonProperty("activationType") QuantType activationType,
      @JsonProperty("symmetricActivations") boolean symmetricActivations,
      @JsonProperty("perChannelWeights") boolean perChannelWeights,
      @JsonProperty("weightMethod") CalibrationMethod weightMethod,
      @JsonProperty("excludeNodes") Collection<String> excludeNodes,
      @JsonProperty("excludeOpTypes") Collection<String> excludeOpTypes,
      @JsonProperty("dequantizePerConsumer") boolean dequantizePerConsumer,
      @JsonProperty("shareAddInputScales") boolean shareAddInputScales,
      @JsonProperty("reduceWeightRange") boolean reduceWeightRange,
      @JsonProperty("saturationSafeInput") Boolean saturationSafeInput,
      @JsonProperty("simplifyGraph") Boolean simplifyGraph,
      @JsonProperty("padInputChannels") Integer padInputChannels) {
    Preconditions.checkArgument(activationType == QuantType.UINT8 || activationType == QuantType.INT8,
        "activations are quantized to UINT8 or INT8, not %s", activationType);
    Preconditions.checkArgument(weightMethod == CalibrationMethod.MINMAX || weightMethod == CalibrationMethod.MSE,
        "weights use MINMAX or MSE, not %s", weightMethod);
    this.activationType = activationType;
    this.symmetricActivations = symmetricActivations;
    this.perChannelWeights = perChannelWeights;
    this.weightMethod = weightMethod;
    this.excludeNodes = excludeNodes == null ? ImmutableSortedSet.of() : ImmutableSortedSet.copyOf(excludeNodes);
    this.excludeOpTypes = excludeOpTypes == null ? ImmutableSortedSet.of() : ImmutableSortedSet.copyOf(excludeOpTypes);
    this.dequantizePerConsumer = dequantizePerConsumer;
    this.shareAddInputScales = shareAddInputScales;
    this.reduceWeightRange = reduceWeightRange;
    this.saturationSafeInput = saturationSafeInput == null || saturationSafeInput;
    this.simplifyGraph = simplifyGraph == null || simplifyGraph;
    this.padInputChannels = padInputChannels == null ? 0 : padInputChannels;
    Preconditions.checkArgument(this.padInputChannels >= 0 && this.padInputChannels <= 64,
        "padInputChannels is 0 (off) or a channel multiple from 1 to 64, not %s", this.padInputChannels);
  }

  public static QuantOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .activationType(activationType)
        .symmetricActivations(symmetricActivations)
        .perChannelWeights(perChannelWeights)
        .weightMethod(weightMethod)
        .excludeNodes(excludeNodes)
        .excludeOpTypes(excludeOpTypes)
        .dequantizePerConsumer(dequantizePerConsumer)
        .shareAddInputScales(shareAddInputScales)
        .reduceWeightRange(reduceWeightRange)
        .saturationSafeInput(saturationSafeInput)
        .simplifyGraph(simplifyGraph)
        .padInputChannels(padInputChannels);
  }

  /**
   * Simplify the graph before calibration and quantization (default true): Mul/Add by constants
   * and BatchNorms next to a Conv/Gemm/MatMul folded into its weights, BatchNorm after a Concat of
   * convs split into them, weights reached through Reshape/Transpose made initializers, identities
   * removed ({@link io.quantkit.ir.passes.GraphSimplification}). False only folds BatchNorm into
   * the Conv before it, as before simplification existed. Plans made with the default do not
   * mention it, so their JSON is the same as before.
   */
  public boolean simplifyGraph() {
    return simplifyGraph;
  }

  /**
   * Zero-pad the input channels of quantized convolutions that read a graph input to a multiple of
   * this (0, the default: off), after quantization ({@link io.quantkit.ir.passes.ConvChannelPadding}).
   * Outputs are unchanged bit for bit; what changes is which kernel a backend picks: ONNX Runtime's
   * x86 integer direct convolution needs input channels divisible by 4, and a 3-channel INT8 stem
   * falls back to a path slower than its FP32 one (ResNet8 at batch 32: INT8/FP32 1.58x unpadded,
   * 1.79x padded to 4; README, "Speed"). Plans made without it do not mention it.
   */
  public int padInputChannels() {
    return padInputChannels;
  }

  @JsonProperty("padInputChannels")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private Integer padInputChannelsForJson() {
    return padInputChannels == 0 ? null : padInputChannels;
  }

  /** Serialized only when off, so that plans made with the default keep their JSON. */
  @JsonProperty("simplifyGraph")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private Boolean simplifyGraphForJson() {
    return simplifyGraph ? null : Boolean.FALSE;
  }

  /**
   * Quantize the model input with 7 of its 8 bits (UINT8 values 0..127 for non-negative inputs;
   * default true). The first layer sees dense, large values (raw pixels), and on x86 CPUs without
   * VNNI ONNX Runtime multiplies UINT8 activations by INT8 weights with VPMADDUBSW, whose int16
   * pair sums overflow at 2 x 255 x 127: on an AVX2 machine that flipped 57 of 1,000 ResNet8
   * predictions instead of the 18 the QDQ arithmetic itself flips. Halving the input's range keeps
   * every pair below 32,767 and costs only the lowest bit of each pixel. Deeper layers' sparse
   * post-ReLU activations were measured not to saturate, so they keep all 8 bits.
   */
  @JsonProperty("saturationSafeInput")
  public boolean saturationSafeInput() {
    return saturationSafeInput;
  }

  /**
   * Quantized weights limited to [-64, 64] instead of [-127, 127]. x86 CPUs without VNNI (AVX2,
   * AVX-512 before Cascade Lake) multiply UINT8 activations by INT8 weights with VPMADDUBSW, which
   * adds two products in saturating int16: with full-range weights a pair can reach 2 x 255 x 127
   * and clip, so ONNX Runtime's integer kernels disagree with the QDQ model's own arithmetic.
   * Halving the weight range makes the overflow impossible at the cost of one bit of weight
   * precision. INT8 activations are not affected.
   */
  @JsonProperty("reduceWeightRange")
  public boolean reduceWeightRange() {
    return reduceWeightRange;
  }

  /** The largest quantized weight magnitude these options produce. */
  public int weightQmax() {
    return reduceWeightRange ? QuantMath.REDUCED_WEIGHT_QMAX : (int) QuantType.INT8.qmax();
  }

  /** UINT8 (default; ONNX Runtime's fastest x86 kernels) or INT8. */
  @JsonProperty("activationType")
  public QuantType activationType() {
    return activationType;
  }

  /** Zero point fixed at 0 (INT8) or 128 (UINT8). Default false: asymmetric, which also lets ReLU fold away. */
  @JsonProperty("symmetricActivations")
  public boolean symmetricActivations() {
    return symmetricActivations;
  }

  /** One INT8 scale per output channel of Conv/Gemm/MatMul weights (default true) instead of one per tensor. */
  @JsonProperty("perChannelWeights")
  public boolean perChannelWeights() {
    return perChannelWeights;
  }

  /** MINMAX (default) or MSE: how the weight clipping threshold is chosen. */
  @JsonProperty("weightMethod")
  public CalibrationMethod weightMethod() {
    return weightMethod;
  }

  /** Node names kept in FP32. */
  @JsonProperty("excludeNodes")
  public ImmutableSortedSet<String> excludeNodes() {
    return excludeNodes;
  }

  /** Op types (ONNX names, e.g. "Add") kept in FP32. */
  @JsonProperty("excludeOpTypes")
  public ImmutableSortedSet<String> excludeOpTypes() {
    return excludeOpTypes;
  }

  /**
   * One DequantizeLinear per consumer of a quantized tensor (default true), so each integer op
   * has its own DQ, the form ONNX Runtime's fusions match; false shares one DQ among consumers
   * (ONNX Runtime's tool default, which its loader then duplicates).
   */
  @JsonProperty("dequantizePerConsumer")
  public boolean dequantizePerConsumer() {
    return dequantizePerConsumer;
  }

  /**
   * Give both inputs of every quantized Add the same scale and zero point (the union of their
   * ranges; default false). Costs resolution on the narrower input; for targets whose integer
   * Add requires equal input scales.
   */
  @JsonProperty("shareAddInputScales")
  public boolean shareAddInputScales() {
    return shareAddInputScales;
  }

  boolean excludes(io.quantkit.ir.Node node) {
    return excludeNodes.contains(node.name()) || excludeOpTypes.contains(node.op().type());
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof QuantOptions)) {
      return false;
    }
    QuantOptions q = (QuantOptions) o;
    return activationType == q.activationType && symmetricActivations == q.symmetricActivations
        && perChannelWeights == q.perChannelWeights && weightMethod == q.weightMethod
        && reduceWeightRange == q.reduceWeightRange && saturationSafeInput == q.saturationSafeInput
        && excludeNodes.equals(q.excludeNodes) && excludeOpTypes.equals(q.excludeOpTypes)
        && dequantizePerConsumer == q.dequantizePerConsumer && shareAddInputScales == q.shareAddInputScales
        && simplifyGraph == q.simplifyGraph && padInputChannels == q.padInputChannels;
  }

  @Override
  public int hashCode() {
    return Objects.hash(activationType, symmetricActivations, perChannelWeights, weightMethod, reduceWeightRange, saturationSafeInput, excludeNodes,
        excludeOpTypes, dequantizePerConsumer, shareAddInputScales, simplifyGraph, padInputChannels);
  }

  @Override
  public String toString() {
    return "QuantOptions(activations=" + activationType + (symmetricActivations ? " symmetric" : " asymmetric")
        + ", weights=INT8 " + (perChannelWeights ? "per-channel" : "per-tensor") + " " + weightMethod
        + (reduceWeightRange ? " reduced range" : "") + (saturationSafeInput ? ", 7-bit input" : "")
        + ", excludeNodes=" + excludeNodes + ", excludeOpTypes=" + excludeOpTypes
        + ", dequantizePerConsumer=" + dequantizePerConsumer + ", shareAddInputScales=" + shareAddInputScales
        + (simplifyGraph ? "" : ", simplifyGraph=false")
        + (padInputChannels == 0 ? "" : ", padInputChannels=" + padInputChannels) + ")";
  }

  public static final class Builder {
    private QuantType activationType = QuantType.UINT8;
    private boolean symmetricActivations;
    private boolean perChannelWeights = true;
    private CalibrationMethod weightMethod = CalibrationMethod.MINMAX;
    private Set<String> excludeNodes = Set.of();
    private Set<String> excludeOpTypes = Set.of();
    private boolean dequantizePerConsumer = true;
    private boolean shareAddInputScales;
    private boolean reduceWeightRange;
    private boolean saturationSafeInput = true;
    private boolean simplifyGraph = true;
    private int padInputChannels;

    private Builder() {}

    public Builder activationType(QuantType value) {
      this.activationType = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder symmetricActivations(boolean value) {
      this.symmetricActivations = value;
      return this;
    }

    public Builder perChannelWeights(boolean value) {
      this.perChannelWeights = value;
      return this;
    }

    public Builder weightMethod(CalibrationMethod value) {
      this.weightMethod = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder excludeNodes(Collection<String> names) {
      this.excludeNodes = Set.copyOf(names);
      return this;
    }

    public Builder excludeOpTypes(Collection<String> opTypes) {
      this.excludeOpTypes = Set.copyOf(opTypes);
      return this;
    }

    public Builder dequantizePerConsumer(boolean value) {
      this.dequantizePerConsumer = value;
      return this;
    }

    public Builder shareAddInputScales(boolean value) {
      this.shareAddInputScales = value;
      return this;
    }

    public Builder reduceWeightRange(boolean value) {
      this.reduceWeightRange = value;
      return this;
    }

    public Builder saturationSafeInput(boolean value) {
      this.saturationSafeInput = value;
      return this;
    }

    /** See {@link QuantOptions#simplifyGraph()}. */
    public Builder simplifyGraph(boolean value) {
      this.simplifyGraph = value;
      return this;
    }

    /** See {@link QuantOptions#padInputChannels()}; 0 turns it off. */
    public Builder padInputChannels(int multiple) {
      this.padInputChannels = multiple;
      return this;
    }

    public QuantOptions build() {
      return new QuantOptions(activationType, symmetricActivations, perChannelWeights, weightMethod, excludeNodes,
          excludeOpTypes, dequantizePerConsumer, shareAddInputScales, reduceWeightRange, saturationSafeInput,
          simplifyGraph, padInputChannels);
    }
  }
}
