package io.quantkit.reference;

import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;

/**
 * QuantizeLinear and DequantizeLinear (opset 13), per tensor or per axis. Quantize divides in
 * float and rounds half to even ({@link Math#rint}), as ONNX specifies and ONNX Runtime does.
 */
final class Quantization {
  private Quantization() {}

  /** y = saturate(rint(x / scale) + zeroPoint) into the range of {@code type} (INT8 or UINT8). */
  static int[] quantize(float[] x, Shape xs, float[] scale, int[] zeroPoint, DataType type, int axis) {
    int lo = type == DataType.INT8 ? -128 : 0;
    int hi = type == DataType.INT8 ? 127 : 255;
    int[] y = new int[x.length];
    Channels ch = new Channels(xs, scale.length, axis);
    for (int i = 0; i < x.length; i++) {
      int c = ch.of(i);
      double q = Math.rint(x[i] / scale[c]) + (zeroPoint == null ? 0 : zeroPoint[c]);
      y[i] = (int) Math.max(lo, Math.min(hi, q));
    }
    return y;
  }

  /** y = (x - zeroPoint) * scale, the difference taken in integers as ONNX Runtime does. */
  static float[] dequantize(int[] x, Shape xs, float[] scale, int[] zeroPoint, int axis) {
    float[] y = new float[x.length];
    Channels ch = new Channels(xs, scale.length, axis);
    for (int i = 0; i < x.length; i++) {
      int c = ch.of(i);
      y[i] = (float) (x[i] - (zeroPoint == null ? 0 : zeroPoint[c])) * scale[c];
    }
    return y;
  }

  /** Which scale entry a flat index uses: always 0 per tensor, its coordinate on {@code axis} per axis. */
  private static final class Channels {
    private final int inner;
    private final int count;

    Channels(Shape xs, int scales, int axis) {
      if (scales == 1) {
        inner = 1;
        count = 1;
      } else {
        int a = axis < 0 ? axis + xs.rank() : axis;
        inner = xs.size(a + 1, xs.rank());
        count = xs.dim(a);
      }
    }

    int of(int flat) {
      return count == 1 ? 0 : (flat / inner) % count;
    }
  }
}
