package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quantkit.BackendException;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What OrtRunner caches per input shape (input buffers, feed map, output shapes) must follow the
 * shapes the caller sends: values and shapes checked by hand after every change of batch size.
 */
class OrtRunnerReuseTest {
  /** r = relu(a), y = r + b; outputs listed y first, then r. */
  private static Graph graph() {
    return Graph.builder("reuse")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(-1, 2)))
        .input(new ValueInfo("b", DataType.FLOAT32, Shape.of(1, 2)))
        .node(Node.of("relu", new Op.Relu(), List.of("a"), List.of("r")))
        .node(Node.of("add", new Op.Add(), List.of("r", "b"), List.of("y")))
        .output("y")
        .output("r")
        .build();
  }

  private static Map<String, Tensor> inputs(float... a) {
    return Map.of("a", Tensor.ofFloats(Shape.of(a.length / 2, 2), a), "b", Tensor.ofFloats(Shape.of(1, 2), 10, 100));
  }

  @Test
  void outputsFollowEveryChangeOfBatchSizeInGraphOrder() {
    try (Runner r = new OrtBackend().compile(graph(), RunnerOptions.builder().threads(1).build())) {
      float[][] batches = {{-1, 2, 3, -4}, {5, -6}, {-1, 2, 3, -4}, {7, 8, -9, 1, 0, -2}, {5, -6}};
      for (float[] a : batches) {
        Map<String, Tensor> out = r.run(inputs(a));
        assertEquals(List.of("y", "r"), List.copyOf(out.keySet()));
        float[] relu = new float[a.length];
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) {
          relu[i] = Math.max(0, a[i]);
          y[i] = relu[i] + (i % 2 == 0 ? 10 : 100);
        }
        assertEquals(Shape.of(a.length / 2, 2), out.get("y").shape());
        assertEquals(Shape.of(a.length / 2, 2), out.get("r").shape());
        assertArrayEquals(y, out.get("y").toFloatArray(), 0f);
        assertArrayEquals(relu, out.get("r").toFloatArray(), 0f);
      }
    }
  }

  @Test
  void aReturnedTensorKeepsItsValuesAfterLaterRuns() {
    try (Runner r = new OrtBackend().compile(graph(), RunnerOptions.builder().threads(1).build())) {
      Tensor first = r.run(inputs(1, 2)).get("y");
      r.run(inputs(3, 4));
      r.run(inputs(5, 6, 7, 8));
      assertArrayEquals(new float[] {11, 102}, first.toFloatArray(), 0f);
    }
  }

  @Test
  void namesAnUnknownInputBeforeAMissingOne() {
    try (Runner r = new OrtBackend().compile(graph(), RunnerOptions.builder().threads(1).build())) {
      Map<String, Tensor> wrong = new HashMap<>(inputs(1, 2));
      wrong.remove("b");
      wrong.put("c", Tensor.ofFloats(Shape.of(1, 2), 0, 0));
      BackendException unknown = assertThrows(BackendException.class, () -> r.run(wrong));
      assertEquals("graph 'reuse' has no input 'c'; its inputs are [a, b]", unknown.getMessage());
      Map<String, Tensor> missing = new HashMap<>(inputs(1, 2));
      missing.remove("b");
      BackendException absent = assertThrows(BackendException.class, () -> r.run(missing));
      assertEquals("graph 'reuse': no tensor given for input 'b'", absent.getMessage());
      // The runner still works after rejected calls.
      assertArrayEquals(new float[] {11, 102}, r.run(inputs(1, 2)).get("y").toFloatArray(), 0f);
    }
  }
}
