package io.quantkit.testing;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only naive interpreter for the ops the quantization tests use: a second, independent
 * implementation written from the ONNX operator definitions (double accumulation, no tricks), so
 * calibration and QDQ numerics can be tested before and besides the real reference executor.
 */
public final class TinyExecutor implements Backend {
  @Override
  public String name() {
    return "tiny-test";
  }

  @Override
  public Runner compile(Graph graph, RunnerOptions options) {
    return new Runner() {
      @Override
      public Graph graph() {
        return graph;
      }

      @Override
      public String backendName() {
        return name();
      }

      @Override
      public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return execute(graph, inputs);
      }

      @Override
      public void close() {}
    };
  }

  public static Map<String, Tensor> execute(Graph g, Map<String, Tensor> inputs) {
    Map<String, Tensor> env = new HashMap<>(g.initializers());
    env.putAll(inputs);
    for (Node n : g.nodes()) {
      env.put(n.output(), eval(n, env));
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String o : g.outputs()) {
      out.put(o, env.get(o));
    }
    return out;
  }

  private static Tensor in(Node n, Map<String, Tensor> env, int i) {
    Tensor t = env.get(n.input(i));
    if (t == null) {
      throw new IllegalStateException("missing " + n.input(i) + " for " + n);
    }
    return t;
  }

  static Tensor eval(Node n, Map<String, Tensor> env) {
    Op op = n.op();
    Tensor x = in(n, env, 0);
    if (op instanceof Op.Relu) {
      return map(x, v -> Math.max(v, 0f));
    }
    if (op instanceof Op.Clip) {
      Op.Clip c = (Op.Clip) op;
      return map(x, v -> Math.min(Math.max(v, c.min()), c.max()));
    }
    if (op instanceof Op.Add) {
      return broadcast(x, in(n, env, 1), true);
    }
    if (op instanceof Op.Mul) {
      return broadcast(x, in(n, env, 1), false);
    }
    if (op instanceof Op.Conv) {
      return conv(x, in(n, env, 1), n.input(2).isEmpty() ? null : in(n, env, 2), (Op.Conv) op);
    }
    if (op instanceof Op.BatchNorm) {
      float[] s = in(n, env, 1).toFloatArray();
      float[] b = in(n, env, 2).toFloatArray();
      float[] m = in(n, env, 3).toFloatArray();
      float[] v = in(n, env, 4).toFloatArray();
      float eps = ((Op.BatchNorm) op).epsilon();
      int c = x.shape().dim(1);
      int inner = x.shape().size(2, x.shape().rank());
      float[] xv = x.toFloatArray();
      float[] out = new float[xv.length];
      for (int i = 0; i < xv.length; i++) {
        int ch = (i / inner) % c;
        out[i] = (float) ((xv[i] - m[ch]) / Math.sqrt(v[ch] + eps) * s[ch] + b[ch]);
      }
      return Tensor.wrapFloats(x.shape(), out);
    }
    if (op instanceof Op.Gemm) {
      return gemm(x, in(n, env, 1), n.input(2).isEmpty() ? null : in(n, env, 2), (Op.Gemm) op);
    }
    if (op instanceof Op.MatMul) {
      return gemm(x, in(n, env, 1), null, new Op.Gemm(1, 1, false, false));
    }
    if (op instanceof Op.Flatten) {
      int axis = ((Op.Flatten) op).axis();
      Shape s = x.shape();
      return x.reshape(Shape.of(s.size(0, axis), s.size(axis, s.rank())));
    }
    if (op instanceof Op.Reshape) {
      int[] target = ((Op.Reshape) op).shape().toArray();
      int known = 1;
      int unknown = -1;
      for (int i = 0; i < target.length; i++) {
        if (target[i] == 0) {
          target[i] = x.shape().dim(i);
        }
        if (target[i] == -1) {
          unknown = i;
        } else {
          known *= target[i];
        }
      }
      if (unknown >= 0) {
        target[unknown] = x.size() / known;
      }
      return x.reshape(Shape.of(target));
    }
    if (op instanceof Op.Transpose) {
      return transpose(x, ((Op.Transpose) op).perm().toArray());
    }
    if (op instanceof Op.GlobalAveragePool) {
      int nn = x.shape().dim(0);
      int c = x.shape().dim(1);
      int hw = x.shape().size(2, x.shape().rank());
      float[] xv = x.toFloatArray();
      float[] out = new float[nn * c];
      for (int i = 0; i < nn * c; i++) {
        double s = 0;
        for (int k = 0; k < hw; k++) {
          s += xv[i * hw + k];
        }
        out[i] = (float) (s / hw);
      }
      return Tensor.wrapFloats(Shape.of(nn, c, 1, 1), out);
    }
    if (op instanceof Op.MaxPool) {
      Op.MaxPool p = (Op.MaxPool) op;
      return pool(x, p.kernel().toArray(), p.strides().toArray(), p.padding(), true, false);
    }
    if (op instanceof Op.AveragePool) {
      Op.AveragePool p = (Op.AveragePool) op;
      return pool(x, p.kernel().toArray(), p.strides().toArray(), p.padding(), false, p.countIncludePad());
    }
    if (op instanceof Op.Softmax) {
      int axis = ((Op.Softmax) op).axis();
      Shape s = x.shape();
      int a = axis < 0 ? axis + s.rank() : axis;
      int d = s.dim(a);
      int inner = s.size(a + 1, s.rank());
      int outer = s.size(0, a);
      float[] xv = x.toFloatArray();
      float[] out = new float[xv.length];
      for (int o = 0; o < outer; o++) {
        for (int in = 0; in < inner; in++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < d; k++) {
            max = Math.max(max, xv[(o * d + k) * inner + in]);
          }
          double sum = 0;
          for (int k = 0; k < d; k++) {
            sum += Math.exp(xv[(o * d + k) * inner + in] - max);
          }
          for (int k = 0; k < d; k++) {
            out[(o * d + k) * inner + in] = (float) (Math.exp(xv[(o * d + k) * inner + in] - max) / sum);
          }
        }
      }
      return Tensor.wrapFloats(s, out);
    }
    if (op instanceof Op.QuantizeLinear) {
      Tensor scale = in(n, env, 1);
      Tensor zp = in(n, env, 2);
      int axis = ((Op.QuantizeLinear) op).axis();
      int inner = scale.size() == 1 ? 1 : x.shape().size(axis + 1, x.shape().rank());
      DataType type = zp.type();
      long lo = type == DataType.UINT8 ? 0 : -128;
      long hi = type == DataType.UINT8 ? 255 : 127;
      float[] xv = x.toFloatArray();
      byte[] out = new byte[xv.length];
      for (int i = 0; i < xv.length; i++) {
        int c = scale.size() == 1 ? 0 : (i / inner) % scale.size();
        // round half to even: ties go to the even neighbour
        double r = xv[i] / scale.getFloat(c);
        double f = Math.floor(r);
        double diff = r - f;
        long rounded = (long) (diff > 0.5 ? f + 1 : diff < 0.5 ? f : (((long) f) % 2 == 0 ? f : f + 1));
        long q = Math.max(lo, Math.min(hi, rounded + zp.getLong(c)));
        out[i] = (byte) q;
      }
      return Tensor.wrapBytes(type, x.shape(), out);
    }
    if (op instanceof Op.DequantizeLinear) {
      Tensor scale = in(n, env, 1);
      Tensor zp = in(n, env, 2);
      int axis = ((Op.DequantizeLinear) op).axis();
      int inner = scale.size() == 1 ? 1 : x.shape().size(axis + 1, x.shape().rank());
      float[] out = new float[x.size()];
      for (int i = 0; i < out.length; i++) {
        int c = scale.size() == 1 ? 0 : (i / inner) % scale.size();
        out[i] = (x.getLong(i) - zp.getLong(c)) * scale.getFloat(c);
      }
      return Tensor.wrapFloats(x.shape(), out);
    }
    throw new UnsupportedOperationException(op.type());
  }

  private interface FloatOp {
    float apply(float v);
  }

  private static Tensor map(Tensor x, FloatOp f) {
    float[] v = x.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] = f.apply(v[i]);
    }
    return Tensor.wrapFloats(x.shape(), v);
  }

  private static Tensor broadcast(Tensor a, Tensor b, boolean add) {
    int rank = Math.max(a.shape().rank(), b.shape().rank());
    int[] da = pad(a.shape().toArray(), rank);
    int[] db = pad(b.shape().toArray(), rank);
    int[] d = new int[rank];
    for (int i = 0; i < rank; i++) {
      d[i] = Math.max(da[i], db[i]);
    }
    Shape s = Shape.of(d);
    float[] av = a.toFloatArray();
    float[] bv = b.toFloatArray();
    float[] out = new float[s.size()];
    int[] idx = new int[rank];
    for (int i = 0; i < out.length; i++) {
      int rem = i;
      for (int k = rank - 1; k >= 0; k--) {
        idx[k] = rem % d[k];
        rem /= d[k];
      }
      float x = av[flat(idx, da)];
      float y = bv[flat(idx, db)];
      out[i] = add ? x + y : x * y;
    }
    return Tensor.wrapFloats(s, out);
  }

  private static int[] pad(int[] dims, int rank) {
    int[] out = new int[rank];
    java.util.Arrays.fill(out, 1);
    System.arraycopy(dims, 0, out, rank - dims.length, dims.length);
    return out;
  }

  private static int flat(int[] idx, int[] dims) {
    int f = 0;
    for (int k = 0; k < dims.length; k++) {
      f = f * dims[k] + (dims[k] == 1 ? 0 : idx[k]);
    }
    return f;
  }

  private static Tensor transpose(Tensor x, int[] perm) {
    int[] d = x.shape().toArray();
    int rank = d.length;
    int[] od = new int[rank];
    for (int i = 0; i < rank; i++) {
      od[i] = d[perm[i]];
    }
    float[] xv = x.toFloatArray();
    float[] out = new float[xv.length];
    int[] idx = new int[rank];
    int[] src = new int[rank];
    for (int i = 0; i < out.length; i++) {
      int rem = i;
      for (int k = rank - 1; k >= 0; k--) {
        idx[k] = rem % od[k];
        rem /= od[k];
      }
      for (int k = 0; k < rank; k++) {
        src[perm[k]] = idx[k];
      }
      int f = 0;
      for (int k = 0; k < rank; k++) {
        f = f * d[k] + src[k];
      }
      out[i] = xv[f];
    }
    return Tensor.wrapFloats(Shape.of(od), out);
  }

  private static Tensor conv(Tensor x, Tensor w, Tensor bias, Op.Conv op) {
    int n = x.shape().dim(0);
    int c = x.shape().dim(1);
    int h = x.shape().dim(2);
    int wd = x.shape().dim(3);
    int m = w.shape().dim(0);
    int cg = w.shape().dim(1);
    int kh = w.shape().dim(2);
    int kw = w.shape().dim(3);
    int g = op.groups();
    int sh = op.strides().get(0);
    int sw = op.strides().get(1);
    int dh = op.dilations().get(0);
    int dw = op.dilations().get(1);
    Padding.Explicit p = op.padding().resolve(new int[] {h, wd}, op.kernel(), op.strides(), op.dilations());
    int pt = p.begins().get(0);
    int pl = p.begins().get(1);
    int oh = (h + pt + p.ends().get(0) - ((kh - 1) * dh + 1)) / sh + 1;
    int ow = (wd + pl + p.ends().get(1) - ((kw - 1) * dw + 1)) / sw + 1;
    float[] xv = x.toFloatArray();
    float[] wv = w.toFloatArray();
    float[] bv = bias == null ? new float[m] : bias.toFloatArray();
    float[] out = new float[n * m * oh * ow];
    int mg = m / g;
    for (int b = 0; b < n; b++) {
      for (int o = 0; o < m; o++) {
        int grp = o / mg;
        for (int y = 0; y < oh; y++) {
          for (int xx = 0; xx < ow; xx++) {
            double s = bv[o];
            for (int ci = 0; ci < cg; ci++) {
              int ch = grp * cg + ci;
              for (int ky = 0; ky < kh; ky++) {
                int iy = y * sh - pt + ky * dh;
                if (iy < 0 || iy >= h) {
                  continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                  int ix = xx * sw - pl + kx * dw;
                  if (ix < 0 || ix >= wd) {
                    continue;
                  }
                  s += (double) xv[((b * c + ch) * h + iy) * wd + ix] * wv[((o * cg + ci) * kh + ky) * kw + kx];
                }
              }
            }
            out[((b * m + o) * oh + y) * ow + xx] = (float) s;
          }
        }
      }
    }
    return Tensor.wrapFloats(Shape.of(n, m, oh, ow), out);
  }

  private static Tensor pool(Tensor x, int[] k, int[] s, Padding padding, boolean max, boolean countPad) {
    int n = x.shape().dim(0);
    int c = x.shape().dim(1);
    int h = x.shape().dim(2);
    int w = x.shape().dim(3);
    com.google.common.primitives.ImmutableIntArray ones = com.google.common.primitives.ImmutableIntArray.of(1, 1);
    Padding.Explicit p = padding.resolve(new int[] {h, w}, com.google.common.primitives.ImmutableIntArray.copyOf(k),
        com.google.common.primitives.ImmutableIntArray.copyOf(s), ones);
    int pt = p.begins().get(0);
    int pl = p.begins().get(1);
    int oh = (h + pt + p.ends().get(0) - k[0]) / s[0] + 1;
    int ow = (w + pl + p.ends().get(1) - k[1]) / s[1] + 1;
    float[] xv = x.toFloatArray();
    float[] out = new float[n * c * oh * ow];
    for (int b = 0; b < n * c; b++) {
      for (int y = 0; y < oh; y++) {
        for (int xx = 0; xx < ow; xx++) {
          double acc = max ? Double.NEGATIVE_INFINITY : 0;
          int cnt = 0;
          for (int ky = 0; ky < k[0]; ky++) {
            for (int kx = 0; kx < k[1]; kx++) {
              int iy = y * s[0] - pt + ky;
              int ix = xx * s[1] - pl + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                if (countPad) {
                  cnt++;
                }
                continue;
              }
              float v = xv[(b * h + iy) * w + ix];
              acc = max ? Math.max(acc, v) : acc + v;
              cnt++;
            }
          }
          out[(b * oh + y) * ow + xx] = (float) (max ? acc : acc / cnt);
        }
      }
    }
    return Tensor.wrapFloats(Shape.of(n, c, oh, ow), out);
  }

  private static Tensor gemm(Tensor a, Tensor b, Tensor c, Op.Gemm op) {
    int am = a.shape().dim(0);
    int ak = a.shape().dim(1);
    int rows = op.transA() ? ak : am;
    int inner = op.transA() ? am : ak;
    int cols = op.transB() ? b.shape().dim(0) : b.shape().dim(1);
    float[] av = a.toFloatArray();
    float[] bv = b.toFloatArray();
    float[] cv = c == null ? null : c.toFloatArray();
    float[] out = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int k = 0; k < inner; k++) {
          float x = op.transA() ? av[k * am + i] : av[i * ak + k];
          float y = op.transB() ? bv[j * inner + k] : bv[k * cols + j];
          s += (double) x * y;
        }
        s *= op.alpha();
        if (cv != null) {
          s += op.beta() * cv[cv.length == cols ? j : cv.length == 1 ? 0 : i * cols + j];
        }
        out[i * cols + j] = (float) s;
      }
    }
    return Tensor.wrapFloats(Shape.of(rows, cols), out);
  }
}
