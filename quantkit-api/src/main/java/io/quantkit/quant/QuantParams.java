package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.Objects;

/**
 * How one tensor is quantized: {@code q = saturate(round_half_even(x / scale) + zeroPoint)} and
 * back {@code x = (q - zeroPoint) * scale}, exactly ONNX QuantizeLinear/DequantizeLinear.
 *
 * <p>Per-tensor parameters have one scale, one zero point and {@code axis == -1}; per-channel
 * parameters have one of each per index of {@code axis}. Immutable: arrays are copied in and out.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class QuantParams {
  /** The axis value of per-tensor parameters. */
  public static final int PER_TENSOR = -1;
  /**
   * The smallest scale accepted: the smallest normal float. Below it {@code x / scale} overflows
   * for ordinary values and every tensor saturates (a plan with scale 1e-45 scores 8 % on ResNet8).
   */
  public static final float MIN_SCALE = Float.MIN_NORMAL;
  /**
   * The largest scale accepted: INT32 bias values (up to 2^31) times the scale stay finite.
   */
  public static final float MAX_SCALE = Float.MAX_VALUE / 0x1p31f;

  private final QuantType type;
  private final float[] scales;
  private final int[] zeroPoints;
  private final int axis;

  @JsonCreator
  public QuantParams(
      @JsonProperty("type") QuantType type,
      @JsonProperty("scales") float[] scales,
      @JsonProperty("zeroPoints") int[] zeroPoints,
      @JsonProperty("axis") int axis) {
    Preconditions.checkNotNull(type, "quantization type is missing");
    Preconditions.checkNotNull(scales, "scales are missing");
    Preconditions.checkNotNull(zeroPoints, "zero points are missing");
    Preconditions.checkArgument(scales.length > 0, "no scales");
    Preconditions.checkArgument(scales.length == zeroPoints.length,
        "%s scales but %s zero points", scales.length, zeroPoints.length);
    Preconditions.checkArgument(axis >= PER_TENSOR, "axis is %s; it must be -1 (per tensor) or a dimension >= 0", axis);
    Preconditions.checkArgument(axis != PER_TENSOR || scales.length == 1,
        "per-tensor parameters need exactly one scale, got %s", scales.length);
    for (int i = 0; i < scales.length; i++) {
      float s = scales[i];
      Preconditions.checkArgument(s >= MIN_SCALE && s <= MAX_SCALE,
          "scales[%s] is %s; a scale must be a positive normal float from %s to %s", i, (Object) s, MIN_SCALE, MAX_SCALE);
      Preconditions.checkArgument(zeroPoints[i] >= type.qmin() && zeroPoints[i] <= type.qmax(),
          "zeroPoints[%s] is %s, outside %s's range %s..%s", i, zeroPoints[i], type, type.qmin(), type.qmax());
    }
    this.type = type;
    this.scales = scales.clone();
    this.zeroPoints = zeroPoints.clone();
    this.axis = axis;
  }

  public static QuantParams perTensor(QuantType type, float scale, int zeroPoint) {
    return new QuantParams(type, new float[] {scale}, new int[] {zeroPoint}, PER_TENSOR);
  }

  public static QuantParams perChannel(QuantType type, float[] scales, int[] zeroPoints, int axis) {
    Preconditions.checkArgument(axis >= 0, "per-channel parameters need an axis >= 0, got %s", axis);
    return new QuantParams(type, scales, zeroPoints, axis);
  }

  @JsonProperty("type")
  public QuantType type() {
    return type;
  }

  @JsonProperty("scales")
  public float[] scales() {
    return scales.clone();
  }

  @JsonProperty("zeroPoints")
  public int[] zeroPoints() {
    return zeroPoints.clone();
  }

  /** The channel axis, or {@link #PER_TENSOR}. */
  @JsonProperty("axis")
  public int axis() {
    return axis;
  }

  @JsonIgnore
  public boolean isPerChannel() {
    return axis != PER_TENSOR;
  }

  /** Number of (scale, zero point) pairs: 1 for per-tensor parameters. */
  @JsonIgnore
  public int channels() {
    return scales.length;
  }

  /** The scale of per-tensor parameters. */
  @JsonIgnore
  public float scale() {
    Preconditions.checkState(!isPerChannel(), "per-channel parameters (axis %s) have %s scales", axis, scales.length);
    return scales[0];
  }

  @JsonIgnore
  public int zeroPoint() {
    Preconditions.checkState(!isPerChannel(), "per-channel parameters (axis %s) have %s zero points", axis, scales.length);
    return zeroPoints[0];
  }

  public float scale(int channel) {
    return scales[channel];
  }

  public int zeroPoint(int channel) {
    return zeroPoints[channel];
  }

  /** ONNX QuantizeLinear of one value: float division, round half to even, saturate. */
  public long quantize(float x, int channel) {
    return QuantMath.quantize(x, scales[channel], zeroPoints[channel], type);
  }

  /** ONNX DequantizeLinear of one value. */
  public float dequantize(long q, int channel) {
    return (float) (q - zeroPoints[channel]) * scales[channel];
  }

  /** The real interval these parameters represent, for channel {@code channel}. */
  public float representableMin(int channel) {
    return dequantize(type.qmin(), channel);
  }

  public float representableMax(int channel) {
    return dequantize(type.qmax(), channel);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof QuantParams)) {
      return false;
    }
    QuantParams p = (QuantParams) o;
    return type == p.type && axis == p.axis && Arrays.equals(scales, p.scales) && Arrays.equals(zeroPoints, p.zeroPoints);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, axis, Arrays.hashCode(scales), Arrays.hashCode(zeroPoints));
  }

  @Override
  public String toString() {
    if (!isPerChannel()) {
      return type + "(scale=" + scales[0] + ", zp=" + zeroPoints[0] + ")";
    }
    return type + "(axis=" + axis + ", " + scales.length + " channels, scales=" + Arrays.toString(scales)
        + ", zps=" + Arrays.toString(zeroPoints) + ")";
  }
}
