package io.quantkit.ir;

import com.google.common.base.Preconditions;
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
}
