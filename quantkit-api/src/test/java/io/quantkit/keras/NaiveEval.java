package io.quantkit.keras;

import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * A deliberately plain float interpreter of the IR ops the Keras importer emits, written from the
 * ONNX operator definitions, so tests can run imported graphs without a backend. Slow; fine for
 * tiny fixtures and a few hundred ResNet8 images.
 */
final class NaiveEval {
  private NaiveEval() {}

  /** A float array with its shape. */
  record T(float[] v, int[] s) {
    int size(int from, int to) {
      int n = 1;
      for (int i = from; i < to; i++) {
        n *= s[i];
      }
      return n;
    }
  }

  static Map<String, T> run(Graph g, Map<String, T> inputs) {
    Map<String, T> env = new HashMap<>(inputs);
    for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
      env.put(e.getKey(), new T(e.getValue().toFloatArray(), e.getValue().shape().toArray()));
    }
    for (Node n : g.nodes()) {
      env.put(n.output(), eval(n, env));
    }
    Map<String, T> out = new HashMap<>();
    for (String o : g.outputs()) {
      out.put(o, env.get(o));
    }
    return out;
  }

  private static T in(Node n, Map<String, T> env, int i) {
    String name = n.input(i);
    return name.isEmpty() ? null : env.get(name);
  }

  private static T eval(Node n, Map<String, T> env) {
    Op op = n.op();
    T x = in(n, env, 0);
    if (op instanceof Op.Transpose) {
      return transpose(x, ((Op.Transpose) op).perm().toArray());
    } else if (op instanceof Op.Conv) {
      return conv(x, in(n, env, 1), in(n, env, 2), (Op.Conv) op);
    } else if (op instanceof Op.BatchNorm) {
      return batchNorm(x, in(n, env, 1), in(n, env, 2), in(n, env, 3), in(n, env, 4), ((Op.BatchNorm) op).epsilon());
    } else if (op instanceof Op.Relu) {
      return map(x, 0f, Float.POSITIVE_INFINITY);
    } else if (op instanceof Op.Clip) {
      return map(x, ((Op.Clip) op).min(), ((Op.Clip) op).max());
    } else if (op instanceof Op.Add) {
      return add(x, in(n, env, 1));
    } else if (op instanceof Op.MaxPool) {
      Op.MaxPool p = (Op.MaxPool) op;
      return pool(x, p.kernel().toArray(), p.strides().toArray(), p.padding(), true, false);
    } else if (op instanceof Op.AveragePool) {
      Op.AveragePool p = (Op.AveragePool) op;
      return pool(x, p.kernel().toArray(), p.strides().toArray(), p.padding(), false, p.countIncludePad());
    } else if (op instanceof Op.GlobalAveragePool) {
      return pool(x, new int[] {x.s()[2], x.s()[3]}, new int[] {1, 1}, Padding.valid(), false, false);
    } else if (op instanceof Op.Flatten) {
      int a = ((Op.Flatten) op).axis();
      return new T(x.v(), new int[] {x.size(0, a), x.size(a, x.s().length)});
    } else if (op instanceof Op.Reshape) {
      return reshape(x, ((Op.Reshape) op).shape().toArray());
    } else if (op instanceof Op.Gemm) {
      Op.Gemm gm = (Op.Gemm) op;
      if (gm.transA() || gm.transB() || gm.alpha() != 1f || gm.beta() != 1f) {
        throw new UnsupportedOperationException(op.toString());
      }
      T y = matmul(x, in(n, env, 1));
      T c = in(n, env, 2);
      return c == null ? y : add(y, new T(c.v(), new int[] {1, c.v().length}));
    } else if (op instanceof Op.MatMul) {
      return matmul(x, in(n, env, 1));
    } else if (op instanceof Op.Softmax) {
      return softmax(x, ((Op.Softmax) op).axis());
    } else if (op instanceof Op.Concat) {
      T[] parts = new T[n.inputs().size()];
      for (int i = 0; i < parts.length; i++) {
        parts[i] = in(n, env, i);
      }
      return concat(parts, ((Op.Concat) op).axis());
    }
    throw new UnsupportedOperationException(op.type());
  }

  static T transpose(T x, int[] perm) {
    int r = perm.length;
    int[] os = new int[r];
    for (int i = 0; i < r; i++) {
      os[i] = x.s()[perm[i]];
    }
    int[] inStride = strides(x.s());
    float[] out = new float[x.v().length];
    int[] idx = new int[r];
    for (int o = 0; o < out.length; o++) {
      int rem = o;
      for (int i = r - 1; i >= 0; i--) {
        idx[i] = rem % os[i];
        rem /= os[i];
      }
      int src = 0;
      for (int i = 0; i < r; i++) {
        src += idx[i] * inStride[perm[i]];
      }
      out[o] = x.v()[src];
    }
    return new T(out, os);
  }

  private static int[] strides(int[] s) {
    int[] st = new int[s.length];
    int acc = 1;
    for (int i = s.length - 1; i >= 0; i--) {
      st[i] = acc;
      acc *= s[i];
    }
    return st;
  }

  private static T conv(T x, T w, T b, Op.Conv op) {
    int n = x.s()[0], c = x.s()[1], h = x.s()[2], wd = x.s()[3];
    int m = w.s()[0], cg = w.s()[1], kh = w.s()[2], kw = w.s()[3];
    int g = op.groups();
    int[] st = op.strides().toArray();
    int[] dl = op.dilations().toArray();
    Padding.Explicit p = op.padding().resolve(new int[] {h, wd}, op.kernel(), op.strides(), op.dilations());
    int pt = p.begins().get(0), pl = p.begins().get(1);
    int oh = (h + pt + p.ends().get(0) - ((kh - 1) * dl[0] + 1)) / st[0] + 1;
    int ow = (wd + pl + p.ends().get(1) - ((kw - 1) * dl[1] + 1)) / st[1] + 1;
    if (cg * g != c) {
      throw new IllegalArgumentException("channels " + c + " vs " + cg + "x" + g);
    }
    int mg = m / g;
    float[] out = new float[n * m * oh * ow];
    double[] acc = new double[oh * ow];
    // Loop order weight-outer, pixel-inner: the same sum as the textbook loop, just faster.
    for (int b0 = 0; b0 < n; b0++) {
      for (int o = 0; o < m; o++) {
        java.util.Arrays.fill(acc, b == null ? 0 : b.v()[o]);
        int grp = o / mg;
        for (int i = 0; i < cg; i++) {
          int plane = (b0 * c + grp * cg + i) * h * wd;
          for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
              float wv = w.v()[((o * cg + i) * kh + ky) * kw + kx];
              for (int y = 0; y < oh; y++) {
                int iy = y * st[0] - pt + ky * dl[0];
                if (iy < 0 || iy >= h) {
                  continue;
                }
                int row = plane + iy * wd;
                for (int xx = 0; xx < ow; xx++) {
                  int ix = xx * st[1] - pl + kx * dl[1];
                  if (ix >= 0 && ix < wd) {
                    acc[y * ow + xx] += wv * x.v()[row + ix];
                  }
                }
              }
            }
          }
        }
        int base = (b0 * m + o) * oh * ow;
        for (int p0 = 0; p0 < oh * ow; p0++) {
          out[base + p0] = (float) acc[p0];
        }
      }
    }
    return new T(out, new int[] {n, m, oh, ow});
  }

  private static T batchNorm(T x, T scale, T bias, T mean, T var, float eps) {
    int c = x.s()[1];
    int inner = x.size(2, x.s().length);
    float[] out = new float[x.v().length];
    for (int i = 0; i < out.length; i++) {
      int ch = (i / inner) % c;
      out[i] = (float) ((x.v()[i] - mean.v()[ch]) / Math.sqrt(var.v()[ch] + eps) * scale.v()[ch] + bias.v()[ch]);
    }
    return new T(out, x.s());
  }

  private static T map(T x, float lo, float hi) {
    float[] out = new float[x.v().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.min(hi, Math.max(lo, x.v()[i]));
    }
    return new T(out, x.s());
  }

  /** Numpy broadcasting: shapes align at the right, missing leading axes count as 1. */
  private static T add(T a, T b) {
    int r = Math.max(a.s().length, b.s().length);
    a = new T(a.v(), leadingOnes(a.s(), r));
    b = new T(b.v(), leadingOnes(b.s(), r));
    int[] os = new int[r];
    for (int i = 0; i < r; i++) {
      os[i] = Math.max(a.s()[i], b.s()[i]);
    }
    int[] sa = strides(a.s()), sb = strides(b.s());
    int total = 1;
    for (int d : os) {
      total *= d;
    }
    float[] out = new float[total];
    int[] idx = new int[r];
    for (int o = 0; o < total; o++) {
      int rem = o;
      for (int i = r - 1; i >= 0; i--) {
        idx[i] = rem % os[i];
        rem /= os[i];
      }
      int ia = 0, ib = 0;
      for (int i = 0; i < r; i++) {
        ia += (a.s()[i] == 1 ? 0 : idx[i]) * sa[i];
        ib += (b.s()[i] == 1 ? 0 : idx[i]) * sb[i];
      }
      out[o] = a.v()[ia] + b.v()[ib];
    }
    return new T(out, os);
  }

  private static int[] leadingOnes(int[] s, int r) {
    int[] out = new int[r];
    java.util.Arrays.fill(out, 1);
    System.arraycopy(s, 0, out, r - s.length, s.length);
    return out;
  }

  private static T pool(T x, int[] k, int[] st, Padding pad, boolean max, boolean countPad) {
    int n = x.s()[0], c = x.s()[1], h = x.s()[2], w = x.s()[3];
    Padding.Explicit p = pad.resolve(new int[] {h, w}, com.google.common.primitives.ImmutableIntArray.copyOf(k),
        com.google.common.primitives.ImmutableIntArray.copyOf(st), com.google.common.primitives.ImmutableIntArray.of(1, 1));
    int pt = p.begins().get(0), pl = p.begins().get(1);
    int oh = (h + pt + p.ends().get(0) - k[0]) / st[0] + 1;
    int ow = (w + pl + p.ends().get(1) - k[1]) / st[1] + 1;
    float[] out = new float[n * c * oh * ow];
    for (int nc = 0; nc < n * c; nc++) {
      for (int y = 0; y < oh; y++) {
        for (int xx = 0; xx < ow; xx++) {
          double acc = max ? Double.NEGATIVE_INFINITY : 0;
          int count = 0;
          for (int ky = 0; ky < k[0]; ky++) {
            for (int kx = 0; kx < k[1]; kx++) {
              int iy = y * st[0] - pt + ky, ix = xx * st[1] - pl + kx;
              boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              if (!inside) {
                if (countPad && iy < h + p.ends().get(0) && ix < w + p.ends().get(1)) {
                  count++;
                }
                continue;
              }
              float v = x.v()[(nc * h + iy) * w + ix];
              acc = max ? Math.max(acc, v) : acc + v;
              count++;
            }
          }
          out[(nc * oh + y) * ow + xx] = (float) (max ? acc : acc / count);
        }
      }
    }
    return new T(out, new int[] {n, c, oh, ow});
  }

  private static T reshape(T x, int[] shape) {
    int[] s = shape.clone();
    int known = 1, infer = -1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == 0) {
        s[i] = x.s()[i];
      }
      if (s[i] == -1) {
        infer = i;
      } else {
        known *= s[i];
      }
    }
    if (infer >= 0) {
      s[infer] = x.v().length / known;
    }
    return new T(x.v(), s);
  }

  /** [..., M, K] x [K, N]. */
  private static T matmul(T a, T b) {
    int r = a.s().length;
    int k = a.s()[r - 1];
    int nOut = b.s()[1];
    int rows = a.v().length / k;
    float[] out = new float[rows * nOut];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < nOut; j++) {
        double acc = 0;
        for (int t = 0; t < k; t++) {
          acc += a.v()[i * k + t] * b.v()[t * nOut + j];
        }
        out[i * nOut + j] = (float) acc;
      }
    }
    int[] os = a.s().clone();
    os[r - 1] = nOut;
    return new T(out, os);
  }

  private static T softmax(T x, int axis) {
    int r = x.s().length;
    int a = axis < 0 ? axis + r : axis;
    int outer = x.size(0, a), len = x.s()[a], inner = x.size(a + 1, r);
    float[] out = new float[x.v().length];
    for (int o = 0; o < outer; o++) {
      for (int in = 0; in < inner; in++) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
          mx = Math.max(mx, x.v()[(o * len + i) * inner + in]);
        }
        double sum = 0;
        for (int i = 0; i < len; i++) {
          sum += Math.exp(x.v()[(o * len + i) * inner + in] - mx);
        }
        for (int i = 0; i < len; i++) {
          out[(o * len + i) * inner + in] = (float) (Math.exp(x.v()[(o * len + i) * inner + in] - mx) / sum);
        }
      }
    }
    return new T(out, x.s());
  }

  private static T concat(T[] parts, int axis) {
    int r = parts[0].s().length;
    int outer = parts[0].size(0, axis);
    int[] os = parts[0].s().clone();
    os[axis] = 0;
    for (T p : parts) {
      os[axis] += p.s()[axis];
    }
    float[] out = new float[outer * new T(null, os).size(axis, r)];
    int pos = 0;
    for (int o = 0; o < outer; o++) {
      for (T p : parts) {
        int chunk = p.size(axis, r);
        System.arraycopy(p.v(), o * chunk, out, pos, chunk);
        pos += chunk;
      }
    }
    return new T(out, os);
  }

  static T of(Shape shape, float[] v) {
    return new T(v, shape.toArray());
  }
}
