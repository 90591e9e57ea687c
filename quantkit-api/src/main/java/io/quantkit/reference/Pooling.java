package io.quantkit.reference;

import io.quantkit.tensor.Shape;

/** Max, average and global average pooling over [N, C, spatial...], one (image, channel) plane per work item. */
final class Pooling {
  private Pooling() {}

  /** Max over the window's taps that fall inside the input (padding never wins). */
  static float[] max(Workers workers, float[] x, Shape xs, Shape ys, Window w) {
    int planes = xs.dim(0) * xs.dim(1);
    int inPlane = w.inSize();
    int outPlane = w.outSize();
    float[] y = new float[planes * outPlane];
    workers.forEach(planes, (scratch, plane) -> {
      int xo = plane * inPlane;
      int yo = plane * outPlane;
      for (int od = 0; od < w.out[0]; od++) {
        for (int oh = 0; oh < w.out[1]; oh++) {
          for (int ow = 0; ow < w.out[2]; ow++) {
            // ONNX Runtime starts from the lowest float, not -infinity; an all-padding window gives that.
            float best = -Float.MAX_VALUE;
            for (int kd = 0; kd < w.kernel[0]; kd++) {
              int id = od * w.stride[0] - w.padBegin[0] + kd * w.dilation[0];
              if (id < 0 || id >= w.in[0]) {
                continue;
              }
              for (int kh = 0; kh < w.kernel[1]; kh++) {
                int ih = oh * w.stride[1] - w.padBegin[1] + kh * w.dilation[1];
                if (ih < 0 || ih >= w.in[1]) {
                  continue;
                }
                for (int kw = 0; kw < w.kernel[2]; kw++) {
                  int iw = ow * w.stride[2] - w.padBegin[2] + kw * w.dilation[2];
                  if (iw >= 0 && iw < w.in[2]) {
                    float v = x[xo + (id * w.in[1] + ih) * w.in[2] + iw];
                    if (v > best || Float.isNaN(v)) {
                      best = v;
                    }
                  }
                }
              }
            }
            y[yo + (od * w.out[1] + oh) * w.out[2] + ow] = best;
          }
        }
      }
    });
    return y;
  }

  /**
   * Mean over the window. The divisor counts the taps inside the input, plus, with
   * {@code countIncludePad}, those in the declared padding (never those past it, which ceil mode
   * can create), as ONNX Runtime and PyTorch do.
   */
  static float[] average(Workers workers, float[] x, Shape xs, Shape ys, Window w, boolean countIncludePad) {
    int planes = xs.dim(0) * xs.dim(1);
    int inPlane = w.inSize();
    int outPlane = w.outSize();
    float[] y = new float[planes * outPlane];
    workers.forEach(planes, (scratch, plane) -> {
      int xo = plane * inPlane;
      int yo = plane * outPlane;
      int[] lo = new int[3];
      int[] hi = new int[3];
      int[] o = new int[3];
      for (o[0] = 0; o[0] < w.out[0]; o[0]++) {
        for (o[1] = 0; o[1] < w.out[1]; o[1]++) {
          for (o[2] = 0; o[2] < w.out[2]; o[2]++) {
            int count = 1;
            for (int a = 0; a < 3; a++) {
              int start = o[a] * w.stride[a] - w.padBegin[a];
              int end = start + w.kernel[a];
              lo[a] = Math.max(start, 0);
              hi[a] = Math.min(end, w.in[a]);
              count *= countIncludePad ? Math.min(end, w.in[a] + w.padEnd[a]) - start : hi[a] - lo[a];
            }
            double sum = 0;
            for (int id = lo[0]; id < hi[0]; id++) {
              for (int ih = lo[1]; ih < hi[1]; ih++) {
                int rowOff = xo + (id * w.in[1] + ih) * w.in[2];
                for (int iw = lo[2]; iw < hi[2]; iw++) {
                  sum += x[rowOff + iw];
                }
              }
            }
            y[yo + (o[0] * w.out[1] + o[1]) * w.out[2] + o[2]] = (float) (sum / count);
          }
        }
      }
    });
    return y;
  }

  /** Mean of each [N, C] plane. */
  static float[] globalAverage(float[] x, Shape xs) {
    int planes = xs.dim(0) * xs.dim(1);
    int plane = xs.size(2, xs.rank());
    float[] y = new float[planes];
    for (int i = 0; i < planes; i++) {
      double sum = 0;
      for (int j = i * plane, end = j + plane; j < end; j++) {
        sum += x[j];
      }
      y[i] = (float) (sum / plane);
    }
    return y;
  }
}
