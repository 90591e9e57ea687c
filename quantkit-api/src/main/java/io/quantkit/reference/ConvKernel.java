package io.quantkit.reference;

import io.quantkit.ir.Op;
import io.quantkit.tensor.Shape;
import java.util.Arrays;

/**
 * Convolution as im2col followed by a matrix product, per image and group:
 * {@code Y[m][p] = B[m] + sum_k W[m][k] * col[k][p]}, where k runs over (input channel of the
 * group, kernel position) and p over output positions. Work items are (image, group, block of
 * output channels); the channel split only kicks in when there are too few images and groups to
 * keep every worker busy.
 */
final class ConvKernel {
  private ConvKernel() {}

  static float[] run(Workers workers, Value x, Value w, Value b, Op.Conv op, Shape yShape) {
    Shape xs = x.shape;
    Window win = new Window(xs, yShape, op.kernel(), op.strides(), op.dilations(), op.padding());
    int n = xs.dim(0);
    int c = xs.dim(1);
    int m = yShape.dim(1);
    int groups = op.groups();
    int cg = c / groups;
    int mg = m / groups;
    int k = cg * win.kernelSize();
    int p = win.outSize();
    int s = win.inSize();
    float[] xd = x.floats();
    float[] wd = w.floats();
    float[] bias = b == null ? null : b.floats();
    float[] y = new float[n * m * p];
    if (y.length == 0) {
      return y;
    }

    int units = n * groups;
    int wanted = 2 * workers.count();
    int splits = units >= wanted ? 1 : Math.min(mg, (wanted + units - 1) / units);
    int block = (mg + splits - 1) / splits;
    int blocks = (mg + block - 1) / block;
    workers.forEach(units * blocks, (scratch, item) -> {
      int unit = item / blocks;
      int image = unit / groups;
      int group = unit % groups;
      int m0 = (item % blocks) * block;
      int rows = Math.min(mg, m0 + block) - m0;
      float[][] col = scratch.rows(0, k, p);
      im2col(xd, (image * c + group * cg) * s, cg, win, col);
      float[][] acc = scratch.rows(1, rows, p);
      int oc0 = group * mg + m0;
      for (int r = 0; r < rows; r++) {
        // Starting from the bias saves a pass over the output.
        Arrays.fill(acc[r], 0, p, bias == null ? 0f : bias[oc0 + r]);
      }
      FloatGemm.multiplyAdd(rows, p, k, wd, oc0 * k, k, col, acc);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(acc[r], 0, y, (image * m + oc0 + r) * p, p);
      }
    });
    return y;
  }

  /**
   * Row (ch, kd, kh, kw) of {@code col} receives, for every output position, the input value that
   * kernel tap sees there, or 0 in the padding.
   */
  static void im2col(float[] x, int xOff, int channels, Window w, float[][] col) {
    int[] in = w.in;
    int[] out = w.out;
    int inPlane = in[0] * in[1] * in[2];
    int row = 0;
    for (int ch = 0; ch < channels; ch++) {
      int chOff = xOff + ch * inPlane;
      for (int kd = 0; kd < w.kernel[0]; kd++) {
        for (int kh = 0; kh < w.kernel[1]; kh++) {
          for (int kw = 0; kw < w.kernel[2]; kw++) {
            float[] dst = col[row++];
            // Input column iw = ow * stride + shift; [lo, hi) are the ow that land inside the input.
            int shift = kw * w.dilation[2] - w.padBegin[2];
            int sw = w.stride[2];
            int lo = Math.min(out[2], shift >= 0 ? 0 : (-shift + sw - 1) / sw);
            int hi = in[2] - 1 - shift < 0 ? 0 : Math.min(out[2], (in[2] - 1 - shift) / sw + 1);
            hi = Math.max(lo, hi);
            int j = 0;
            for (int od = 0; od < out[0]; od++) {
              int id = od * w.stride[0] - w.padBegin[0] + kd * w.dilation[0];
              for (int oh = 0; oh < out[1]; oh++, j += out[2]) {
                int ih = oh * w.stride[1] - w.padBegin[1] + kh * w.dilation[1];
                if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1]) {
                  Arrays.fill(dst, j, j + out[2], 0f);
                  continue;
                }
                int base = chOff + (id * in[1] + ih) * in[2] + shift;
                Arrays.fill(dst, j, j + lo, 0f);
                if (sw == 1) {
                  // hi == lo when no tap lands inside the input (e.g. width 1, pad 2, kernel 5);
                  // then base + lo may be negative, which arraycopy rejects even for length 0.
                  if (hi > lo) {
                    System.arraycopy(x, base + lo, dst, j + lo, hi - lo);
                  }
                } else {
                  for (int ow = lo; ow < hi; ow++) {
                    dst[j + ow] = x[base + ow * sw];
                  }
                }
                Arrays.fill(dst, j + hi, j + out[2], 0f);
              }
            }
          }
        }
      }
    }
  }
}
