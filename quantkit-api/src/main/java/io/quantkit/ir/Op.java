package io.quantkit.ir;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.primitives.ImmutableIntArray;

/**
 * The operations of the IR, as small immutable values. Semantics follow ONNX (opset 13), and the
 * canonical layout is NCHW with OIHW convolution weights: importers convert once, backends that
 * want another layout transpose on their side.
 *
 * <p>Inputs are positional as in ONNX; each op documents them.
 *
 * <p>The set of ops is closed ({@code sealed}): every converter, executor and shape rule
 * dispatches through {@link Visitor}, which has one method per op, so adding an op here is a
 * compile error in each of them until it handles the op. Passes for which every op has a safe
 * default (an op the QDQ placement does not know stays FP32) extend {@link FallbackVisitor}
 * instead. See CONTRIBUTING.md for the files an op touches.
 * <p>Thread-safety: every op is an immutable value, safe to share between threads.
 */
public sealed interface Op {

  /** ONNX operator name, used in messages and by the ONNX exporter. */
  String type();

  /** Calls the visitor's method for this op. */
  <R> R accept(Visitor<R> visitor);

  /** Every op class of the IR, in declaration order (derived from the sealed hierarchy). */
  @SuppressWarnings("unchecked")
  static ImmutableSet<Class<? extends Op>> classes() {
    ImmutableSet.Builder<Class<? extends Op>> b = ImmutableSet.builder();
    for (Class<?> c : Op.class.getPermittedSubclasses()) {
      b.add((Class<? extends Op>) c);
    }
    return b.build();
  }

  /**
   * One method per op. Implementing this interface (rather than testing {@code instanceof}) is
   * what makes a new op a compile error in every converter, executor and shape rule that has not
   * handled it yet.
   */
  interface Visitor<R> {
    R conv(Conv op);

    R batchNorm(BatchNorm op);

    R relu(Relu op);

    R clip(Clip op);

    R add(Add op);

    R mul(Mul op);

    R maxPool(MaxPool op);

    R averagePool(AveragePool op);

    R globalAveragePool(GlobalAveragePool op);

    R flatten(Flatten op);

    R reshape(Reshape op);

    R gemm(Gemm op);

    R matMul(MatMul op);

    R softmax(Softmax op);

    R concat(Concat op);

    R transpose(Transpose op);

    R quantizeLinear(QuantizeLinear op);

    R dequantizeLinear(DequantizeLinear op);

    R sigmoid(Sigmoid op);

    R sum(Sum op);

    R hardSwish(HardSwish op);

    R lrn(Lrn op);

    R sub(Sub op);

    R div(Div op);

    R tanh(Tanh op);

    R leakyRelu(LeakyRelu op);

    R hardSigmoid(HardSigmoid op);

    R pRelu(PRelu op);

    R globalMaxPool(GlobalMaxPool op);

    R pad(Pad op);

    R slice(Slice op);

    R reduceMean(ReduceMean op);

    R resize(Resize op);
  }

  /**
   * A visitor whose unhandled ops fall to {@link #fallback}. Only for passes where every op has a
   * safe default (QDQ placement keeps unknown ops FP32); converters, executors and shape rules
   * implement {@link Visitor} directly so that nothing is forgotten silently.
   */
  abstract class FallbackVisitor<R> implements Visitor<R> {
    /** The answer for every op this visitor does not override. */
    protected abstract R fallback(Op op);

    @Override
    public R conv(Conv op) {
      return fallback(op);
    }

    @Override
    public R batchNorm(BatchNorm op) {
      return fallback(op);
    }

    @Override
    public R relu(Relu op) {
      return fallback(op);
    }

    @Override
    public R clip(Clip op) {
      return fallback(op);
    }

    @Override
    public R add(Add op) {
      return fallback(op);
    }

    @Override
    public R mul(Mul op) {
      return fallback(op);
    }

    @Override
    public R maxPool(MaxPool op) {
      return fallback(op);
    }

    @Override
    public R averagePool(AveragePool op) {
      return fallback(op);
    }

    @Override
    public R globalAveragePool(GlobalAveragePool op) {
      return fallback(op);
    }

    @Override
    public R flatten(Flatten op) {
      return fallback(op);
    }

    @Override
    public R reshape(Reshape op) {
      return fallback(op);
    }

    @Override
    public R gemm(Gemm op) {
      return fallback(op);
    }

    @Override
    public R matMul(MatMul op) {
      return fallback(op);
    }

    @Override
    public R softmax(Softmax op) {
      return fallback(op);
    }

    @Override
    public R concat(Concat op) {
      return fallback(op);
    }

    @Override
    public R transpose(Transpose op) {
      return fallback(op);
    }

    @Override
    public R quantizeLinear(QuantizeLinear op) {
      return fallback(op);
    }

    @Override
    public R dequantizeLinear(DequantizeLinear op) {
      return fallback(op);
    }

    @Override
    public R sigmoid(Sigmoid op) {
      return fallback(op);
    }

    @Override
    public R sum(Sum op) {
      return fallback(op);
    }

    @Override
    public R hardSwish(HardSwish op) {
      return fallback(op);
    }

    @Override
    public R lrn(Lrn op) {
      return fallback(op);
    }

    @Override
    public R sub(Sub op) {
      return fallback(op);
    }

    @Override
    public R div(Div op) {
      return fallback(op);
    }

    @Override
    public R tanh(Tanh op) {
      return fallback(op);
    }

    @Override
    public R leakyRelu(LeakyRelu op) {
      return fallback(op);
    }

    @Override
    public R hardSigmoid(HardSigmoid op) {
      return fallback(op);
    }

    @Override
    public R pRelu(PRelu op) {
      return fallback(op);
    }

    @Override
    public R globalMaxPool(GlobalMaxPool op) {
      return fallback(op);
    }

    @Override
    public R pad(Pad op) {
      return fallback(op);
    }

    @Override
    public R slice(Slice op) {
      return fallback(op);
    }

    @Override
    public R reduceMean(ReduceMean op) {
      return fallback(op);
    }

    @Override
    public R resize(Resize op) {
      return fallback(op);
    }
  }

  /** Inputs: X [N,C,spatial...], W [M, C/groups, k...], optional B [M]. */
  record Conv(ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations, int groups, Padding padding)
      implements Op {
    public Conv {
      Preconditions.checkArgument(kernel.length() == strides.length() && kernel.length() == dilations.length(),
          "kernel %s, strides %s and dilations %s differ in rank", kernel, strides, dilations);
      Preconditions.checkArgument(groups >= 1, "groups must be >= 1, got %s", groups);
    }

    public String type() {
      return "Conv";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.conv(this);
    }
  }

  /** Inference batch norm. Inputs: X, scale, bias, mean, var (each [C]). */
  record BatchNorm(float epsilon) implements Op {
    public String type() {
      return "BatchNormalization";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.batchNorm(this);
    }
  }

  record Relu() implements Op {
    public String type() {
      return "Relu";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.relu(this);
    }
  }

  /** Clamp to [min, max]; ReLU6 is Clip(0, 6). */
  record Clip(float min, float max) implements Op {
    public String type() {
      return "Clip";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.clip(this);
    }
  }

  /** Element-wise A + B with numpy broadcasting. */
  record Add() implements Op {
    public String type() {
      return "Add";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.add(this);
    }
  }

  /** Element-wise A * B with numpy broadcasting. */
  record Mul() implements Op {
    public String type() {
      return "Mul";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.mul(this);
    }
  }

  record MaxPool(ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations, Padding padding, boolean ceilMode)
      implements Op {
    public String type() {
      return "MaxPool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.maxPool(this);
    }
  }

  /** {@code countIncludePad}: whether padded cells count in the divisor (Keras: no). */
  record AveragePool(ImmutableIntArray kernel, ImmutableIntArray strides, Padding padding, boolean countIncludePad, boolean ceilMode)
      implements Op {
    public String type() {
      return "AveragePool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.averagePool(this);
    }
  }

  /** Mean over all spatial axes, keeping them as size 1: [N,C,H,W] -> [N,C,1,1]. */
  record GlobalAveragePool() implements Op {
    public String type() {
      return "GlobalAveragePool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.globalAveragePool(this);
    }
  }

  /** [d0..dn] -> [d0*..*d(axis-1), d(axis)*..*dn]. */
  record Flatten(int axis) implements Op {
    public String type() {
      return "Flatten";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.flatten(this);
    }
  }

  /** Target shape with ONNX's conventions: 0 copies the input dimension, -1 is inferred. */
  record Reshape(ImmutableIntArray shape) implements Op {
    public String type() {
      return "Reshape";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.reshape(this);
    }
  }

  /** Y = alpha * A' B' + beta * C, A' and B' optionally transposed (ONNX Gemm). Inputs: A, B, optional C. */
  record Gemm(float alpha, float beta, boolean transA, boolean transB) implements Op {
    public String type() {
      return "Gemm";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.gemm(this);
    }
  }

  /** Matrix product with numpy semantics (batched over leading axes). */
  record MatMul() implements Op {
    public String type() {
      return "MatMul";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.matMul(this);
    }
  }

  record Softmax(int axis) implements Op {
    public String type() {
      return "Softmax";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.softmax(this);
    }
  }

  record Concat(int axis) implements Op {
    public String type() {
      return "Concat";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.concat(this);
    }
  }

  record Transpose(ImmutableIntArray perm) implements Op {
    public String type() {
      return "Transpose";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.transpose(this);
    }
  }

  /**
   * y = saturate(round_half_even(x / scale) + zero_point). Inputs: x, y_scale, y_zero_point (whose
   * element type, INT8 or UINT8, is the output type). {@code axis} applies to per-axis scales.
   */
  record QuantizeLinear(int axis) implements Op {
    public String type() {
      return "QuantizeLinear";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.quantizeLinear(this);
    }
  }

  /** y = (x - zero_point) * scale. Inputs: x (INT8/UINT8/INT32), x_scale, x_zero_point. */
  record DequantizeLinear(int axis) implements Op {
    public String type() {
      return "DequantizeLinear";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dequantizeLinear(this);
    }
  }

  /** Element-wise logistic function 1 / (1 + exp(-x)). */
  record Sigmoid() implements Op {
    public String type() {
      return "Sigmoid";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.sigmoid(this);
    }
  }

  /** Element-wise sum of one or more inputs with numpy broadcasting (n-ary Add), left to right. */
  record Sum() implements Op {
    public String type() {
      return "Sum";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.sum(this);
    }
  }

  /** Element-wise x * max(0, min(1, x / 6 + 1/2)) (ONNX opset 14, MobileNetV3's activation). */
  record HardSwish() implements Op {
    public String type() {
      return "HardSwish";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.hardSwish(this);
    }
  }

  /**
   * Local response normalization across channels (ONNX LRN): y = x / (bias + alpha / size *
   * sum of x^2 over channels c - floor((size-1)/2) .. c + ceil((size-1)/2))^beta. Input [N, C, ...].
   */
  record Lrn(float alpha, float beta, float bias, int size) implements Op {
    public Lrn {
      Preconditions.checkArgument(size >= 1, "LRN size must be >= 1, got %s", size);
    }

    public String type() {
      return "LRN";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.lrn(this);
    }
  }

  /** Element-wise A - B with numpy broadcasting. */
  record Sub() implements Op {
    public String type() {
      return "Sub";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.sub(this);
    }
  }

  /** Element-wise A / B with numpy broadcasting. */
  record Div() implements Op {
    public String type() {
      return "Div";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.div(this);
    }
  }

  /** Element-wise hyperbolic tangent. */
  record Tanh() implements Op {
    public String type() {
      return "Tanh";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.tanh(this);
    }
  }

  /** Element-wise x for x >= 0, alpha * x otherwise (ONNX default alpha 0.01). */
  record LeakyRelu(float alpha) implements Op {
    public String type() {
      return "LeakyRelu";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.leakyRelu(this);
    }
  }

  /** Element-wise max(0, min(1, alpha * x + beta)) (ONNX defaults alpha 0.2, beta 0.5; Keras uses the same). */
  record HardSigmoid(float alpha, float beta) implements Op {
    public String type() {
      return "HardSigmoid";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.hardSigmoid(this);
    }
  }

  /** x for x >= 0, slope * x otherwise. Inputs: X, slope (broadcast to X's shape, e.g. [C, 1, 1]). */
  record PRelu() implements Op {
    public String type() {
      return "PRelu";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pRelu(this);
    }
  }

  /** Maximum over all spatial axes, keeping them as size 1: [N,C,H,W] -> [N,C,1,1]. */
  record GlobalMaxPool() implements Op {
    public String type() {
      return "GlobalMaxPool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.globalMaxPool(this);
    }
  }

  /** Padding of every axis ({@code pads} in ONNX order: all begins, then all ends, each >= 0).
   * {@code mode} is "constant" (with {@code value}), "reflect" (mirror without the edge) or "edge". */
  record Pad(String mode, ImmutableIntArray pads, float value) implements Op {
    public Pad {
      Preconditions.checkArgument(ImmutableSet.of("constant", "reflect", "edge").contains(mode), "Pad mode %s", mode);
      Preconditions.checkArgument(pads.length() % 2 == 0, "pads %s must have an even length", pads);
      for (int i = 0; i < pads.length(); i++) {
        Preconditions.checkArgument(pads.get(i) >= 0, "pads %s must be non-negative", pads);
      }
    }

    public String type() {
      return "Pad";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pad(this);
    }
  }

  /** ONNX Slice with constant parameters: for each listed axis, elements start, start + step, ...
   * up to end (exclusive), negative indices counted from the end and clamped as ONNX does; ends
   * beyond the axis are written as Integer.MAX_VALUE / MIN_VALUE. */
  record Slice(ImmutableIntArray starts, ImmutableIntArray ends, ImmutableIntArray axes, ImmutableIntArray steps) implements Op {
    public Slice {
      Preconditions.checkArgument(starts.length() == ends.length() && starts.length() == axes.length()
          && starts.length() == steps.length(), "starts %s, ends %s, axes %s and steps %s differ in length", starts, ends, axes, steps);
      for (int i = 0; i < steps.length(); i++) {
        Preconditions.checkArgument(steps.get(i) != 0, "Slice step 0");
      }
    }

    public String type() {
      return "Slice";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.slice(this);
    }
  }

  /** Mean over {@code axes} (all axes when empty), keeping them as size 1 when {@code keepDims}. */
  record ReduceMean(ImmutableIntArray axes, boolean keepDims) implements Op {
    public String type() {
      return "ReduceMean";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.reduceMean(this);
    }
  }

  /** Resize by per-axis {@code scales} (output size floor(input * scale)); {@code mode} "nearest"
   * or "linear" (separable, on every axis whose scale is not 1), {@code coordinateMode} as ONNX's
   * coordinate_transformation_mode ("half_pixel", "asymmetric", "align_corners",
   * "pytorch_half_pixel"), {@code nearestMode} as ONNX's nearest_mode ("round_prefer_floor",
   * "round_prefer_ceil", "floor", "ceil"). */
  record Resize(String mode, String coordinateMode, String nearestMode, ImmutableList<Float> scales) implements Op {
    public Resize {
      Preconditions.checkArgument(mode.equals("nearest") || mode.equals("linear"), "Resize mode %s", mode);
      Preconditions.checkArgument(ImmutableSet.of("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel")
          .contains(coordinateMode), "coordinate_transformation_mode %s", coordinateMode);
      Preconditions.checkArgument(ImmutableSet.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
          .contains(nearestMode), "nearest_mode %s", nearestMode);
      for (float f : scales) {
        Preconditions.checkArgument(f > 0, "Resize scales %s must be positive", scales);
      }
    }

    public String type() {
      return "Resize";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.resize(this);
    }
  }
}
