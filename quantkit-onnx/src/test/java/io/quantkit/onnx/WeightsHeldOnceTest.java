package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large weights are read off the heap and handed to ONNX Runtime in memory: the values survive
 * save/load exactly, and ONNX Runtime computes with them what the reference executor computes,
 * with and without prepacking.
 */
class WeightsHeldOnceTest {
  private static Graph gemm() {
    Random r = new Random(5);
    float[] w = new float[300 * 100]; // 120,000 bytes: above TensorCodec.OFF_HEAP_BYTES
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 300)));
    b.initializer("w", Tensor.wrapFloats(Shape.of(100, 300), w));
    b.initializer("bias", Tensor.ofFloats(Shape.of(3), 1f, 2f, 3f)); // small: stays in the model
    b.initializer("w2", Tensor.wrapFloats(Shape.of(3, 100), java.util.Arrays.copyOf(w, 300)));
    b.node(Node.of("fc", new Op.Gemm(1f, 1f, false, true), List.of("x", "w"), List.of("h")));
    b.node(Node.of("fc2", new Op.Gemm(1f, 1f, false, true), List.of("h", "w2", "bias"), List.of("y")));
    b.output("y");
    return b.build();
  }

  @Test
  void largeWeightsLoadOffTheHeapAndRunOnOnnxRuntimeInMemory(@TempDir Path dir) {
    Graph g = gemm();
    Path file = dir.resolve("g.onnx");
    OnnxModel.save(g, file);
    Graph loaded = OnnxModel.load(file);
    Tensor w = loaded.initializer("w").orElseThrow();
    assertTrue(w.floatBuffer().isDirect(), "a large weight is viewed off the heap");
    assertFalse(loaded.initializer("bias").orElseThrow().floatBuffer().isDirect(), "a small one stays on the heap");
    assertEquals(g.initializer("w").orElseThrow(), w);
    assertEquals(g.initializer("w2").orElseThrow(), loaded.initializer("w2").orElseThrow());

    float[] x = new float[2 * 300];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) - 3;
    }
    Map<String, Tensor> in = Map.of("x", Tensor.wrapFloats(Shape.of(2, 300), x));
    float[] want = ReferenceBackend.execute(g, in, List.of("y")).get("y").toFloatArray();
    for (boolean prepack : new boolean[] {true, false}) {
      RunnerOptions o = RunnerOptions.builder().extension(OrtOptions.builder().prepackWeights(prepack).build()).build();
      for (Graph model : List.of(g, loaded)) {
        try (Runner r = new OrtBackend().compile(model, o)) {
          assertArrayEquals(want, r.run(in).get("y").toFloatArray(), 1e-3f, "prepack " + prepack);
        }
      }
    }
  }
}
