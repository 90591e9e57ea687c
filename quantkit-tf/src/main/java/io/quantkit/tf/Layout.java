package io.quantkit.tf;

import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;

/** Transposes constants in Java, so weights enter the TensorFlow graph already in the order its kernels read. */
final class Layout {
  private Layout() {}

  /** Axis i of the result is axis {@code perm[i]} of {@code t} (numpy / TensorFlow transpose). */
  static Tensor transpose(Tensor t, int[] perm) {
    Shape in = t.shape();
    int rank = in.rank();
    boolean identity = true;
    for (int i = 0; i < rank; i++) {
      identity &= perm[i] == i;
    }
    if (identity) {
      return t;
    }
    int[] outDims = new int[rank];
    int[] inStrides = new int[rank];
    for (int i = rank - 1, s = 1; i >= 0; i--) {
      inStrides[i] = s;
      s *= in.dim(i);
    }
    int[] stride = new int[rank];
    for (int i = 0; i < rank; i++) {
      outDims[i] = in.dim(perm[i]);
      stride[i] = inStrides[perm[i]];
    }
    int n = t.size();
    int[] source = new int[n];
    int[] idx = new int[rank];
    for (int o = 0, src = 0; o < n; o++) {
      source[o] = src;
      for (int a = rank - 1; a >= 0; a--) {
        idx[a]++;
        src += stride[a];
        if (idx[a] < outDims[a]) {
          break;
        }
        src -= stride[a] * idx[a];
        idx[a] = 0;
      }
    }
    Shape out = Shape.of(outDims);
    switch (t.type()) {
      case FLOAT32: {
        float[] v = t.toFloatArray();
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
          r[i] = v[source[i]];
        }
        return Tensor.wrapFloats(out, r);
      }
      case INT8:
      case UINT8: {
        byte[] v = t.toByteArray();
        byte[] r = new byte[n];
        for (int i = 0; i < n; i++) {
          r[i] = v[source[i]];
        }
        return Tensor.wrapBytes(t.type(), out, r);
      }
      case INT32: {
        int[] v = t.toIntArray();
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
          r[i] = v[source[i]];
        }
        return Tensor.wrapInts(out, r);
      }
      case INT64: {
        long[] v = t.toLongArray();
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
          r[i] = v[source[i]];
        }
        return Tensor.ofLongs(out, r);
      }
      default:
        throw new AssertionError(t.type());
    }
  }
}
