package io.quantkit.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThroughputTest {
  @Test
  void measuresAPositiveFiniteRateOnTiledBatches() {
    FakeRunner runner = new FakeRunner("m", x -> {
      float s = 0;
      for (float v : x.toFloatArray()) {
        s += v;
      }
      return Tensor.ofFloats(Shape.of(1), s);
    });
    Tensor three = Tensor.ofFloats(Shape.of(3, 1, 1, 1), 0, 1, 2);
    Throughput.Result r = Throughput.builder().batchSize(8).warmup(2).iterations(5).build().measure(runner, three);
    assertTrue(r.imagesPerSecond() > 0 && Double.isFinite(r.imagesPerSecond()), r.toString());
    assertTrue(r.minMillis() <= r.medianMillis() && r.medianMillis() <= r.maxMillis(), r.toString());
    assertEquals(8, r.batchSize());
    assertEquals(Collections.nCopies(7, 8), runner.batchSizes);
  }

  @Test
  void batchOfRepeatsOrSlices() {
    Tensor three = Tensor.ofFloats(Shape.of(3, 1, 1, 1), 0, 1, 2);
    assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2, 0, 1}, Throughput.batchOf(three, 8).toFloatArray());
    assertArrayEquals(new float[] {0, 1}, Throughput.batchOf(three, 2).toFloatArray());
    assertEquals(Shape.of(8, 1, 1, 1), Throughput.batchOf(three, 8).shape());
  }

  @Test
  void datasetForm() {
    ListDataset ds = new ListDataset("toy", List.of("a"), 0, 0, 0);
    FakeRunner runner = new FakeRunner("m", x -> x);
    Throughput.Result r = Throughput.builder().batchSize(2).warmup(0).iterations(1).build().measure(runner, ds);
    assertTrue(r.imagesPerSecond() > 0 && Double.isFinite(r.imagesPerSecond()));
  }
}
