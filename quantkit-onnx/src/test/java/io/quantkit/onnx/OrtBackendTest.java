package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime specifics; the rules every backend follows (runner reuse, scoped runs, bad inputs,
 * closing) are in the conformance kit ({@code OnnxRuntimeConformanceTest}).
 */
class OrtBackendTest {
  /** y = relu(a) + b, two inputs. */
  private static Graph twoInputs() {
    return Graph.builder("two")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(-1, 3)))
        .input(new ValueInfo("b", DataType.FLOAT32, Shape.of(1, 3)))
        .node(Node.of("relu", new Op.Relu(), List.of("a"), List.of("r")))
        .node(Node.of("add", new Op.Add(), List.of("r", "b"), List.of("y")))
        .output("y")
        .build();
  }

  @Test
  void registeredUnderItsName() {
    assertTrue(Backends.named("onnx") instanceof OrtBackend);
    assertTrue(Backends.available().contains("onnx"));
  }

  @Test
  void runsEveryOptimizationLevel() {
    for (RunnerOptions.Optimization o : RunnerOptions.Optimization.values()) {
      try (Runner r = new OrtBackend().compile(twoInputs(), RunnerOptions.builder().threads(1).optimization(o).build())) {
        Map<String, Tensor> out = r.run(Map.of(
            "a", Tensor.ofFloats(Shape.of(2, 3), -1, 2, -3, 4, -5, 6),
            "b", Tensor.ofFloats(Shape.of(1, 3), 10, 20, 30)));
        assertArrayEquals(new float[] {10, 22, 30, 14, 20, 36}, out.get("y").toFloatArray(), 0f, o.name());
      }
    }
  }

  @Test
  void runtimeFailuresCarryTheOrtMessage() {
    // Declared [N, 3] x [4, 2]: only a run can find the mismatch when the graph does not know K.
    Graph g = Graph.builder("mm")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(-1, -1)))
        .initializer("w", Tensor.ofFloats(Shape.of(4, 2), new float[8]))
        .node(Node.of("matmul", new Op.MatMul(), List.of("a", "w"), List.of("y")))
        .output("y")
        .build();
    try (Runner r = Backends.named("onnx").compile(g)) {
      BackendException e = assertThrows(BackendException.class, () -> r.run(Tensor.ofFloats(Shape.of(1, 3), 1, 2, 3)));
      assertTrue(e.getMessage().contains("graph 'mm'") && e.getMessage().contains("matmul") && e.getMessage().contains("[1, 3]"),
          e.getMessage());
    }
  }

  @Test
  void byteAndLongInputsAndOutputs() {
    Graph g = Graph.builder("ints")
        .input(new ValueInfo("q", DataType.INT8, Shape.of(3)))
        .input(new ValueInfo("n", DataType.INT64, Shape.of(2)))
        .initializer("s", Tensor.scalar(0.5f))
        .initializer("zp", Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) -1))
        .initializer("k", Tensor.ofLongs(Shape.of(2), 3, 4))
        .node(Node.of("dq", new Op.DequantizeLinear(1), List.of("q", "s", "zp"), List.of("f")))
        .node(Node.of("mul", new Op.Mul(), List.of("n", "k"), List.of("nk")))
        .output("f").output("nk")
        .build();
    try (Runner r = Backends.named("onnx").compile(g)) {
      Map<String, Tensor> out = r.run(Map.of(
          "q", Tensor.ofBytes(DataType.INT8, Shape.of(3), (byte) -128, (byte) 0, (byte) 127),
          "n", Tensor.ofLongs(Shape.of(2), 5, -6)));
      assertArrayEquals(new float[] {-63.5f, 0.5f, 64f}, out.get("f").toFloatArray(), 0f);
      assertArrayEquals(new long[] {15, -24}, out.get("nk").toLongArray());
    }
  }

  /** check() names what ONNX Runtime's kernels refuse before compile() would fail inside ONNX Runtime. */
  @Test
  void checkReportsKernelLimitsWithReasons() {
    Graph g = Graph.builder("lrn")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(1, 4, 2)))
        .node(Node.of("even", new Op.Lrn(1f, 0.75f, 1f, 2), List.of("x"), List.of("a")))
        .node(Node.of("rank3", new Op.Lrn(1f, 0.75f, 1f, 3), List.of("a"), List.of("y")))
        .output("y")
        .build();
    List<io.quantkit.backend.UnsupportedNode> problems = Backends.named("onnx").check(g);
    assertEquals(List.of("even", "rank3"), problems.stream().map(io.quantkit.backend.UnsupportedNode::nodeName).toList());
    assertEquals("ONNX Runtime's CPU kernel needs an odd LRN size, got 2", problems.get(0).reason());
    assertEquals("ONNX Runtime's CPU kernel runs LRN on 4-D [N, C, H, W] input only, got [1, 4, 2]", problems.get(1).reason());
    io.quantkit.UnsupportedOpsException e = assertThrows(io.quantkit.UnsupportedOpsException.class,
        () -> Backends.named("onnx").compile(g));
    assertEquals(problems, e.nodes());
    assertTrue(e.getMessage().startsWith("backend 'onnx' cannot run graph 'lrn': 2 unsupported nodes of 1 op type: LRN x2"),
        e.getMessage());
  }
}
