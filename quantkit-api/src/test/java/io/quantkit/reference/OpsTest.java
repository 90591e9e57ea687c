package io.quantkit.reference;

import static io.quantkit.reference.ConvTest.ints;
import static io.quantkit.reference.ConvTest.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Every op on small inputs whose outputs were worked out by hand. */
class OpsTest {
  private static final float EPS = 1e-6f;

  private static Tensor f(Shape s, float... v) {
    return Tensor.ofFloats(s, v);
  }

  @Test
  void batchNorm() {
    Tensor x = f(Shape.of(1, 2, 1, 2), 1, 2, 3, 4);
    Tensor y = OneNode.run(new Op.BatchNorm(0f), x, f(Shape.of(2), 1, 2), f(Shape.of(2), 0, 1), f(Shape.of(2), 1, 3),
        f(Shape.of(2), 4, 0.25f));
    // channel 0: (x - 1) / 2; channel 1: (x - 3) / 0.5 * 2 + 1
    assertArrayEquals(new float[] {0, 0.5f, 1, 5}, y.toFloatArray());
  }

  @Test
  void batchNormEpsilon() {
    Tensor y = OneNode.run(new Op.BatchNorm(0.5f), f(Shape.of(1, 1), 3), f(Shape.of(1), 1), f(Shape.of(1), 0),
        f(Shape.of(1), 1), f(Shape.of(1), 3.5f));
    assertArrayEquals(new float[] {1f}, y.toFloatArray());
  }

  @Test
  void reluAndClip() {
    Tensor x = f(Shape.of(5), -2, -0.5f, 0, 3, 7);
    assertArrayEquals(new float[] {0, 0, 0, 3, 7}, OneNode.run(new Op.Relu(), x).toFloatArray());
    assertArrayEquals(new float[] {0, 0, 0, 3, 6}, OneNode.run(new Op.Clip(0, 6), x).toFloatArray());
    assertArrayEquals(new float[] {-1, -0.5f, 0, 1, 1}, OneNode.run(new Op.Clip(-1, 1), x).toFloatArray());
  }

  @Test
  void addBroadcasting() {
    Tensor a = f(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
    assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36},
        OneNode.run(new Op.Add(), a, f(Shape.of(3), 10, 20, 30)).toFloatArray());
    assertArrayEquals(new float[] {11, 12, 13, 24, 25, 26},
        OneNode.run(new Op.Add(), a, f(Shape.of(2, 1), 10, 20)).toFloatArray());
    assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7}, OneNode.run(new Op.Add(), f(Shape.scalar(), 1), a).toFloatArray());
    assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, OneNode.run(new Op.Add(), a, a).toFloatArray());
  }

  @Test
  void mulBroadcastingPerChannelAndOuterProduct() {
    Tensor x = f(Shape.of(1, 2, 1, 2), 1, 2, 3, 4);
    Tensor perChannel = f(Shape.of(2, 1, 1), 10, -1);
    Tensor y = OneNode.run(new Op.Mul(), x, perChannel);
    assertEquals(Shape.of(1, 2, 1, 2), y.shape());
    assertArrayEquals(new float[] {10, 20, -3, -4}, y.toFloatArray());
    Tensor outer = OneNode.run(new Op.Mul(), f(Shape.of(2, 1), 2, 3), f(Shape.of(1, 3), 1, 10, 100));
    assertEquals(Shape.of(2, 3), outer.shape());
    assertArrayEquals(new float[] {2, 20, 200, 3, 30, 300}, outer.toFloatArray());
  }

  @Test
  void maxPool2x2Stride2() {
    Tensor x = f(Shape.of(1, 1, 4, 4), range(0, 16));
    Op.MaxPool op = new Op.MaxPool(ints(2, 2), ints(2, 2), ints(1, 1), Padding.valid(), false);
    assertArrayEquals(new float[] {5, 7, 13, 15}, OneNode.run(op, x).toFloatArray());
  }

  @Test
  void maxPoolPaddingNeverWins() {
    float[] v = range(-9, 9); // -9..-1
    Tensor x = f(Shape.of(1, 1, 3, 3), v);
    Op.MaxPool op = new Op.MaxPool(ints(3, 3), ints(1, 1), ints(1, 1),
        Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1}), false);
    // x = [[-9,-8,-7],[-6,-5,-4],[-3,-2,-1]]: each output is the largest neighbour in the input.
    assertArrayEquals(new float[] {-5, -4, -4, -2, -1, -1, -2, -1, -1}, OneNode.run(op, x).toFloatArray());
  }

  @Test
  void maxPoolDilated() {
    Tensor x = f(Shape.of(1, 1, 4, 4), range(0, 16));
    Op.MaxPool op = new Op.MaxPool(ints(2, 2), ints(1, 1), ints(2, 2), Padding.valid(), false);
    // taps (r, c), (r, c+2), (r+2, c), (r+2, c+2): the max is x[r+2][c+2]
    assertArrayEquals(new float[] {10, 11, 14, 15}, OneNode.run(op, x).toFloatArray());
  }

  @Test
  void maxPoolCeilMode() {
    Tensor x = f(Shape.of(1, 1, 5), 1, 5, 2, 8, 3);
    Op.MaxPool floor = new Op.MaxPool(ints(2), ints(2), ints(1), Padding.valid(), false);
    Op.MaxPool ceil = new Op.MaxPool(ints(2), ints(2), ints(1), Padding.valid(), true);
    assertArrayEquals(new float[] {5, 8}, OneNode.run(floor, x).toFloatArray());
    assertArrayEquals(new float[] {5, 8, 3}, OneNode.run(ceil, x).toFloatArray());
  }

  @Test
  void maxPoolOnInt8KeepsTheType() {
    Tensor x = Tensor.ofBytes(DataType.INT8, Shape.of(1, 1, 4), (byte) -3, (byte) 7, (byte) -128, (byte) -5);
    Op.MaxPool op = new Op.MaxPool(ints(2), ints(2), ints(1), Padding.valid(), false);
    Tensor y = OneNode.run(op, x);
    assertEquals(DataType.INT8, y.type());
    assertArrayEquals(new long[] {7, -5}, y.toLongArray());
  }

  @Test
  void averagePoolWithAndWithoutPadInDivisor() {
    Tensor x = f(Shape.of(1, 1, 3, 3), range(1, 9));
    Padding pad1 = Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1});
    Tensor incl = OneNode.run(new Op.AveragePool(ints(3, 3), ints(1, 1), pad1, true, false), x);
    Tensor excl = OneNode.run(new Op.AveragePool(ints(3, 3), ints(1, 1), pad1, false, false), x);
    // Neighbourhood sums 12 21 16 / 27 45 33 / 24 39 28 over 9, or over the cells inside (4, 6 or 9).
    float[] sums = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    float[] inside = {4, 6, 4, 6, 9, 6, 4, 6, 4};
    for (int i = 0; i < 9; i++) {
      assertEquals(sums[i] / 9, incl.toFloatArray()[i], EPS, "include pad @" + i);
      assertEquals(sums[i] / inside[i], excl.toFloatArray()[i], EPS, "exclude pad @" + i);
    }
  }

  @Test
  void averagePoolSameUpperExcludesPadding() {
    // Keras AveragePooling2D(2, padding="same") on 3x3: pads 0 before, 1 after.
    Tensor x = f(Shape.of(1, 1, 3, 3), range(1, 9));
    Tensor y = OneNode.run(new Op.AveragePool(ints(2, 2), ints(2, 2), new Padding.Same(true), false, false), x);
    assertEquals(Shape.of(1, 1, 2, 2), y.shape());
    assertArrayEquals(new float[] {3, 4.5f, 7.5f, 9}, y.toFloatArray(), EPS);
  }

  @Test
  void averagePoolCeilModeWindowPastTheEndCountsOnlyRealCells() {
    Tensor x = f(Shape.of(1, 1, 6), 1, 2, 3, 4, 5, 6);
    // windows [1,2,3], [3,4,5], [5,6] (the last one sticks out past the unpadded end)
    for (boolean includePad : new boolean[] {true, false}) {
      Tensor y = OneNode.run(new Op.AveragePool(ints(3), ints(2), Padding.valid(), includePad, true), x);
      assertArrayEquals(new float[] {2, 4, 5.5f}, y.toFloatArray(), EPS);
    }
  }

  @Test
  void globalAveragePool() {
    Tensor x = f(Shape.of(2, 2, 1, 2), 1, 3, 10, 20, -1, 1, 0, 5);
    Tensor y = OneNode.run(new Op.GlobalAveragePool(), x);
    assertEquals(Shape.of(2, 2, 1, 1), y.shape());
    assertArrayEquals(new float[] {2, 15, 0, 2.5f}, y.toFloatArray());
  }

  @Test
  void flattenAndReshapeKeepTheData() {
    Tensor x = f(Shape.of(2, 3, 2), range(0, 12));
    Tensor flat = OneNode.run(new Op.Flatten(1), x);
    assertEquals(Shape.of(2, 6), flat.shape());
    assertArrayEquals(range(0, 12), flat.toFloatArray());
    assertEquals(Shape.of(1, 12), OneNode.run(new Op.Flatten(0), x).shape());
    assertEquals(Shape.of(6, 2), OneNode.run(new Op.Flatten(-1), x).shape());
    Tensor r = OneNode.run(new Op.Reshape(ints(0, -1)), x);
    assertEquals(Shape.of(2, 6), r.shape());
    assertArrayEquals(range(0, 12), r.toFloatArray());
    assertEquals(Shape.of(2, 2, 3), OneNode.run(new Op.Reshape(ints(0, 2, -1)), x).shape());
    assertEquals(Shape.of(4, 3), OneNode.run(new Op.Reshape(ints(-1, 3)), x).shape());
  }

  @Test
  void gemmWithAlphaBetaAndBroadcastC() {
    Tensor a = f(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
    Tensor b = f(Shape.of(3, 2), 1, 0, 0, 1, 1, 1);
    Tensor c = f(Shape.of(2), 1, 2);
    // AB = [[4, 5], [10, 11]]; 2 * AB + 0.5 * [1, 2]
    float[] expected = {8.5f, 11, 20.5f, 23};
    assertArrayEquals(expected, OneNode.run(new Op.Gemm(2, 0.5f, false, false), a, b, c).toFloatArray());
    Tensor at = f(Shape.of(3, 2), 1, 4, 2, 5, 3, 6);
    Tensor bt = f(Shape.of(2, 3), 1, 0, 1, 0, 1, 1);
    assertArrayEquals(expected, OneNode.run(new Op.Gemm(2, 0.5f, true, true), at, bt, c).toFloatArray());
    assertArrayEquals(new float[] {4, 5, 10, 11}, OneNode.run(new Op.Gemm(1, 1, false, false), a, b).toFloatArray());
    Tensor column = f(Shape.of(2, 1), 100, 200);
    assertArrayEquals(new float[] {104, 105, 210, 211},
        OneNode.run(new Op.Gemm(1, 1, false, false), a, b, column).toFloatArray());
  }

  @Test
  void gemmLargerThanOneBlock() {
    // A = identity-like 37x37 with 2 on the diagonal, B = 37 x 300 ramp: Y = 2 B.
    int n = 37;
    int cols = 300;
    float[] a = new float[n * n];
    for (int i = 0; i < n; i++) {
      a[i * n + i] = 2;
    }
    float[] b = range(0, n * cols);
    float[] expected = new float[n * cols];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = 2 * b[i];
    }
    Tensor y = OneNode.run(new Op.Gemm(1, 1, false, false), f(Shape.of(n, n), a), f(Shape.of(n, cols), b));
    assertArrayEquals(expected, y.toFloatArray());
  }

  @Test
  void matMulBatchedAndOneDimensional() {
    Tensor a = f(Shape.of(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
    Tensor b = f(Shape.of(2, 2), 1, 1, 0, 1);
    Tensor y = OneNode.run(new Op.MatMul(), a, b);
    assertEquals(Shape.of(2, 2, 2), y.shape());
    assertArrayEquals(new float[] {1, 3, 3, 7, 5, 11, 7, 15}, y.toFloatArray());
    Tensor dot = OneNode.run(new Op.MatMul(), f(Shape.of(3), 1, 2, 3), f(Shape.of(3), 4, 5, 6));
    assertEquals(Shape.scalar(), dot.shape());
    assertArrayEquals(new float[] {32}, dot.toFloatArray());
    Tensor mv = OneNode.run(new Op.MatMul(), f(Shape.of(2, 3), 1, 2, 3, 4, 5, 6), f(Shape.of(3), 1, 0, -1));
    assertEquals(Shape.of(2), mv.shape());
    assertArrayEquals(new float[] {-2, -2}, mv.toFloatArray());
    // [2,1,1,2] x [3,2,1]: batch dims broadcast to [2,3]
    Tensor bb = OneNode.run(new Op.MatMul(), f(Shape.of(2, 1, 1, 2), 1, 2, 3, 4),
        f(Shape.of(3, 2, 1), 1, 0, 0, 1, 1, 1));
    assertEquals(Shape.of(2, 3, 1, 1), bb.shape());
    assertArrayEquals(new float[] {1, 2, 3, 3, 4, 7}, bb.toFloatArray());
  }

  @Test
  void softmaxIsStableAndUsesOneAxis() {
    Tensor x = f(Shape.of(2, 3), 1000, 1001, 1002, 0, 0, 0);
    float[] y = OneNode.run(new Op.Softmax(1), x).toFloatArray();
    double z = 1 + Math.E + Math.E * Math.E;
    assertArrayEquals(new float[] {(float) (1 / z), (float) (Math.E / z), (float) (Math.E * Math.E / z), 1 / 3f, 1 / 3f,
        1 / 3f}, y, EPS);
    float[] col = OneNode.run(new Op.Softmax(0), f(Shape.of(2, 2), 0, 5, 0, 5)).toFloatArray();
    assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, col, EPS);
  }

  @Test
  void concat() {
    Tensor a = f(Shape.of(2, 2), 1, 2, 3, 4);
    Tensor b = f(Shape.of(2, 1), 9, 8);
    Op.Concat op = new Op.Concat(1);
    Tensor y = OneNode.run(op, a, b);
    assertEquals(Shape.of(2, 3), y.shape());
    assertArrayEquals(new float[] {1, 2, 9, 3, 4, 8}, y.toFloatArray());
    Tensor rows = OneNode.run(new Op.Concat(-2), a, f(Shape.of(1, 2), 5, 6));
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, rows.toFloatArray());
  }

  @Test
  void transpose() {
    Tensor x = f(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
    Tensor y = OneNode.run(new Op.Transpose(ints()), x);
    assertEquals(Shape.of(3, 2), y.shape());
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, y.toFloatArray());
    // NHWC [1, 2, 2, 2] -> NCHW
    Tensor nhwc = f(Shape.of(1, 2, 2, 2), 0, 100, 1, 101, 2, 102, 3, 103);
    Tensor nchw = OneNode.run(new Op.Transpose(ints(0, 3, 1, 2)), nhwc);
    assertEquals(Shape.of(1, 2, 2, 2), nchw.shape());
    assertArrayEquals(new float[] {0, 1, 2, 3, 100, 101, 102, 103}, nchw.toFloatArray());
    Tensor bytes = Tensor.ofBytes(DataType.UINT8, Shape.of(2, 2), (byte) 1, (byte) 200, (byte) 3, (byte) 4);
    Tensor bt = OneNode.run(new Op.Transpose(ints(1, 0)), bytes);
    assertEquals(DataType.UINT8, bt.type());
    assertArrayEquals(new long[] {1, 3, 200, 4}, bt.toLongArray());
  }

  @Test
  void quantizeRoundsHalfToEvenAndSaturates() {
    Tensor x = f(Shape.of(8), 2.5f, 3.5f, -2.5f, 0.5f, 1.49f, 1000, -1000, -0.5f);
    Tensor zp = Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) 0);
    Tensor y = OneNode.run(new Op.QuantizeLinear(0), x, f(Shape.scalar(), 1), zp);
    assertEquals(DataType.INT8, y.type());
    assertArrayEquals(new long[] {2, 4, -2, 0, 1, 127, -128, 0}, y.toLongArray());
  }

  @Test
  void quantizeWithScaleAndUint8ZeroPoint() {
    Tensor x = f(Shape.of(5), 1.25f, -1.25f, 0, 200, -200);
    Tensor zp = Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 128);
    Tensor y = OneNode.run(new Op.QuantizeLinear(0), x, f(Shape.scalar(), 0.5f), zp);
    assertEquals(DataType.UINT8, y.type());
    // 1.25 / 0.5 = 2.5 -> 2; -2.5 -> -2; saturation at 0 and 255
    assertArrayEquals(new long[] {130, 126, 128, 255, 0}, y.toLongArray());
  }

  @Test
  void quantizeWithoutZeroPointIsUint8() {
    Tensor y = OneNode.run(new Op.QuantizeLinear(1), f(Shape.of(3), -1, 3, 300), f(Shape.scalar(), 1), null);
    assertEquals(DataType.UINT8, y.type());
    assertArrayEquals(new long[] {0, 3, 255}, y.toLongArray());
  }

  @Test
  void quantizePerAxis() {
    Tensor x = f(Shape.of(2, 2), 1, 1, 4, 4);
    Tensor zp = Tensor.ofBytes(DataType.INT8, Shape.of(2), (byte) 0, (byte) -10);
    Tensor y = OneNode.run(new Op.QuantizeLinear(1), x, f(Shape.of(2), 1, 0.5f), zp);
    assertArrayEquals(new long[] {1, -8, 4, -2}, y.toLongArray());
    Tensor rows = OneNode.run(new Op.QuantizeLinear(0), x, f(Shape.of(2), 1, 0.5f), zp);
    assertArrayEquals(new long[] {1, 1, -2, -2}, rows.toLongArray());
  }

  @Test
  void dequantize() {
    Tensor q = Tensor.ofBytes(DataType.INT8, Shape.of(3), (byte) -128, (byte) 0, (byte) 127);
    Tensor zp = Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) -1);
    assertArrayEquals(new float[] {-63.5f, 0.5f, 64},
        OneNode.run(new Op.DequantizeLinear(0), q, f(Shape.scalar(), 0.5f), zp).toFloatArray());
    Tensor u = Tensor.ofBytes(DataType.UINT8, Shape.of(2), (byte) 0, (byte) 255);
    Tensor uzp = Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 128);
    assertArrayEquals(new float[] {-256, 254},
        OneNode.run(new Op.DequantizeLinear(0), u, f(Shape.scalar(), 2), uzp).toFloatArray());
    Tensor i32 = Tensor.ofInts(Shape.of(2), 1 << 24, -3);
    assertArrayEquals(new float[] {(1 << 24) * 0.25f, -0.75f},
        OneNode.run(new Op.DequantizeLinear(0), i32, f(Shape.scalar(), 0.25f), null).toFloatArray());
    Tensor perAxis = Tensor.ofBytes(DataType.INT8, Shape.of(2, 2), (byte) 1, (byte) 2, (byte) 3, (byte) 4);
    assertArrayEquals(new float[] {1, 2, 30, 40},
        OneNode.run(new Op.DequantizeLinear(0), perAxis, f(Shape.of(2), 1, 10), null).toFloatArray());
  }
}
