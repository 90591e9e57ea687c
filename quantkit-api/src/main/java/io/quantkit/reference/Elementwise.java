package io.quantkit.reference;

import io.quantkit.tensor.Shape;

/** Element-wise and per-channel float ops: Relu, Clip, BatchNormalization, Add/Mul, Softmax. */
final class Elementwise {
  private Elementwise() {}

  static float[] relu(float[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      // Math.max keeps NaN (as ONNX Runtime does) and, unlike a branch, vectorizes.
      y[i] = Math.max(x[i], 0f);
    }
    return y;
  }

  static float[] clip(float[] x, float min, float max) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = Math.min(Math.max(x[i], min), max);
    }
    return y;
  }

  /** Inference batch norm over axis 1: y = (x - mean) / sqrt(var + eps) * scale + bias. */
  static float[] batchNorm(Workers workers, float[] x, Shape xs, float[] scale, float[] bias, float[] mean, float[] var,
      float epsilon) {
    int n = xs.dim(0);
    int c = xs.dim(1);
    int inner = xs.size(2, xs.rank());
    float[] y = new float[x.length];
    workers.forEach(n * c, (scratch, plane) -> {
      int ch = plane % c;
      float m = mean[ch];
      float b = bias[ch];
      float k = (float) (scale[ch] / Math.sqrt((double) var[ch] + epsilon));
      for (int i = plane * inner, end = i + inner; i < end; i++) {
        y[i] = (x[i] - m) * k + b;
      }
    });
    return y;
  }

  /** An element-wise float function of two arguments. */
  @FunctionalInterface
  interface FloatBinary {
    float apply(float a, float b);
  }

  /** A + B (add) or A * B with numpy broadcasting to {@code out}. */
  static float[] binary(float[] a, Shape as, float[] b, Shape bs, Shape out, boolean add) {
    return add ? binary(a, as, b, bs, out, (p, q) -> p + q) : binary(a, as, b, bs, out, (p, q) -> p * q);
  }

  /** f(A, B) with numpy broadcasting to {@code out}. */
  static float[] binary(float[] a, Shape as, float[] b, Shape bs, Shape out, FloatBinary f) {
    int size = out.size();
    float[] y = new float[size];
    if (size == 0) {
      return y;
    }
    if (as.equals(bs)) {
      for (int i = 0; i < size; i++) {
        y[i] = f.apply(a[i], b[i]);
      }
      return y;
    }
    int r = out.rank();
    int[] dims = out.toArray();
    int[] sa = broadcastStrides(as, r);
    int[] sb = broadcastStrides(bs, r);
    int inner = r == 0 ? 1 : dims[r - 1];
    int ia = r == 0 ? 0 : sa[r - 1];
    int ib = r == 0 ? 0 : sb[r - 1];
    int[] idx = new int[Math.max(r - 1, 0)];
    for (int o = 0; o < size; o += inner) {
      int offA = 0;
      int offB = 0;
      for (int d = 0; d < idx.length; d++) {
        offA += idx[d] * sa[d];
        offB += idx[d] * sb[d];
      }
      for (int j = 0; j < inner; j++) {
        float va = a[offA + j * ia];
        float vb = b[offB + j * ib];
        y[o + j] = f.apply(va, vb);
      }
      for (int d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < dims[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return y;
  }

  /** Strides of {@code s} seen as a tensor of rank {@code r}: 0 on the axes it is broadcast along. */
  static int[] broadcastStrides(Shape s, int r) {
    int[] strides = new int[r];
    int stride = 1;
    for (int i = s.rank() - 1; i >= 0; i--) {
      int target = i + r - s.rank();
      strides[target] = s.dim(i) == 1 ? 0 : stride;
      stride *= s.dim(i);
    }
    return strides;
  }

  /** Softmax along one axis (opset 13), shifted by the maximum so exp never overflows. */
  static float[] softmax(float[] x, Shape xs, int axis) {
    int a = axis < 0 ? axis + xs.rank() : axis;
    int outer = xs.size(0, a);
    int len = xs.dim(a);
    int inner = xs.size(a + 1, xs.rank());
    float[] y = new float[x.length];
    for (int o = 0; o < outer; o++) {
      for (int in = 0; in < inner; in++) {
        int base = o * len * inner + in;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
          max = Math.max(max, x[base + i * inner]);
        }
        double sum = 0;
        for (int i = 0; i < len; i++) {
          sum += Math.exp(x[base + i * inner] - max);
        }
        for (int i = 0; i < len; i++) {
          y[base + i * inner] = (float) (Math.exp(x[base + i * inner] - max) / sum);
        }
      }
    }
    return y;
  }
}
