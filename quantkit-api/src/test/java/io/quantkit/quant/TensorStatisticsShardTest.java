package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Shards seeded with the first batch's range merge into exactly the histogram of one collector. */
class TensorStatisticsShardTest {
  @Test
  void seededShardsMergeExactlyAndSurviveSerialization() throws Exception {
    Random rnd = new Random(3);
    int batches = 12;
    int per = 5000;
    float[][] data = new float[batches][per];
    for (int b = 0; b < batches; b++) {
      // growing scale: later batches force the range to double several times
      double scale = 1 + b * b;
      for (int i = 0; i < per; i++) {
        data[b][i] = rnd.nextInt(5) == 0 ? 0f : (float) (rnd.nextGaussian() * scale);
      }
    }
    TensorStatistics one = new TensorStatistics("t", 256, true);
    for (float[] batch : data) {
      one.add(batch, 0, batch.length);
    }
    TensorStatistics first = new TensorStatistics("t", 256, true);
    first.add(data[0], 0, per);
    double seed = first.histogramRange();

    TensorStatistics merged = null;
    int[][] shards = {{0, 5}, {5, 6}, {6, 12}};
    for (int[] s : shards) {
      TensorStatistics part = new TensorStatistics("t", 256, true);
      part.seedRange(seed);
      for (int b = s[0]; b < s[1]; b++) {
        part.add(data[b], 0, per);
      }
      part = roundTrip(part);
      if (merged == null) {
        merged = part;
      } else {
        merged.merge(part);
      }
    }
    assertEquals(one.count(), merged.count());
    assertEquals(one.zeroCount(), merged.zeroCount());
    assertEquals(one.min(), merged.min());
    assertEquals(one.max(), merged.max());
    assertEquals(one.histogramRange(), merged.histogramRange());
    assertArrayEquals(one.positiveCounts(), merged.positiveCounts());
    assertArrayEquals(one.negativeCounts(), merged.negativeCounts());
  }

  @Test
  void seedOnlyBeforeValues() {
    TensorStatistics s = new TensorStatistics("t", 16, true);
    assertThrows(IllegalArgumentException.class, () -> s.seedRange(0));
    s.add(new float[] {1f}, 0, 1);
    assertThrows(IllegalStateException.class, () -> s.seedRange(2));
  }

  private static TensorStatistics roundTrip(TensorStatistics s) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (TensorStatistics) in.readObject();
    }
  }
}
