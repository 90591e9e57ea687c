package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import org.junit.jupiter.api.Test;

class QuantMathTest {
  private static QuantParams asym(float lo, float hi, QuantType t) {
    return QuantMath.params(new TensorRange(lo, hi), t, false);
  }

  @Test
  void uint8AsymmetricMatchesHandComputation() {
    // [-1, 3]: scale = 4 / 255; zero point = round(0 - (-1) / (4/255)) = round(63.75) = 64
    QuantParams p = asym(-1, 3, QuantType.UINT8);
    assertEquals(4f / 255f, p.scale(), 1e-9);
    assertEquals(64, p.zeroPoint());
    // [0, 6]: ReLU6 range, zero point at the bottom
    p = asym(0, 6, QuantType.UINT8);
    assertEquals(6f / 255f, p.scale(), 1e-9);
    assertEquals(0, p.zeroPoint());
  }

  @Test
  void rangeIsWidenedToIncludeZero() {
    QuantParams p = asym(0.5f, 2f, QuantType.UINT8); // -> [0, 2]
    assertEquals(2f / 255f, p.scale(), 1e-9);
    assertEquals(0, p.zeroPoint());
    p = asym(-3f, -1f, QuantType.UINT8); // -> [-3, 0]: zero at the top
    assertEquals(3f / 255f, p.scale(), 1e-9);
    assertEquals(255, p.zeroPoint());
  }

  @Test
  void int8SymmetricAndAsymmetric() {
    QuantParams sym = QuantMath.params(new TensorRange(-2, 1), QuantType.INT8, true);
    assertEquals(2f / 127f, sym.scale(), 1e-9);
    assertEquals(0, sym.zeroPoint());
    // [-2, 1] asymmetric on [-128, 127]: scale 3/255, zp = round(-128 + 2 / (3/255)) = round(42.0) = 42
    QuantParams a = asym(-2, 1, QuantType.INT8);
    assertEquals(3f / 255f, a.scale(), 1e-9);
    assertEquals(42, a.zeroPoint());
    // UINT8 symmetric: zero point 128, scale 2 absmax / 255
    QuantParams u = QuantMath.params(new TensorRange(-1, 2), QuantType.UINT8, true);
    assertEquals(4f / 255f, u.scale(), 1e-9);
    assertEquals(128, u.zeroPoint());
  }

  @Test
  void constantTensorsGetValidScales() {
    for (boolean sym : new boolean[] {false, true}) {
      for (QuantType t : new QuantType[] {QuantType.UINT8, QuantType.INT8}) {
        QuantParams zero = QuantMath.params(new TensorRange(0, 0), t, sym);
        assertTrue(zero.scale() > 0 && Float.isFinite(zero.scale()));
        assertEquals(0f, zero.dequantize(zero.quantize(0f, 0), 0)); // 0 stays exact
        QuantParams five = QuantMath.params(new TensorRange(5, 5), t, sym);
        assertTrue(five.scale() > 0 && Float.isFinite(five.scale()));
        assertEquals(5f, five.dequantize(five.quantize(5f, 0), 0), five.scale());
      }
    }
    QuantParams tiny = QuantMath.params(new TensorRange(0, 1e-30f), QuantType.UINT8, false);
    assertTrue(tiny.scale() >= QuantMath.MIN_SCALE);
  }

  @Test
  void quantizeRoundsHalfToEvenAndSaturates() {
    assertEquals(0, QuantMath.quantize(0.5f, 1f, 0, QuantType.INT8));
    assertEquals(2, QuantMath.quantize(1.5f, 1f, 0, QuantType.INT8));
    assertEquals(2, QuantMath.quantize(2.5f, 1f, 0, QuantType.INT8));
    assertEquals(-2, QuantMath.quantize(-1.5f, 1f, 0, QuantType.INT8));
    assertEquals(-2, QuantMath.quantize(-2.5f, 1f, 0, QuantType.INT8));
    assertEquals(12, QuantMath.quantize(2.5f, 1f, 10, QuantType.UINT8));
    assertEquals(255, QuantMath.quantize(300f, 1f, 0, QuantType.UINT8));
    assertEquals(0, QuantMath.quantize(-3f, 1f, 0, QuantType.UINT8));
    assertEquals(-128, QuantMath.quantize(-300f, 1f, 0, QuantType.INT8));
    assertEquals(127, QuantMath.quantize(1e30f, 1f, 0, QuantType.INT8));
    // [-1, 3] uint8: 3 -> round(3 * 255 / 4) + 64 = round(191.25) + 64 = 255; -1 -> 0; 0 -> 64
    QuantParams p = asym(-1, 3, QuantType.UINT8);
    assertEquals(255, p.quantize(3f, 0));
    assertEquals(0, p.quantize(-1f, 0));
    assertEquals(64, p.quantize(0f, 0));
  }

  @Test
  void perChannelWeights() {
    Tensor w = Tensor.ofFloats(Shape.of(2, 3), 1.1f, -2f, 0.5f, 0.25f, 0f, -0.1f);
    QuantParams rows = QuantMath.weightParams(w, 0, false);
    assertEquals(0, rows.axis());
    assertArrayEquals(new float[] {2f / 127f, 0.25f / 127f}, rows.scales(), 1e-9f);
    assertArrayEquals(new int[] {0, 0}, rows.zeroPoints());
    QuantParams cols = QuantMath.weightParams(w, 1, false);
    assertArrayEquals(new float[] {1.1f / 127f, 2f / 127f, 0.5f / 127f}, cols.scales(), 1e-9f);
    QuantParams whole = QuantMath.weightParams(w, -1, false);
    assertEquals(2f / 127f, whole.scale(), 1e-9);
    // row 0: 1.1 / (2/127) = 69.85 -> 70, -2 -> -127, 0.5 -> 31.75 -> 32;
    // row 1: 0.25 -> 127, 0 -> 0, -0.1 / (0.25/127) = -50.8 -> -51
    Tensor q = QuantMath.quantize(w, rows);
    assertArrayEquals(new byte[] {70, -127, 32, 127, 0, -51}, q.toByteArray());
  }

  @Test
  void allZeroWeightChannelBorrowsTheFinestScale() {
    Tensor w = Tensor.ofFloats(Shape.of(3, 2), 1f, 2f, 0f, 0f, 0.5f, -0.25f);
    QuantParams p = QuantMath.weightParams(w, 0, false);
    assertEquals(0.5f / 127f, p.scale(1), 1e-9);
  }

  @Test
  void mseWeightsNeverIncreaseTheWeightError() {
    java.util.Random r = new java.util.Random(3);
    float[] few = new float[200];
    for (int i = 0; i < few.length; i++) {
      few[i] = (float) r.nextGaussian();
    }
    few[7] = 12f; // one large weight among few: clipping it costs more than it saves
    Tensor w = Tensor.ofFloats(Shape.of(1, few.length), few);
    assertTrue(QuantErrors.roundTrip(few, QuantMath.weightParams(w, 0, true))
        <= QuantErrors.roundTrip(few, QuantMath.weightParams(w, 0, false)));
    float[] many = new float[100_000];
    for (int i = 0; i < many.length; i++) {
      many[i] = r.nextFloat() * 2 - 1;
    }
    many[5] = 1.3f; // one stray weight among many: a finer step everywhere wins
    Tensor m = Tensor.ofFloats(Shape.of(1, many.length), many);
    double errMinMax = QuantErrors.roundTrip(many, QuantMath.weightParams(m, 0, false));
    double errMse = QuantErrors.roundTrip(many, QuantMath.weightParams(m, 0, true));
    assertTrue(errMse < errMinMax, errMse + " vs " + errMinMax);
  }

  @Test
  void biasScaleIsInputTimesWeightScale() {
    QuantParams in = QuantParams.perTensor(QuantType.UINT8, 0.5f, 3);
    QuantParams w = QuantParams.perChannel(QuantType.INT8, new float[] {0.1f, 0.2f}, new int[2], 0);
    QuantParams b = QuantMath.biasParams(in, w);
    assertEquals(QuantType.INT32, b.type());
    assertEquals(0, b.axis());
    assertArrayEquals(new float[] {0.5f * 0.1f, 0.5f * 0.2f}, b.scales());
    assertArrayEquals(new int[] {0, 0}, b.zeroPoints());
    Tensor bias = Tensor.ofFloats(Shape.of(2), 1f, -1f);
    assertArrayEquals(new int[] {20, -10}, QuantMath.quantize(bias, b).toIntArray());
  }

  @Test
  void paramsRejectInvalidValues() {
    assertThrows(IllegalArgumentException.class, () -> QuantParams.perTensor(QuantType.UINT8, 0f, 0));
    assertThrows(IllegalArgumentException.class, () -> QuantParams.perTensor(QuantType.UINT8, Float.NaN, 0));
    assertThrows(IllegalArgumentException.class, () -> QuantParams.perTensor(QuantType.UINT8, 1f, 256));
    assertThrows(IllegalArgumentException.class, () -> QuantParams.perTensor(QuantType.INT8, 1f, -129));
  }

  @Test
  void paramsCopyArrays() {
    float[] s = {1f, 2f};
    QuantParams p = QuantParams.perChannel(QuantType.INT8, s, new int[2], 0);
    s[0] = 5f;
    assertEquals(1f, p.scale(0));
    p.scales()[1] = 9f;
    assertEquals(2f, p.scale(1));
  }
}
