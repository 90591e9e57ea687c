package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.quant.QuantOptions;
import io.quantkit.quant.QuantParams;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.quant.Qdq;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * QDQ graphs on PyTorch's quantized kernels against the reference executor's exact QDQ arithmetic
 * (float math, round half to even, saturation). Every quantized activation of the graph is
 * exposed as an output, so each kernel's integers are compared where they are made: PyTorch's
 * kernels requantize with a float multiplier, so an element may land one level off where the exact
 * value is within float error of a rounding tie, never further (for the first op, whose inputs are
 * identical) and rarely at all.
 */
class Int8TranslationTest {
  private static final int SAMPLES = 64;
  private static final PyTorchBackend BACKEND = new PyTorchBackend();

  @BeforeAll
  static void startEngine() {
    PyTorchEngine.get();
  }


  @ParameterizedTest(name = "{0} activations, per-channel weights {1}")
  @CsvSource({"UINT8, true", "UINT8, false", "INT8, true"})
  void quantizedKernelsGiveTheQdqIntegers(QuantType activations, boolean perChannel) {
    Graph fp32 = Graphs.mixed(7);
    Tensor sample = Graphs.uniform(new Random(1), -1f, 3f, SAMPLES, 3, 9, 9);
    QuantOptions options = QuantOptions.builder().activationType(activations).perChannelWeights(perChannel).build();
    QuantPlan plan = Graphs.minMaxPlan(fp32, options, sample);
    QuantizationResult q = Qdq.quantize(fp32, plan);
    List<String> exposed = new ArrayList<>();
    for (Node n : q.graph().nodes()) {
      if (n.op() instanceof Op.DequantizeLinear && !q.graph().isInitializer(n.input(0))
          && q.graph().consumers(n.input(0)).get(0) == n) {
        exposed.add(n.output());
      }
    }
    exposed.add("y");
    Graph probe = q.graph().withOutputs(exposed);

    TorchScriptExport export = TorchScriptModel.export(probe);
    System.out.println(activations + " per-channel " + perChannel + ": " + export.kernels() + " " + export.warnings());
    assertEquals(3, export.kernels().get("quantized::conv2d"), export.kernels().toString());
    assertEquals(1, export.kernels().get("quantized::add"), export.kernels().toString());
    assertEquals(1, export.kernels().get("quantized::cat"), export.kernels().toString());
    assertEquals(1, export.kernels().get("quantized::linear"), "dense_1 feeds a quantized op: " + export.kernels());
    assertEquals(1, export.kernels().get("aten::max_pool2d (quint8)"), export.kernels().toString());
    assertEquals(1, export.kernels().get("aten::linear on dequantized values"), "dense_2 feeds the FP32 softmax");
    assertEquals(List.of(), export.warnings());

    Map<String, Tensor> pt;
    Map<String, Tensor> ref;
    try (Runner torch = BACKEND.compile(probe, RunnerOptions.defaults());
        Runner exact = Backends.named("reference").compile(probe)) {
      pt = torch.run(Map.of("x", sample));
      ref = exact.run(Map.of("x", sample));
    }
    for (String t : exposed) {
      if (t.equals("y")) {
        continue;
      }
      String tensor = t.substring(0, t.indexOf("_dequantized"));
      QuantParams p = q.plan().params(tensor).orElseThrow();
      Tensor a = pt.get(t);
      Tensor b = ref.get(t);
      assertEquals(b.shape(), a.shape(), t);
      int same = 0;
      int maxLevels = 0;
      for (int i = 0; i < a.size(); i++) {
        int levels = Math.round(Math.abs(a.getFloat(i) - b.getFloat(i)) / p.scale());
        maxLevels = Math.max(maxLevels, levels);
        same += levels == 0 ? 1 : 0;
      }
      System.out.printf("  %-20s %d/%d identical, max %d levels apart%n", tensor, same, a.size(), maxLevels);
      assertTrue(same >= 0.97 * a.size(), tensor + ": only " + same + " of " + a.size() + " elements identical");
      if (tensor.equals("a") || tensor.equals("x")) {
        assertTrue(maxLevels <= 1, tensor + " (first op) is " + maxLevels + " levels off");
      }
    }
    int agree = 0;
    Tensor a = pt.get("y");
    Tensor b = ref.get("y");
    for (int i = 0; i < SAMPLES; i++) {
      agree += argmax(a, i) == argmax(b, i) ? 1 : 0;
    }
    assertTrue(agree >= SAMPLES - 4, "top-1 agreement " + agree + "/" + SAMPLES);
  }

  @Test
  void averagePoolWithItsOwnScaleRunsOnDequantizedValuesAndSaysSo() {
    Graph.Builder b = Graph.builder("avg");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2, 4, 4)));
    b.node(Node.of("pool", new Op.AveragePool(com.google.common.primitives.ImmutableIntArray.of(2, 2),
        com.google.common.primitives.ImmutableIntArray.of(2, 2), io.quantkit.ir.Padding.valid(), false, false),
        List.of("x"), List.of("p")));
    b.node(Node.of("relu", new Op.Relu(), List.of("p"), List.of("y")));
    b.output("y");
    Graph fp32 = b.build();
    Tensor sample = Graphs.uniform(new Random(3), 0f, 4f, 8, 2, 4, 4);
    QuantizationResult q = Qdq.quantize(fp32, Graphs.minMaxPlan(fp32, QuantOptions.defaults(), sample));
    TorchScriptExport export = TorchScriptModel.export(q.graph());
    assertEquals(1, export.warnings().size(), export.warnings().toString());
    String w = export.warnings().get(0);
    assertTrue(w.contains("AveragePool 'pool'") && w.contains("keeps its input's scale"), w);
    try (Runner torch = BACKEND.compile(q.graph(), RunnerOptions.defaults());
        Runner exact = Backends.named("reference").compile(q.graph())) {
      Tensor a = torch.run(sample);
      Tensor r = exact.run(sample);
      float step = q.plan().params("y").orElseThrow().scale();
      for (int i = 0; i < a.size(); i++) {
        assertTrue(Math.abs(a.getFloat(i) - r.getFloat(i)) <= step * 1.01f, "element " + i);
      }
    }
  }

  @Test
  void perAxisActivationQuantizationRunsInFp32ArithmeticWithAWarning() {
    Graph.Builder b = Graph.builder("per_axis");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2)));
    b.initializer("s", Tensor.ofFloats(Shape.of(2), 0.1f, 0.2f));
    b.initializer("z", Tensor.ofBytes(DataType.UINT8, Shape.of(2), (byte) 0, (byte) 10));
    b.node(Node.of("q", new Op.QuantizeLinear(1), List.of("x", "s", "z"), List.of("xq")));
    b.node(Node.of("dq", new Op.DequantizeLinear(1), List.of("xq", "s", "z"), List.of("y")));
    b.output("y");
    b.output("xq");
    Graph g = b.build();
    TorchScriptExport export = TorchScriptModel.export(g);
    assertEquals(1, export.warnings().size(), export.warnings().toString());
    assertTrue(export.warnings().get(0).contains("QuantizeLinear 'q' of 'x': per-axis"), export.warnings().get(0));
    // halves of each scale round to even; both ends saturate
    Tensor x = Tensor.ofFloats(Shape.of(4, 2), 0.05f, 0.1f, 0.15f, 0.3f, -1f, -3f, 30f, 60f);
    try (Runner torch = BACKEND.compile(g, RunnerOptions.defaults()); Runner exact = Backends.named("reference").compile(g)) {
      Map<String, Tensor> a = torch.run(Map.of("x", x));
      Map<String, Tensor> r = exact.run(Map.of("x", x));
      assertEquals(r.get("xq"), a.get("xq"));
      assertEquals(r.get("y"), a.get("y"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"UINT8, 3", "INT8, -3"})
  void aQuantizedGraphOutputComesBackAsItsIntegers(DataType type, int zeroPoint) {
    Graph.Builder b = Graph.builder("q_out");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 5)));
    b.initializer("s", Tensor.scalar(0.1f));
    b.initializer("z", Tensor.ofBytes(type, Shape.scalar(), (byte) zeroPoint));
    b.node(Node.of("q", new Op.QuantizeLinear(1), List.of("x", "s", "z"), List.of("y")));
    b.output("y");
    Graph g = b.build();
    // saturation at both ends, exact values and halves (round half to even)
    Tensor x = Tensor.ofFloats(Shape.of(2, 5), -30f, -0.05f, 0f, 0.25f, 0.3f, 1.05f, 2f, 12.6f, 30f, -0.35f);
    try (Runner torch = BACKEND.compile(g, RunnerOptions.defaults()); Runner exact = Backends.named("reference").compile(g)) {
      Tensor a = torch.run(x);
      Tensor r = exact.run(x);
      assertEquals(type, a.type());
      assertEquals(r, a);
    }
  }

  private static int argmax(Tensor t, int row) {
    int k = t.shape().dim(1);
    int best = 0;
    for (int j = 1; j < k; j++) {
      if (t.getFloat(row * k + j) > t.getFloat(row * k + best)) {
        best = j;
      }
    }
    return best;
  }
}
