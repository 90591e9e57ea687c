package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.CalibrationException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TensorStatisticsTest {
  @Test
  void countsMinMaxZerosAndBins() {
    TensorStatistics s = new TensorStatistics("t", 16, true);
    s.add(Tensor.ofFloats(Shape.of(6), 0f, 0f, 1f, -1f, 0.5f, 3f));
    assertEquals(6, s.count());
    assertEquals(2, s.zeroCount());
    assertEquals(-1f, s.min());
    assertEquals(3f, s.max());
    assertEquals(3.0, s.histogramRange());
    // bin width 3/16: 1 -> 5.33 -> bin 5; 0.5 -> 2.67 -> bin 2; 3 is the top edge -> last bin
    long[] pos = s.positiveCounts();
    assertEquals(1, pos[5]);
    assertEquals(1, pos[2]);
    assertEquals(1, pos[15]);
    assertEquals(1, s.negativeCounts()[5]);
    assertEquals(3, java.util.Arrays.stream(pos).sum());
  }

  @Test
  void rangeDoublesAndMergesBinsExactly() {
    TensorStatistics s = new TensorStatistics("t", 16, true);
    s.add(new float[] {1f, 0.3f}, 0, 2); // R = 1, width 1/16: 1 -> bin 15, 0.3 -> bin 4
    s.add(new float[] {3f}, 0, 1); // R -> 4 (two doublings), width 1/4
    assertEquals(4.0, s.histogramRange());
    long[] pos = s.positiveCounts();
    assertEquals(1, pos[15 >> 2]); // old bin 15 ([0.9375, 1]) -> new bin 3 ([0.75, 1))
    assertEquals(1, pos[4 >> 2]); // old bin 4 -> new bin 1 ([0.25, 0.5)), where 0.3 belongs
    assertEquals(1, pos[12]); // 3 / 0.25 = 12
    assertEquals(3, java.util.Arrays.stream(pos).sum());
  }

  @Test
  void mergeEqualsSequentialCollection() {
    TensorStatistics a = new TensorStatistics("t", 32, true);
    TensorStatistics b = new TensorStatistics("t", 32, true);
    TensorStatistics all = new TensorStatistics("t", 32, true);
    float[] first = {1f, 2f, -0.7f, 0f};
    float[] second = {0.5f, 4f, -3.9f};
    a.add(first, 0, first.length);
    b.add(second, 0, second.length);
    all.add(first, 0, first.length);
    all.add(second, 0, second.length);
    a.merge(b);
    assertEquals(all.count(), a.count());
    assertEquals(all.zeroCount(), a.zeroCount());
    assertEquals(all.min(), a.min());
    assertEquals(all.max(), a.max());
    assertEquals(all.histogramRange(), a.histogramRange());
    assertArrayEquals(all.positiveCounts(), a.positiveCounts());
    assertArrayEquals(all.negativeCounts(), a.negativeCounts());
  }

  @Test
  void nanAndInfinityAreErrorsNamingTheTensor() {
    TensorStatistics s = new TensorStatistics("conv2d_1", 16, true);
    CalibrationException e = assertThrows(CalibrationException.class,
        () -> s.add(Tensor.ofFloats(Shape.of(3), 1f, Float.NaN, 2f)));
    assertTrue(e.getMessage().contains("conv2d_1"), e.getMessage());
    assertTrue(e.getMessage().contains("1 NaN"), e.getMessage());
    TensorStatistics m = new TensorStatistics("dense", 16, false);
    e = assertThrows(CalibrationException.class,
        () -> m.add(Tensor.ofFloats(Shape.of(2), Float.NEGATIVE_INFINITY, 2f)));
    assertTrue(e.getMessage().contains("dense") && e.getMessage().contains("1 infinite"), e.getMessage());
  }

  @Test
  void nonFiniteValuesAnywhereInALongBatchAreFound() {
    for (int at : new int[] {0, 4_097, 9_999}) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
        float[] v = new float[10_000];
        java.util.Arrays.fill(v, 0.25f);
        v[at] = bad;
        for (boolean histogram : new boolean[] {false, true}) {
          TensorStatistics s = new TensorStatistics("t", 16, histogram);
          assertThrows(CalibrationException.class, () -> s.add(Tensor.wrapFloats(Shape.of(v.length), v)),
              "value " + bad + " at " + at);
        }
      }
    }
  }

  @Test
  void positiveAndNegativeZerosAreCountedApartFromTheFirstBins() {
    TensorStatistics s = new TensorStatistics("t", 16, true);
    float[] v = {0f, -0f, 0.01f, -0.01f, 0f, 4f, 0f};
    s.add(v, 0, v.length);
    assertEquals(4, s.zeroCount());
    assertEquals(1, s.positiveCounts()[0]); // 0.01 only
    assertEquals(1, s.negativeCounts()[0]); // -0.01 only
    s.add(new float[] {0f, 0f, 0f}, 0, 3); // an all-zero batch skips the scatter
    assertEquals(7, s.zeroCount());
    assertEquals(10, s.count());
  }

  @Test
  void withoutHistogramOnlyMinMax() {
    TensorStatistics s = new TensorStatistics("t", 16, false);
    s.add(new float[] {0f, -2f, 5f}, 0, 3);
    assertEquals(new TensorRange(-2f, 5f), s.minMax());
    assertThrows(IllegalStateException.class, s::zeroCount);
    assertThrows(IllegalStateException.class, s::positiveCounts);
    assertThrows(CalibrationException.class, () -> new TensorStatistics("empty", 16, false).minMax());
  }

  @Test
  void largeTensorsAreCountedCompletely() {
    float[] v = new float[100_003];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 7) - 3;
    }
    TensorStatistics s = new TensorStatistics("t");
    s.add(Tensor.wrapFloats(Shape.of(v.length), v));
    assertEquals(v.length, s.count());
    long nonZero = java.util.Arrays.stream(s.positiveCounts()).sum() + java.util.Arrays.stream(s.negativeCounts()).sum();
    assertEquals(v.length, nonZero + s.zeroCount());
  }
}
