package io.quantkit.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferenceRunnerTest {

  /** x [?, 2] -> Relu -> Mul by [2, 3] constant -> y. */
  private static Graph small() {
    return Graph.builder("small")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2)))
        .initializer("k", Tensor.ofFloats(Shape.of(2), 2, 3))
        .node(Node.of("relu", new Op.Relu(), List.of("x"), List.of("r")))
        .node(Node.of("mul", new Op.Mul(), List.of("r", "k"), List.of("y")))
        .output("y")
        .build();
  }

  @Test
  void isFoundByName() {
    Backend b = Backends.named("reference");
    assertTrue(b instanceof ReferenceBackend);
    assertEquals("reference", b.name());
  }

  @Test
  void runsAnyBatchSizeAndExposesIntermediates() {
    try (ReferenceRunner r = new ReferenceBackend().compile(small())) {
      assertEquals("reference", r.backendName());
      Tensor x = Tensor.ofFloats(Shape.of(3, 2), -1, 1, 2, -2, 3, 4);
      assertArrayEquals(new float[] {0, 3, 4, 0, 6, 12}, r.run(x).toFloatArray());
      Map<String, Tensor> all = r.run(Map.of("x", x), List.of("r", "y", "k", "x"));
      assertEquals(List.of("r", "y", "k", "x"), List.copyOf(all.keySet()));
      assertArrayEquals(new float[] {0, 1, 2, 0, 3, 4}, all.get("r").toFloatArray());
      assertSame(x, all.get("x"));
      assertArrayEquals(new float[] {2, 3}, all.get("k").toFloatArray());
      Tensor one = Tensor.ofFloats(Shape.of(1, 2), 5, -5);
      assertArrayEquals(new float[] {10, 0}, r.run(one).toFloatArray());
    }
  }

  @Test
  void staticExecuteReturnsWantedTensors() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 2), -1, 1);
    Map<String, Tensor> out = ReferenceBackend.execute(small(), Map.of("x", x), List.of("r"));
    assertEquals(List.of("r"), List.copyOf(out.keySet()));
    assertArrayEquals(new float[] {0, 1}, out.get("r").toFloatArray());
  }

  @Test
  void rejectsBadInputsWithClearMessages() {
    try (Runner r = new ReferenceBackend().compile(small())) {
      Tensor ok = Tensor.ofFloats(Shape.of(1, 2), 1, 2);
      BackendException missing = assertThrows(BackendException.class, () -> r.run(Map.of()));
      assertTrue(missing.getMessage().contains("'x' is missing"), missing.getMessage());
      BackendException extra = assertThrows(BackendException.class, () -> r.run(Map.of("x", ok, "z", ok)));
      assertTrue(extra.getMessage().contains("no input 'z'"), extra.getMessage());
      BackendException shape = assertThrows(BackendException.class,
          () -> r.run(Tensor.ofFloats(Shape.of(1, 3), 1, 2, 3)));
      assertTrue(shape.getMessage().contains("[1, 3]") && shape.getMessage().contains("[?, 2]"), shape.getMessage());
      BackendException rank = assertThrows(BackendException.class, () -> r.run(Tensor.ofFloats(Shape.of(2), 1, 2)));
      assertTrue(rank.getMessage().contains("shape [2]"), rank.getMessage());
      BackendException type = assertThrows(BackendException.class,
          () -> r.run(Tensor.ofBytes(DataType.INT8, Shape.of(1, 2), (byte) 1, (byte) 2)));
      assertTrue(type.getMessage().contains("INT8") && type.getMessage().contains("FLOAT32"), type.getMessage());
    }
  }

  @Test
  void rejectsUnknownWantedTensor() {
    try (ReferenceRunner r = new ReferenceBackend().compile(small())) {
      BackendException e = assertThrows(BackendException.class,
          () -> r.run(Map.of("x", Tensor.ofFloats(Shape.of(1, 2), 1, 2)), List.of("nope")));
      assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    }
  }

  @Test
  void integerArithmeticIsUnsupported() {
    Graph g = Graph.builder("g")
        .input(new ValueInfo("a", DataType.INT32, Shape.of(2)))
        .node(Node.of("add", new Op.Add(), List.of("a", "a"), List.of("y")))
        .output("y")
        .build();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> new ReferenceBackend().compile(g));
    assertEquals("add", e.nodeName());
    assertEquals(1, new ReferenceBackend().check(g).size(), "check() reports the node compile() refuses");
    assertEquals("add", new ReferenceBackend().check(g).get(0).nodeName());
  }

  @Test
  void resNet8IsBatchAndThreadIndependent() {
    Graph g = TestGraphs.resNet8Shaped(7);
    Tensor images = TestGraphs.randomImages("random", 4, 32, 32, 3, 3).batch(0, 4).images();
    float[] multi;
    float[] single;
    try (Runner r = new ReferenceBackend().compile(g, RunnerOptions.builder().threads(3).build())) {
      multi = r.run(images).toFloatArray();
    }
    try (Runner r = new ReferenceBackend().compile(g, RunnerOptions.builder().threads(1).build())) {
      single = r.run(images).toFloatArray();
      for (int i = 0; i < 4; i++) {
        float[] alone = r.run(images.sliceFirstAxis(i, i + 1)).toFloatArray();
        assertArrayEquals(java.util.Arrays.copyOfRange(single, 10 * i, 10 * i + 10), alone, "image " + i);
      }
    }
    // Every work item computes the same sums in the same order whatever the thread count.
    assertArrayEquals(single, multi);
    assertEquals(40, single.length);
    for (int i = 0; i < 4; i++) {
      double sum = 0;
      for (int j = 0; j < 10; j++) {
        sum += single[10 * i + j];
      }
      assertEquals(1.0, sum, 1e-5);
    }
  }

  @Test
  void closedRunnerRefusesToRun() {
    ReferenceRunner r = new ReferenceBackend().compile(small());
    r.close();
    assertThrows(BackendException.class, () -> r.run(Tensor.ofFloats(Shape.of(1, 2), 1, 2)));
  }

  /**
   * A weight of 16 MB or more stays the graph's tensor and is copied only while a node reads it:
   * two Gemms read one 2048 x 2048 weight (2 on the diagonal, 1 in the last column), over three
   * runs, and every result is the hand-computed one.
   */
  @Test
  void largeWeightsAreReadWhereTheyAreOnEveryRun() {
    int n = 2048;
    assertTrue(4L * n * n >= ReferenceRunner.LARGE_CONSTANT_BYTES);
    java.nio.FloatBuffer w = java.nio.ByteBuffer.allocateDirect(4 * n * n).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < n; i++) {
      w.put(i * n + i, 2f);
      w.put(i * n + n - 1, w.get(i * n + n - 1) + 1f);
    }
    Graph g = Graph.builder("big")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(1, n)))
        .initializer("w", Tensor.viewOf(Shape.of(n, n), w))
        .node(Node.of("g1", new Op.Gemm(1f, 1f, false, false), List.of("x", "w"), List.of("h")))
        .node(Node.of("g2", new Op.Gemm(1f, 1f, false, false), List.of("h", "w"), List.of("y")))
        .output("y").build();
    float[] x = new float[n];
    java.util.Arrays.fill(x, 1f);
    // h = x W: 2 in columns 0..n-2, 2 + (n - 1) + ... : column n-1 sums x_i * (1 + [i == n-1] * 2) = n + 2
    // y = h W: columns 0..n-2: 2 * 2 = 4; column n-1: sum_i h_i + 2 h_{n-1} = 2 (n - 1) + 3 (n + 2)
    try (Runner r = new ReferenceBackend().compile(g, RunnerOptions.defaults())) {
      for (int run = 0; run < 3; run++) {
        float[] y = r.run(Map.of("x", Tensor.wrapFloats(Shape.of(1, n), x))).get("y").toFloatArray();
        assertEquals(4f, y[0]);
        assertEquals(4f, y[n - 2]);
        assertEquals(2f * (n - 1) + 3f * (n + 2), y[n - 1]);
      }
      assertSame(g.initializers().get("w"), r.graph().initializers().get("w"));
    }
  }
}
