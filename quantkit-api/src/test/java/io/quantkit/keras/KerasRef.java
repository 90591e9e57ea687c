package io.quantkit.keras;

/**
 * Keras/TensorFlow layer semantics computed directly in NHWC with Keras's own weight layouts
 * (HWIO kernels, [in, out] dense kernels) and TensorFlow's SAME rule. The expected side of the
 * importer's numeric tests: it shares no code with the importer or with the reference executor
 * that runs the imported (NCHW) graph.
 */
final class KerasRef {
  private KerasRef() {}

  /** A row-major float array with its shape. */
  record T(float[] v, int[] s) {}

  /** TensorFlow SAME: out = ceil(in / s); the odd pad goes after. Returns {out, padBefore}. */
  private static int[] same(int in, int k, int s, int d) {
    int out = (in + s - 1) / s;
    int total = Math.max((out - 1) * s + (k - 1) * d + 1 - in, 0);
    return new int[] {out, total / 2};
  }

  private static int[] valid(int in, int k, int s, int d) {
    return new int[] {(in - ((k - 1) * d + 1)) / s + 1, 0};
  }

  /** Conv2D; {@code kernel} is [kh][kw][cin][cout] flattened. */
  static T conv(T x, float[] kernel, float[] bias, int kh, int kw, int cout, int sh, int sw, int dh, int dw, boolean same) {
    int n = x.s()[0], h = x.s()[1], w = x.s()[2], cin = x.s()[3];
    int[] oy = same ? same(h, kh, sh, dh) : valid(h, kh, sh, dh);
    int[] ox = same ? same(w, kw, sw, dw) : valid(w, kw, sw, dw);
    float[] out = new float[n * oy[0] * ox[0] * cout];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < oy[0]; y++) {
        for (int xx = 0; xx < ox[0]; xx++) {
          for (int o = 0; o < cout; o++) {
            double acc = bias == null ? 0 : bias[o];
            for (int ky = 0; ky < kh; ky++) {
              for (int kx = 0; kx < kw; kx++) {
                int iy = y * sh + ky * dh - oy[1];
                int ix = xx * sw + kx * dw - ox[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                  continue;
                }
                for (int i = 0; i < cin; i++) {
                  acc += x.v()[((b * h + iy) * w + ix) * cin + i] * kernel[((ky * kw + kx) * cin + i) * cout + o];
                }
              }
            }
            out[((b * oy[0] + y) * ox[0] + xx) * cout + o] = (float) acc;
          }
        }
      }
    }
    return new T(out, new int[] {n, oy[0], ox[0], cout});
  }

  /** DepthwiseConv2D; {@code kernel} is [kh][kw][cin][mult]; output channel c * mult + m. */
  static T depthwise(T x, float[] kernel, float[] bias, int kh, int kw, int mult, int s, boolean same) {
    int n = x.s()[0], h = x.s()[1], w = x.s()[2], cin = x.s()[3];
    int[] oy = same ? same(h, kh, s, 1) : valid(h, kh, s, 1);
    int[] ox = same ? same(w, kw, s, 1) : valid(w, kw, s, 1);
    int cout = cin * mult;
    float[] out = new float[n * oy[0] * ox[0] * cout];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < oy[0]; y++) {
        for (int xx = 0; xx < ox[0]; xx++) {
          for (int c = 0; c < cin; c++) {
            for (int m = 0; m < mult; m++) {
              double acc = bias == null ? 0 : bias[c * mult + m];
              for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                  int iy = y * s + ky - oy[1];
                  int ix = xx * s + kx - ox[1];
                  if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    acc += x.v()[((b * h + iy) * w + ix) * cin + c] * kernel[((ky * kw + kx) * cin + c) * mult + m];
                  }
                }
              }
              out[((b * oy[0] + y) * ox[0] + xx) * cout + c * mult + m] = (float) acc;
            }
          }
        }
      }
    }
    return new T(out, new int[] {n, oy[0], ox[0], cout});
  }

  static T zeroPad(T x, int top, int bottom, int left, int right) {
    int n = x.s()[0], h = x.s()[1], w = x.s()[2], c = x.s()[3];
    int oh = h + top + bottom, ow = w + left + right;
    float[] out = new float[n * oh * ow * c];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < w; xx++) {
          System.arraycopy(x.v(), ((b * h + y) * w + xx) * c, out, ((b * oh + y + top) * ow + xx + left) * c, c);
        }
      }
    }
    return new T(out, new int[] {n, oh, ow, c});
  }

  /** Average or max pooling; TensorFlow averages over the cells inside the input only. */
  static T pool(T x, int k, int s, boolean same, boolean max) {
    int n = x.s()[0], h = x.s()[1], w = x.s()[2], c = x.s()[3];
    int[] oy = same ? same(h, k, s, 1) : valid(h, k, s, 1);
    int[] ox = same ? same(w, k, s, 1) : valid(w, k, s, 1);
    float[] out = new float[n * oy[0] * ox[0] * c];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < oy[0]; y++) {
        for (int xx = 0; xx < ox[0]; xx++) {
          for (int ch = 0; ch < c; ch++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            int count = 0;
            for (int ky = 0; ky < k; ky++) {
              for (int kx = 0; kx < k; kx++) {
                int iy = y * s + ky - oy[1];
                int ix = xx * s + kx - ox[1];
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                  float v = x.v()[((b * h + iy) * w + ix) * c + ch];
                  acc = max ? Math.max(acc, v) : acc + v;
                  count++;
                }
              }
            }
            out[((b * oy[0] + y) * ox[0] + xx) * c + ch] = (float) (max ? acc : acc / count);
          }
        }
      }
    }
    return new T(out, new int[] {n, oy[0], ox[0], c});
  }

  static T globalAverage(T x) {
    int n = x.s()[0], hw = x.s()[1] * x.s()[2], c = x.s()[3];
    float[] out = new float[n * c];
    for (int b = 0; b < n; b++) {
      for (int ch = 0; ch < c; ch++) {
        double acc = 0;
        for (int p = 0; p < hw; p++) {
          acc += x.v()[(b * hw + p) * c + ch];
        }
        out[b * c + ch] = (float) (acc / hw);
      }
    }
    return new T(out, new int[] {n, c});
  }

  /** Inference batch norm over the last axis. */
  static T batchNorm(T x, float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
    int c = x.s()[x.s().length - 1];
    float[] out = new float[x.v().length];
    for (int i = 0; i < out.length; i++) {
      int ch = i % c;
      double g = gamma == null ? 1 : gamma[ch];
      double bt = beta == null ? 0 : beta[ch];
      out[i] = (float) ((x.v()[i] - mean[ch]) / Math.sqrt(var[ch] + eps) * g + bt);
    }
    return new T(out, x.s());
  }

  static T clip(T x, double lo, double hi) {
    float[] out = new float[x.v().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) Math.min(hi, Math.max(lo, x.v()[i]));
    }
    return new T(out, x.s());
  }

  static T add(T a, T b) {
    float[] out = new float[a.v().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.v()[i] + b.v()[i];
    }
    return new T(out, a.s());
  }

  /** Concatenation along the last axis. */
  static T concatLast(T a, T b) {
    int ca = a.s()[a.s().length - 1], cb = b.s()[b.s().length - 1];
    int rows = a.v().length / ca;
    float[] out = new float[rows * (ca + cb)];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(a.v(), r * ca, out, r * (ca + cb), ca);
      System.arraycopy(b.v(), r * cb, out, r * (ca + cb) + ca, cb);
    }
    int[] s = a.s().clone();
    s[s.length - 1] = ca + cb;
    return new T(out, s);
  }

  /** Keras Flatten: NHWC data in its own (H, W, C) order. */
  static T flatten(T x) {
    return new T(x.v(), new int[] {x.s()[0], x.v().length / x.s()[0]});
  }

  static T reshape(T x, int... dims) {
    int[] s = new int[dims.length + 1];
    s[0] = x.s()[0];
    System.arraycopy(dims, 0, s, 1, dims.length);
    return new T(x.v(), s);
  }

  /** Dense on the last axis; {@code kernel} is [in][out]. */
  static T dense(T x, float[] kernel, float[] bias, int units) {
    int in = x.s()[x.s().length - 1];
    int rows = x.v().length / in;
    float[] out = new float[rows * units];
    for (int r = 0; r < rows; r++) {
      for (int u = 0; u < units; u++) {
        double acc = bias == null ? 0 : bias[u];
        for (int i = 0; i < in; i++) {
          acc += x.v()[r * in + i] * kernel[i * units + u];
        }
        out[r * units + u] = (float) acc;
      }
    }
    int[] s = x.s().clone();
    s[s.length - 1] = units;
    return new T(out, s);
  }

  /** Softmax over the last axis. */
  static T softmax(T x) {
    int c = x.s()[x.s().length - 1];
    float[] out = new float[x.v().length];
    for (int r = 0; r < out.length / c; r++) {
      double sum = 0;
      for (int i = 0; i < c; i++) {
        sum += Math.exp(x.v()[r * c + i]);
      }
      for (int i = 0; i < c; i++) {
        out[r * c + i] = (float) (Math.exp(x.v()[r * c + i]) / sum);
      }
    }
    return new T(out, x.s());
  }
}
