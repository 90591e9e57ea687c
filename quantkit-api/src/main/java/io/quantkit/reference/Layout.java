package io.quantkit.reference;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.tensor.Shape;
import java.util.List;

/** Data movement for any element type: Transpose and Concat (Reshape and Flatten share arrays). */
final class Layout {
  private Layout() {}

  static Value transpose(Value x, ImmutableIntArray perm, Shape out) {
    int r = x.shape.rank();
    int[] p = new int[r];
    for (int i = 0; i < r; i++) {
      p[i] = perm.isEmpty() ? r - 1 - i : perm.get(i);
    }
    int[] inStrides = strides(x.shape);
    int[] dims = out.toArray();
    int[] srcStride = new int[r];
    for (int i = 0; i < r; i++) {
      srcStride[i] = inStrides[p[i]];
    }
    int size = out.size();
    Object y = Value.newArray(x.type, size);
    if (r == 0 || size == 0) {
      System.arraycopy(x.data, 0, y, 0, size);
      return Value.of(x.type, out, y);
    }
    int inner = dims[r - 1];
    int innerStride = srcStride[r - 1];
    int[] idx = new int[r - 1];
    for (int o = 0; o < size; o += inner) {
      int src = 0;
      for (int d = 0; d < r - 1; d++) {
        src += idx[d] * srcStride[d];
      }
      copyStrided(x.data, src, innerStride, y, o, inner);
      for (int d = r - 2; d >= 0; d--) {
        if (++idx[d] < dims[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return Value.of(x.type, out, y);
  }

  static Value concat(List<Value> inputs, int axis, Shape out) {
    int r = out.rank();
    int a = axis < 0 ? axis + r : axis;
    int outer = out.size(0, a);
    int inner = out.size(a + 1, r);
    Object y = Value.newArray(inputs.get(0).type, out.size());
    int outRow = out.dim(a) * inner;
    int offset = 0;
    for (Value v : inputs) {
      int chunk = v.shape.dim(a) * inner;
      for (int o = 0; o < outer; o++) {
        System.arraycopy(v.data, o * chunk, y, o * outRow + offset, chunk);
      }
      offset += chunk;
    }
    return Value.of(inputs.get(0).type, out, y);
  }

  private static int[] strides(Shape s) {
    int[] st = new int[s.rank()];
    int stride = 1;
    for (int i = s.rank() - 1; i >= 0; i--) {
      st[i] = stride;
      stride *= s.dim(i);
    }
    return st;
  }

  private static void copyStrided(Object src, int srcOff, int stride, Object dst, int dstOff, int n) {
    if (stride == 1) {
      System.arraycopy(src, srcOff, dst, dstOff, n);
    } else if (src instanceof float[]) {
      float[] s = (float[]) src;
      float[] d = (float[]) dst;
      for (int i = 0; i < n; i++) {
        d[dstOff + i] = s[srcOff + i * stride];
      }
    } else if (src instanceof int[]) {
      int[] s = (int[]) src;
      int[] d = (int[]) dst;
      for (int i = 0; i < n; i++) {
        d[dstOff + i] = s[srcOff + i * stride];
      }
    } else {
      long[] s = (long[]) src;
      long[] d = (long[]) dst;
      for (int i = 0; i < n; i++) {
        d[dstOff + i] = s[srcOff + i * stride];
      }
    }
  }
}
