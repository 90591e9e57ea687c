package io.quantkit.quant;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;

/**
 * Scale and zero-point arithmetic, shared by calibration, the QDQ pass and the tests. Every
 * formula is ONNX Runtime's, so a plan made here means the same thing to every backend.
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
public final class QuantMath {
  /**
   * Smallest scale ever produced. A range this narrow carries no information worth 8 bits, and a
   * floor keeps {@code x / scale} and bias scales (input scale x weight scale) finite.
   */
  public static final float MIN_SCALE = 1e-12f;

  private QuantMath() {}

  /** ONNX QuantizeLinear of one value: float32 division, round half to even, saturate to {@code type}. */
  public static long quantize(float x, float scale, long zeroPoint, QuantType type) {
    float scaled = x / scale;
    if (Float.isNaN(scaled)) {
      return clamp(zeroPoint, type);
    }
    double rounded = Math.rint(scaled);
    double q = rounded + zeroPoint;
    if (q <= type.qmin()) {
      return type.qmin();
    }
    if (q >= type.qmax()) {
      return type.qmax();
    }
    return (long) q;
  }

  static long clamp(long q, QuantType type) {
    return Math.max(type.qmin(), Math.min(type.qmax(), q));
  }

  /**
   * Per-tensor parameters mapping {@code range} onto {@code type}.
   *
   * <p>Asymmetric: the range is first widened to include 0 (zero must be exact, it is the padding
   * value and ReLU's floor), then {@code scale = (max - min) / (qmax - qmin)} and
   * {@code zeroPoint = round(qmin - min / scale)}; e.g. [-1, 3] on UINT8 gives scale 4/255, zero
   * point 64. Symmetric: zero point 0 for INT8 (128 for UINT8) and {@code scale = absmax / 127}
   * (INT8) or {@code 2 absmax / 255} (UINT8). A range of width 0 (a constant-zero tensor) gets
   * scale 1: any positive scale represents it exactly, and 0 or NaN would poison every consumer.
   */
  public static QuantParams params(TensorRange range, QuantType type, boolean symmetric) {
    Preconditions.checkArgument(type != QuantType.INT32, "activations are not quantized to INT32");
    if (symmetric) {
      double absMax = range.absMax();
      double scale;
      int zp;
      if (type == QuantType.INT8) {
        scale = absMax / type.qmax();
        zp = 0;
      } else {
        scale = 2 * absMax / (type.qmax() - type.qmin());
        zp = (int) ((type.qmax() + type.qmin() + 1) / 2);
      }
      return QuantParams.perTensor(type, safeScale(scale), zp);
    }
    double rmin = Math.min(range.min(), 0f);
    double rmax = Math.max(range.max(), 0f);
    double width = rmax - rmin;
    if (!(width > 0)) {
      return QuantParams.perTensor(type, 1f, 0);
    }
    float scale = safeScale(width / (type.qmax() - type.qmin()));
    long zp = clamp((long) Math.rint(type.qmin() - rmin / scale), type);
    return QuantParams.perTensor(type, scale, (int) zp);
  }

  private static float safeScale(double scale) {
    if (!(scale > 0) || !Double.isFinite(scale)) {
      return 1f;
    }
    return (float) Math.max(scale, MIN_SCALE);
  }

  /**
   * Largest quantized weight magnitude with {@link QuantOptions#reduceWeightRange}: 2 x 255 x 64 =
   * 32,640 fits the int16 pair sums of x86's VPMADDUBSW (ONNX Runtime's reduce_range uses the same).
   */
  public static final int REDUCED_WEIGHT_QMAX = 64;

  /**
   * Symmetric INT8 parameters of a weight tensor, per channel along {@code axis} or per tensor
   * ({@code axis == -1}). {@code mse}: per channel, shrink the clipping threshold below the
   * absolute maximum when that lowers the squared rounding-plus-clipping error of the weights
   * themselves (useful when one large weight stretches a channel's scale).
   */
  public static QuantParams weightParams(Tensor weight, int axis, boolean mse) {
    return weightParams(weight, axis, mse, (int) QuantType.INT8.qmax());
  }

  /**
   * As {@link #weightParams(Tensor, int, boolean)} with quantized weights limited to
   * [-qmax, qmax]; {@link #REDUCED_WEIGHT_QMAX} keeps UINT8 x INT8 products of two adjacent
   * weights inside int16, which CPUs without VNNI need (see {@link QuantOptions#reduceWeightRange}).
   */
  public static QuantParams weightParams(Tensor weight, int axis, boolean mse, int qmax) {
    Preconditions.checkArgument(weight.type() == DataType.FLOAT32, "weights must be FLOAT32, got %s", weight.type());
    Preconditions.checkArgument(qmax > 0 && qmax <= QuantType.INT8.qmax(), "weight qmax %s outside 1..127", qmax);
    // read in place (a large model's weights are not copied; they may live off the heap)
    java.nio.FloatBuffer w = weight.floatBuffer().slice();
    QuantType type = QuantType.INT8;
    if (axis == QuantParams.PER_TENSOR) {
      float t = threshold(w.remaining(), w::get, mse, qmax);
      return QuantParams.perTensor(type, t > 0 ? safeScale(t / qmax) : 1f, 0);
    }
    Shape shape = weight.shape();
    Preconditions.checkArgument(axis < shape.rank(), "axis %s out of range for weight shape %s", axis, shape);
    int channels = shape.dim(axis);
    int inner = shape.size(axis + 1, shape.rank());
    int outer = shape.size(0, axis);
    float[] scales = new float[channels];
    float smallestNonZero = Float.MAX_VALUE;
    for (int c = 0; c < channels; c++) {
      // channel c: for axis 0 contiguous, otherwise strided blocks
      int first = c * inner;
      int stride = channels * inner;
      float t = outer == 1 ? threshold(inner, j -> w.get(first + j), mse, qmax)
          : threshold(outer * inner, j -> w.get(first + (j / inner) * stride + j % inner), mse, qmax);
      scales[c] = t > 0 ? safeScale(t / qmax) : 0f;
      if (scales[c] > 0) {
        smallestNonZero = Math.min(smallestNonZero, scales[c]);
      }
    }
    for (int c = 0; c < channels; c++) {
      if (scales[c] == 0f) {
        // An all-zero channel quantizes exactly under any scale; borrowing the finest scale of the
        // other channels keeps its bias (scale = input scale x weight scale) as precise as theirs.
        scales[c] = smallestNonZero == Float.MAX_VALUE ? 1f : smallestNonZero;
      }
    }
    return QuantParams.perChannel(type, scales, new int[channels], axis);
  }

  /** Element {@code j} of a sequence of floats read in place. */
  @FunctionalInterface
  private interface Floats {
    float get(int j);
  }

  /** Clipping threshold of the {@code n} values {@code w} for symmetric INT8. */
  private static float threshold(int n, Floats w, boolean mse, int qmax) {
    float absMax = 0;
    for (int i = 0; i < n; i++) {
      absMax = Math.max(absMax, Math.abs(w.get(i)));
    }
    if (!mse || absMax == 0) {
      return absMax;
    }
    float best = absMax;
    double bestErr = Double.MAX_VALUE;
    for (int k = 100; k >= 50; k--) {
      float t = absMax * k / 100f;
      float scale = t / qmax;
      double err = 0;
      for (int i = 0; i < n; i++) {
        float x = w.get(i);
        float q = quantize(x, scale, 0, QuantType.INT8) * scale;
        double d = x - q;
        err += d * d;
      }
      if (err < bestErr) {
        bestErr = err;
        best = t;
      }
    }
    return best;
  }

  /** Quantizes a float tensor with {@code params} (per tensor or along its axis). */
  public static Tensor quantize(Tensor x, QuantParams params) {
    Preconditions.checkArgument(x.type() == DataType.FLOAT32, "only FLOAT32 tensors are quantized, got %s", x.type());
    java.nio.FloatBuffer v = x.floatBuffer().slice(); // in place, see weightParams
    int n = v.remaining();
    int channels = params.channels();
    int inner = 1;
    if (params.isPerChannel()) {
      Preconditions.checkArgument(params.axis() < x.shape().rank() && x.shape().dim(params.axis()) == channels,
          "tensor of shape %s does not have %s channels on axis %s", x.shape(), channels, params.axis());
      inner = x.shape().size(params.axis() + 1, x.shape().rank());
    }
    QuantType type = params.type();
    if (type == QuantType.INT32) {
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        int c = (i / inner) % channels;
        out[i] = (int) quantize(v.get(i), params.scale(c), params.zeroPoint(c), type);
      }
      return Tensor.wrapInts(x.shape(), out);
    }
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      int c = (i / inner) % channels;
      out[i] = (byte) quantize(v.get(i), params.scale(c), params.zeroPoint(c), type);
    }
    return Tensor.wrapBytes(type.dataType(), x.shape(), out);
  }

  /** Dequantizes an INT8/UINT8/INT32 tensor with {@code params}. */
  public static Tensor dequantize(Tensor q, QuantParams params) {
    int channels = params.channels();
    int inner = params.isPerChannel() ? q.shape().size(params.axis() + 1, q.shape().rank()) : 1;
    float[] out = new float[q.size()];
    for (int i = 0; i < out.length; i++) {
      int c = (i / inner) % channels;
      out[i] = params.dequantize(q.getLong(i), c);
    }
    return Tensor.wrapFloats(q.shape(), out);
  }

  /**
   * INT32 bias parameters for a layer with input parameters {@code input} (per tensor) and weight
   * parameters {@code weight}: zero point 0, scale = input scale x weight scale (float32 product,
   * as ONNX Runtime computes it), per channel along axis 0 when the weights are per channel.
   */
  public static QuantParams biasParams(QuantParams input, QuantParams weight) {
    float sx = input.scale();
    if (!weight.isPerChannel()) {
      return QuantParams.perTensor(QuantType.INT32, safeScale(sx * weight.scale()), 0);
    }
    float[] scales = new float[weight.channels()];
    for (int c = 0; c < scales.length; c++) {
      scales[c] = safeScale(sx * weight.scale(c));
    }
    return QuantParams.perChannel(QuantType.INT32, scales, new int[scales.length], 0);
  }
}
