package io.quantkit.ir;

import com.google.common.base.Preconditions;
import com.google.common.primitives.ImmutableIntArray;

/**
 * The operations of the IR, as small immutable values. Semantics follow ONNX (opset 13), and the
 * canonical layout is NCHW with OIHW convolution weights: importers convert once, backends that
 * want another layout transpose on their side.
 *
 * <p>Inputs are positional as in ONNX; each op documents them.
 *
 * <p>Thread-safety: every op is an immutable value, safe to share between threads.
 */
public interface Op {

  /** ONNX operator name, used in messages and by the ONNX exporter. */
  String type();

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
  }

  /** Inference batch norm. Inputs: X, scale, bias, mean, var (each [C]). */
  record BatchNorm(float epsilon) implements Op {
    public String type() {
      return "BatchNormalization";
    }
  }

  record Relu() implements Op {
    public String type() {
      return "Relu";
    }
  }

  /** Clamp to [min, max]; ReLU6 is Clip(0, 6). */
  record Clip(float min, float max) implements Op {
    public String type() {
      return "Clip";
    }
  }

  /** Element-wise A + B with numpy broadcasting. */
  record Add() implements Op {
    public String type() {
      return "Add";
    }
  }

  /** Element-wise A * B with numpy broadcasting. */
  record Mul() implements Op {
    public String type() {
      return "Mul";
    }
  }

  record MaxPool(ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations, Padding padding, boolean ceilMode)
      implements Op {
    public String type() {
      return "MaxPool";
    }
  }

  /** {@code countIncludePad}: whether padded cells count in the divisor (Keras: no). */
  record AveragePool(ImmutableIntArray kernel, ImmutableIntArray strides, Padding padding, boolean countIncludePad, boolean ceilMode)
      implements Op {
    public String type() {
      return "AveragePool";
    }
  }

  /** Mean over all spatial axes, keeping them as size 1: [N,C,H,W] -> [N,C,1,1]. */
  record GlobalAveragePool() implements Op {
    public String type() {
      return "GlobalAveragePool";
    }
  }

  /** [d0..dn] -> [d0*..*d(axis-1), d(axis)*..*dn]. */
  record Flatten(int axis) implements Op {
    public String type() {
      return "Flatten";
    }
  }

  /** Target shape with ONNX's conventions: 0 copies the input dimension, -1 is inferred. */
  record Reshape(ImmutableIntArray shape) implements Op {
    public String type() {
      return "Reshape";
    }
  }

  /** Y = alpha * A' B' + beta * C, A' and B' optionally transposed (ONNX Gemm). Inputs: A, B, optional C. */
  record Gemm(float alpha, float beta, boolean transA, boolean transB) implements Op {
    public String type() {
      return "Gemm";
    }
  }

  /** Matrix product with numpy semantics (batched over leading axes). */
  record MatMul() implements Op {
    public String type() {
      return "MatMul";
    }
  }

  record Softmax(int axis) implements Op {
    public String type() {
      return "Softmax";
    }
  }

  record Concat(int axis) implements Op {
    public String type() {
      return "Concat";
    }
  }

  record Transpose(ImmutableIntArray perm) implements Op {
    public String type() {
      return "Transpose";
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
  }

  /** y = (x - zero_point) * scale. Inputs: x (INT8/UINT8/INT32), x_scale, x_zero_point. */
  record DequantizeLinear(int axis) implements Op {
    public String type() {
      return "DequantizeLinear";
    }
  }
}
