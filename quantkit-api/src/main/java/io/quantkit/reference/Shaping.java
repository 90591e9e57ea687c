package io.quantkit.reference;

import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.tensor.Shape;

/**
 * Kernels that move elements by index (Pad, Slice, Resize) or reduce over axes (ReduceMean,
 * GlobalMaxPool). Index-moving kernels compute, for each output element, the flat index of the
 * input element it copies, then copy whatever the element type is.
 */
final class Shaping {
  private Shaping() {}

  static int[] strides(int[] d) {
    int[] s = new int[d.length];
    int acc = 1;
    for (int i = d.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= d[i];
    }
    return s;
  }

  /** Copies {@code in.data} at the given source indices; -1 means the constant {@code fill}. */
  static Value gather(Value in, Shape out, int[] src, float fill) {
    if (in.data instanceof float[] x) {
      float[] y = new float[src.length];
      for (int i = 0; i < src.length; i++) {
        y[i] = src[i] < 0 ? fill : x[src[i]];
      }
      return Value.floats(out, y);
    }
    if (in.data instanceof long[] x) {
      long[] y = new long[src.length];
      for (int i = 0; i < src.length; i++) {
        y[i] = src[i] < 0 ? (long) fill : x[src[i]];
      }
      return Value.of(in.type, out, y);
    }
    int[] x = (int[]) in.data;
    int[] y = new int[src.length];
    for (int i = 0; i < src.length; i++) {
      y[i] = src[i] < 0 ? (int) fill : x[src[i]];
    }
    return Value.of(in.type, out, y);
  }

  /** For each output element, the flat input index from per-axis maps {@code map[axis][outIndex]}. */
  private static int[] sourceIndices(int[] inDims, int[] outDims, int[][] map) {
    int r = outDims.length;
    int[] st = strides(inDims);
    int n = 1;
    for (int d : outDims) {
      n *= d;
    }
    int[] src = new int[n];
    int[] idx = new int[r];
    for (int o = 0; o < n; o++) {
      int s = 0;
      for (int i = 0; i < r; i++) {
        int m = map[i][idx[i]];
        if (m < 0) {
          s = -1;
          break;
        }
        s += m * st[i];
      }
      src[o] = s;
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < outDims[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return src;
  }

  static Value pad(Value in, Op.Pad op, Shape out) {
    int[] d = in.shape.toArray();
    int r = d.length;
    int[] od = out.toArray();
    int[][] map = new int[r][];
    for (int a = 0; a < r; a++) {
      int begin = op.pads().get(a);
      map[a] = new int[od[a]];
      for (int o = 0; o < od[a]; o++) {
        int i = o - begin;
        if (i < 0 || i >= d[a]) {
          switch (op.mode()) {
            case "constant":
              i = -1;
              break;
            case "edge":
              i = i < 0 ? 0 : d[a] - 1;
              break;
            default:
              // reflect: mirror about the first and last element, which are not repeated
              int period = 2 * (d[a] - 1);
              i = period == 0 ? 0 : Math.floorMod(i, period);
              i = i >= d[a] ? period - i : i;
              break;
          }
        }
        map[a][o] = i;
      }
    }
    return gather(in, out, sourceIndices(d, od, map), op.value());
  }

  static Value slice(Value in, Op.Slice op, Shape out) {
    int[] d = in.shape.toArray();
    int r = d.length;
    int[][] map = new int[r][];
    for (int a = 0; a < r; a++) {
      map[a] = identity(d[a]);
    }
    for (int i = 0; i < op.axes().length(); i++) {
      int a = op.axes().get(i) < 0 ? op.axes().get(i) + r : op.axes().get(i);
      int step = op.steps().get(i);
      int[] b = ShapeInference.sliceBounds(d[a], op.starts().get(i), op.ends().get(i), step);
      map[a] = new int[b[1]];
      for (int k = 0; k < b[1]; k++) {
        map[a][k] = b[0] + k * step;
      }
    }
    return gather(in, out, sourceIndices(d, out.toArray(), map), 0f);
  }

  private static int[] identity(int n) {
    int[] m = new int[n];
    for (int i = 0; i < n; i++) {
      m[i] = i;
    }
    return m;
  }

  /** The input coordinate of output index {@code o} along an axis, per coordinate_transformation_mode. */
  private static double sourceCoordinate(String mode, int o, int inDim, int outDim, float scale) {
    switch (mode) {
      case "asymmetric":
        return o / (double) scale;
      case "align_corners":
        return outDim == 1 ? 0 : o * (inDim - 1) / (double) (outDim - 1);
      case "pytorch_half_pixel":
        return outDim > 1 ? (o + 0.5) / scale - 0.5 : 0;
      default:
        return (o + 0.5) / scale - 0.5;
    }
  }

  private static int nearest(String mode, double x) {
    switch (mode) {
      case "floor":
        return (int) Math.floor(x);
      case "ceil":
        return (int) Math.ceil(x);
      case "round_prefer_ceil":
        return (int) Math.floor(x + 0.5);
      default:
        return x == Math.floor(x) + 0.5 ? (int) Math.floor(x) : (int) Math.round(x);
    }
  }

  static Value resize(Value in, Op.Resize op, Shape out) {
    int[] d = in.shape.toArray();
    int[] od = out.toArray();
    int r = d.length;
    if (op.mode().equals("nearest")) {
      int[][] map = new int[r][];
      for (int a = 0; a < r; a++) {
        map[a] = new int[od[a]];
        for (int o = 0; o < od[a]; o++) {
          int i = nearest(op.nearestMode(), sourceCoordinate(op.coordinateMode(), o, d[a], od[a], op.scales().get(a)));
          map[a][o] = Math.max(0, Math.min(d[a] - 1, i));
        }
      }
      return gather(in, out, sourceIndices(d, od, map), 0f);
    }
    // Linear: separable, one axis at a time, each output a blend of two neighbours.
    float[] x = in.floats();
    int[] cur = d.clone();
    for (int a = 0; a < r; a++) {
      if (cur[a] == od[a] && op.scales().get(a) == 1f) {
        continue;
      }
      int[] next = cur.clone();
      next[a] = od[a];
      int outer = 1;
      for (int i = 0; i < a; i++) {
        outer *= cur[i];
      }
      int inner = 1;
      for (int i = a + 1; i < r; i++) {
        inner *= cur[i];
      }
      float[] y = new float[outer * od[a] * inner];
      for (int o = 0; o < od[a]; o++) {
        double c = sourceCoordinate(op.coordinateMode(), o, cur[a], od[a], op.scales().get(a));
        c = Math.max(0, Math.min(cur[a] - 1, c));
        int lo = (int) Math.floor(c);
        int hi = Math.min(lo + 1, cur[a] - 1);
        float w = (float) (c - lo);
        for (int p = 0; p < outer; p++) {
          int base = p * cur[a] * inner;
          int dst = (p * od[a] + o) * inner;
          for (int q = 0; q < inner; q++) {
            float v0 = x[base + lo * inner + q];
            float v1 = x[base + hi * inner + q];
            y[dst + q] = v0 + w * (v1 - v0);
          }
        }
      }
      x = y;
      cur = next;
    }
    return Value.floats(out, x == in.data ? x.clone() : x);
  }

  /** Mean over the reduced axes, summed in double. */
  static float[] reduceMean(float[] x, Shape xs, Op.ReduceMean op) {
    int r = xs.rank();
    boolean[] reduced = new boolean[r];
    if (op.axes().isEmpty()) {
      java.util.Arrays.fill(reduced, true);
    }
    for (int i = 0; i < op.axes().length(); i++) {
      int a = op.axes().get(i);
      reduced[a < 0 ? a + r : a] = true;
    }
    int[] d = xs.toArray();
    int[] kept = new int[r];
    int count = 1;
    for (int i = 0; i < r; i++) {
      kept[i] = reduced[i] ? 1 : d[i];
      count *= reduced[i] ? d[i] : 1;
    }
    int[] ks = strides(kept);
    int outSize = 1;
    for (int k : kept) {
      outSize *= k;
    }
    double[] sum = new double[outSize];
    int[] idx = new int[r];
    for (int n = 0; n < x.length; n++) {
      int o = 0;
      for (int i = 0; i < r; i++) {
        o += reduced[i] ? 0 : idx[i] * ks[i];
      }
      sum[o] += x[n];
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < d[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    float[] y = new float[outSize];
    for (int i = 0; i < outSize; i++) {
      y[i] = (float) (sum[i] / count);
    }
    return y;
  }

  /** Maximum of each [N, C] plane (any element type: max commutes with the integer-to-float conversion). */
  static float[] globalMax(float[] x, Shape xs) {
    int planes = xs.dim(0) * xs.dim(1);
    int plane = xs.size(2, xs.rank());
    float[] y = new float[planes];
    for (int i = 0; i < planes; i++) {
      float m = Float.NEGATIVE_INFINITY;
      for (int j = i * plane, end = j + plane; j < end; j++) {
        m = Math.max(m, x[j]);
      }
      y[i] = m;
    }
    return y;
  }
}
