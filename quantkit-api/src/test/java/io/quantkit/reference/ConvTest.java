package io.quantkit.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvTest {

  static ImmutableIntArray ints(int... v) {
    return ImmutableIntArray.copyOf(v);
  }

  static Op.Conv conv2d(int k, int stride, int dilation, int groups, Padding padding) {
    return new Op.Conv(ints(k, k), ints(stride, stride), ints(dilation, dilation), groups, padding);
  }

  static float[] range(int from, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = from + i;
    }
    return v;
  }

  @Test
  void valid2x2KernelWithBias() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 3, 3), range(1, 9));
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 2, 2), 1, 2, 3, 4);
    Tensor b = Tensor.ofFloats(Shape.of(1), 0.5f);
    Tensor y = OneNode.run(conv2d(2, 1, 1, 1, Padding.valid()), x, w, b);
    assertEquals(Shape.of(1, 1, 2, 2), y.shape());
    // 1*1+2*2+3*4+4*5 = 37, then shifted windows.
    assertArrayEquals(new float[] {37.5f, 47.5f, 67.5f, 77.5f}, y.toFloatArray());
  }

  @Test
  void explicitPaddingGivesNeighbourhoodSums() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 3, 3), range(1, 9));
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 3, 3), 1, 1, 1, 1, 1, 1, 1, 1, 1);
    Tensor y = OneNode.run(conv2d(3, 1, 1, 1, Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1})), x, w, null);
    assertArrayEquals(new float[] {12, 21, 16, 27, 45, 33, 24, 39, 28}, y.toFloatArray());
  }

  @Test
  void sameUpperStride2PutsTheOddPadAtTheEnd() {
    // 4x4 input, 3x3 kernel, stride 2: output 2x2, total pad 1 -> 0 before, 1 after.
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 4, 4), range(0, 16));
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 3, 3), 1, 1, 1, 1, 1, 1, 1, 1, 1);
    Tensor y = OneNode.run(conv2d(3, 2, 1, 1, new Padding.Same(true)), x, w, null);
    assertEquals(Shape.of(1, 1, 2, 2), y.shape());
    // rows 0-2 x cols 0-2, rows 0-2 x cols 2-3, rows 2-3 x cols 0-2, rows 2-3 x cols 2-3
    assertArrayEquals(new float[] {45, 39, 66, 50}, y.toFloatArray());
  }

  @Test
  void sameLowerStride2PutsTheOddPadAtTheBeginning() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 4, 4), range(0, 16));
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 3, 3), 1, 1, 1, 1, 1, 1, 1, 1, 1);
    Tensor y = OneNode.run(conv2d(3, 2, 1, 1, new Padding.Same(false)), x, w, null);
    // rows 0-1 x cols 0-1, rows 0-1 x cols 1-3, rows 1-3 x cols 0-1, rows 1-3 x cols 1-3
    assertArrayEquals(new float[] {10, 24, 51, 90}, y.toFloatArray());
  }

  @Test
  void groupsKeepChannelsApart() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 2, 1, 2), 1, 2, 10, 20);
    Tensor w = Tensor.ofFloats(Shape.of(2, 1, 1, 1), 2, 3);
    Tensor y = OneNode.run(conv2d(1, 1, 1, 2, Padding.valid()), x, w, null);
    assertArrayEquals(new float[] {2, 4, 30, 60}, y.toFloatArray());
  }

  @Test
  void depthwiseWithChannelMultiplier2() {
    // 2 groups, 4 outputs: outputs 0,1 read channel 0, outputs 2,3 read channel 1.
    Tensor x = Tensor.ofFloats(Shape.of(1, 2, 1, 2), 1, 2, 10, 20);
    Tensor w = Tensor.ofFloats(Shape.of(4, 1, 1, 1), 1, -1, 2, 0.5f);
    Tensor b = Tensor.ofFloats(Shape.of(4), 0, 0, 0, 100);
    Tensor y = OneNode.run(conv2d(1, 1, 1, 2, Padding.valid()), x, w, b);
    assertArrayEquals(new float[] {1, 2, -1, -2, 20, 40, 105, 110}, y.toFloatArray());
  }

  @Test
  void dilated1d() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 5), 1, 2, 3, 4, 5);
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 2), 1, 1);
    Op.Conv op = new Op.Conv(ints(2), ints(1), ints(2), 1, Padding.valid());
    assertArrayEquals(new float[] {4, 6, 8}, OneNode.run(op, x, w, null).toFloatArray());
  }

  @Test
  void strided1d() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 5), 1, 2, 3, 4, 5);
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 2), 1, -1);
    Op.Conv op = new Op.Conv(ints(2), ints(2), ints(1), 1, Padding.valid());
    assertArrayEquals(new float[] {-1, -1}, OneNode.run(op, x, w, null).toFloatArray());
  }

  @Test
  void conv3d() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 2, 2, 3), range(1, 12));
    Tensor w = Tensor.ofFloats(Shape.of(1, 1, 2, 2, 2), 1, 1, 1, 1, 1, 1, 1, 1);
    Op.Conv op = new Op.Conv(ints(2, 2, 2), ints(1, 1, 1), ints(1, 1, 1), 1, Padding.valid());
    Tensor y = OneNode.run(op, x, w, null);
    assertEquals(Shape.of(1, 1, 1, 1, 2), y.shape());
    // x[d][h][w] = 1 + 6d + 3h + w; 8 taps: 8 + 6*4 + 3*4 + (w0 + w0+1)*4, for w0 = 0 and 1
    assertArrayEquals(new float[] {48, 56}, y.toFloatArray());
  }

  @Test
  void fastConvMatchesNaiveDirectConvolution() {
    Random rnd = new Random(42);
    for (int trial = 0; trial < 60; trial++) {
      int groups = new int[] {1, 1, 2, 3}[rnd.nextInt(4)];
      boolean depthwise = rnd.nextInt(5) == 0;
      int cg = 1 + rnd.nextInt(3);
      int c = depthwise ? 4 : cg * groups;
      if (depthwise) {
        groups = c;
        cg = 1;
      }
      int mg = 1 + rnd.nextInt(5);
      int m = mg * groups;
      int n = 1 + rnd.nextInt(3);
      int kh = 1 + rnd.nextInt(3);
      int kw = 1 + rnd.nextInt(3);
      int sh = 1 + rnd.nextInt(2);
      int sw = 1 + rnd.nextInt(3);
      int dh = 1 + rnd.nextInt(2);
      int dw = 1 + rnd.nextInt(2);
      int h = (kh - 1) * dh + 1 + rnd.nextInt(6);
      int wd = (kw - 1) * dw + 1 + rnd.nextInt(6);
      int[] pb = {rnd.nextInt(3), rnd.nextInt(3)};
      int[] pe = {rnd.nextInt(3), rnd.nextInt(3)};
      Padding padding;
      switch (rnd.nextInt(4)) {
        case 0: padding = Padding.Explicit.of(pb, pe); break;
        case 1: padding = new Padding.Same(true); break;
        case 2: padding = new Padding.Same(false); break;
        default: padding = Padding.valid(); break;
      }
      Op.Conv op = new Op.Conv(ints(kh, kw), ints(sh, sw), ints(dh, dw), groups, padding);
      float[] x = randoms(rnd, n * c * h * wd);
      float[] w = randoms(rnd, m * cg * kh * kw);
      float[] b = rnd.nextBoolean() ? randoms(rnd, m) : null;
      Padding.Explicit p = padding.resolve(new int[] {h, wd}, op.kernel(), op.strides(), op.dilations());
      float[] expected = naiveConv(x, n, c, h, wd, w, m, kh, kw, b, sh, sw, dh, dw, groups,
          p.begins().get(0), p.begins().get(1), p.ends().get(0), p.ends().get(1));
      Tensor y = OneNode.run(RunnerOptions.builder().threads(1 + rnd.nextInt(3)).build(), op,
          Tensor.ofFloats(Shape.of(n, c, h, wd), x), Tensor.ofFloats(Shape.of(m, cg, kh, kw), w),
          b == null ? null : Tensor.ofFloats(Shape.of(m), b));
      float[] actual = y.toFloatArray();
      assertEquals(expected.length, actual.length, "trial " + trial + " " + op);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "trial " + trial + " " + op + " @" + i);
      }
    }
  }

  static float[] randoms(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  /** Textbook convolution, one output at a time, straight from the ONNX definition. */
  static float[] naiveConv(float[] x, int n, int c, int h, int w, float[] wt, int m, int kh, int kw, float[] bias,
      int sh, int sw, int dh, int dw, int groups, int padTop, int padLeft, int padBottom, int padRight) {
    int oh = (h + padTop + padBottom - ((kh - 1) * dh + 1)) / sh + 1;
    int ow = (w + padLeft + padRight - ((kw - 1) * dw + 1)) / sw + 1;
    int cg = c / groups;
    int mg = m / groups;
    float[] y = new float[n * m * oh * ow];
    for (int img = 0; img < n; img++) {
      for (int oc = 0; oc < m; oc++) {
        int g = oc / mg;
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            double sum = bias == null ? 0 : bias[oc];
            for (int ic = 0; ic < cg; ic++) {
              for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                  int iy = oy * sh - padTop + ky * dh;
                  int ix = ox * sw - padLeft + kx * dw;
                  if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    int channel = g * cg + ic;
                    sum += x[((img * c + channel) * h + iy) * w + ix] * wt[((oc * cg + ic) * kh + ky) * kw + kx];
                  }
                }
              }
            }
            y[((img * m + oc) * oh + oy) * ow + ox] = (float) sum;
          }
        }
      }
    }
    return y;
  }
}
