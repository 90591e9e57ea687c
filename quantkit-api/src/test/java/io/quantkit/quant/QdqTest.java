package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.CalibrationException;
import io.quantkit.GraphException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class QdqTest {
  /**
   * x [?,2,4,4] -> conv1 -> relu1 -> conv2 -> add(conv2, relu1) -> relu2 -> gap -> flatten -> dense
   * -> softmax.
   */
  static Graph convReluAddGemm(boolean outputR2) {
    Random r = new Random(5);
    Graph.Builder b = Graph.builder("crag");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2, 4, 4)));
    b.initializer("w1", TestGraphs.random(r, 0.5f, 3, 2, 3, 3));
    b.initializer("b1", TestGraphs.random(r, 0.1f, 3));
    b.node(Node.of("conv1", TestGraphs.conv(3, 1, Padding.sameUpper()), List.of("x", "w1", "b1"), List.of("c1")));
    b.node(Node.of("relu1", new Op.Relu(), List.of("c1"), List.of("r1")));
    b.initializer("w2", TestGraphs.random(r, 0.5f, 3, 3, 3, 3));
    b.initializer("b2", TestGraphs.random(r, 0.1f, 3));
    b.node(Node.of("conv2", TestGraphs.conv(3, 1, Padding.sameUpper()), List.of("r1", "w2", "b2"), List.of("c2")));
    b.node(Node.of("add", new Op.Add(), List.of("c2", "r1"), List.of("a")));
    b.node(Node.of("relu2", new Op.Relu(), List.of("a"), List.of("r2")));
    b.node(Node.of("gap", new Op.GlobalAveragePool(), List.of("r2"), List.of("p")));
    b.node(Node.of("flatten", new Op.Flatten(1), List.of("p"), List.of("f")));
    b.initializer("w3", TestGraphs.random(r, 0.5f, 3, 5));
    b.initializer("b3", TestGraphs.random(r, 0.1f, 5));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), List.of("f", "w3", "b3"), List.of("logits")));
    b.node(Node.of("softmax", new Op.Softmax(1), List.of("logits"), List.of("probs")));
    b.output("probs");
    if (outputR2) {
      b.output("r2");
    }
    return b.build();
  }

  /** A plan with made-up ranges for the tensors calibration would observe. */
  static QuantPlan handPlan(Graph g, QuantOptions o) {
    QuantPlan.Builder p = QuantPlan.builder(g.name()).options(o);
    List<String> tensors = Calibration.builder().options(o).build().tensorsToObserve(g);
    float hi = 1f;
    for (String t : tensors) {
      hi += 0.5f;
      float lo = t.startsWith("r") || t.startsWith("activation") || t.equals("p") || t.equals("y") || t.startsWith("input") ? 0f : -hi / 2;
      p.put(t, QuantMath.params(new TensorRange(lo, hi), o.activationType(), o.symmetricActivations()));
    }
    return p.build();
  }

  private static long count(Graph g, Class<? extends Op> type) {
    return g.nodes().stream().filter(n -> type.isInstance(n.op())).count();
  }

  private static Node node(Graph g, String name) {
    return g.node(name).orElseThrow(() -> new AssertionError("no node " + name + " in " + g.nodes()));
  }

  @Test
  void calibratedTensorsFollowThePlacement() {
    Graph g = convReluAddGemm(false);
    // relu1/relu2 fold into conv1/add; flatten shares gap's parameters; the dense output feeds
    // only the FP32 softmax and stays FP32
    assertEquals(List.of("x", "r1", "c2", "r2", "p"), Calibration.builder().build().tensorsToObserve(g));
  }

  @Test
  void structureOfTheQdqGraph() {
    Graph g = convReluAddGemm(false);
    QuantPlan plan = handPlan(g, QuantOptions.defaults());
    QuantizationResult res = Qdq.quantize(g, plan);
    Graph q = res.graph();
    // Q: x, r1, c2, r2, p, f.  DQ: x->conv1, r1->conv2, r1->add, c2->add, r2->gap, p->flatten,
    // f->dense (7) + 3 weights + 3 biases
    assertEquals(6, count(q, Op.QuantizeLinear.class));
    assertEquals(13, count(q, Op.DequantizeLinear.class));
    assertEquals(0, count(q, Op.Relu.class));
    assertEquals(List.of("relu1", "relu2"), res.foldedActivations());
    assertEquals("r1", node(q, "conv1").output());
    assertEquals("r2", node(q, "add").output());
    Set<String> quantizedTensors = q.nodes().stream().filter(n -> n.op() instanceof Op.QuantizeLinear)
        .map(n -> n.input(0)).collect(Collectors.toSet());
    assertEquals(Set.of("x", "r1", "c2", "r2", "p", "f"), quantizedTensors);
    // every quantized op reads its activations through its own DQ
    assertEquals("x_dequantized", node(q, "conv1").input(0));
    assertEquals("w1_dequantized", node(q, "conv1").input(1));
    assertEquals("b1_dequantized", node(q, "conv1").input(2));
    assertTrue(node(q, "conv2").input(0).startsWith("r1_dequantized"));
    assertTrue(node(q, "add").input(1).startsWith("r1_dequantized"));
    assertFalse(node(q, "conv2").input(0).equals(node(q, "add").input(1)));
    assertEquals("c2_dequantized", node(q, "add").input(0));
    assertEquals("p_dequantized", node(q, "flatten").input(0));
    assertEquals("f_dequantized", node(q, "dense").input(0));
    // the logits stay FP32 for the FP32 softmax
    assertEquals("logits", node(q, "softmax").input(0));
    assertEquals(List.of("probs"), q.outputs());
    assertTrue(res.floatNodes().containsKey("softmax"));
    // flatten's output reuses gap's scale and zero point initializers
    Node qf = node(q, "f_QuantizeLinear");
    assertEquals(List.of("f", "p_scale", "p_zero_point"), qf.inputs());
    assertEquals(plan.params("p").orElseThrow(), res.plan().params("f").orElseThrow());
    // weights: INT8 per output channel (axis 0 for OIHW conv, axis 1 for Gemm B [K, N])
    Node dqW1 = q.producer("w1_dequantized").orElseThrow();
    assertEquals(0, ((Op.DequantizeLinear) dqW1.op()).axis());
    assertEquals(DataType.INT8, q.initializer(dqW1.input(0)).orElseThrow().type());
    assertEquals(Shape.of(3), q.initializer(dqW1.input(1)).orElseThrow().shape());
    Node dqW3 = q.producer("w3_dequantized").orElseThrow();
    assertEquals(1, ((Op.DequantizeLinear) dqW3.op()).axis());
    assertEquals(Shape.of(5), q.initializer(dqW3.input(1)).orElseThrow().shape());
    // biases: INT32, scale = input scale x weight scale, zero point 0
    Node dqB1 = q.producer("b1_dequantized").orElseThrow();
    assertEquals(DataType.INT32, q.initializer(dqB1.input(0)).orElseThrow().type());
    float sx = plan.params("x").orElseThrow().scale();
    float[] sw = q.initializer(dqW1.input(1)).orElseThrow().toFloatArray();
    float[] sb = q.initializer(dqB1.input(1)).orElseThrow().toFloatArray();
    for (int c = 0; c < 3; c++) {
      assertEquals(sx * sw[c], sb[c]);
    }
    assertArrayEquals(new int[3], q.initializer(dqB1.input(2)).orElseThrow().toIntArray());
    // no FP32 weight is left behind
    assertFalse(q.isInitializer("w1") || q.isInitializer("w3") || q.isInitializer("b1"));
    // the plan actually used covers every Q/DQ'd tensor
    assertTrue(res.plan().tensors().keySet().containsAll(List.of("x", "r1", "c2", "r2", "p", "f", "w1", "w2", "w3", "b1", "b2", "b3")));
  }

  @Test
  void sharedDequantizeLikeOrtsTool() {
    Graph g = convReluAddGemm(false);
    QuantOptions o = QuantOptions.builder().dequantizePerConsumer(false).build();
    Graph q = Qdq.quantize(g, handPlan(g, o)).graph();
    assertEquals(6, count(q, Op.QuantizeLinear.class));
    assertEquals(12, count(q, Op.DequantizeLinear.class)); // r1's DQ is shared by conv2 and add
    assertEquals(node(q, "conv2").input(0), node(q, "add").input(1));
  }

  @Test
  void symmetricActivationsKeepRelu() {
    Graph g = convReluAddGemm(false);
    QuantOptions o = QuantOptions.builder().activationType(QuantType.INT8).symmetricActivations(true).build();
    assertEquals(List.of("x", "c1", "r1", "c2", "a", "r2", "p"), Calibration.builder().options(o).build().tensorsToObserve(g));
    QuantizationResult res = Qdq.quantize(g, handPlan(g, o));
    assertEquals(2, count(res.graph(), Op.Relu.class));
    assertEquals(8, count(res.graph(), Op.QuantizeLinear.class));
    assertTrue(res.foldedActivations().isEmpty());
    for (QuantParams p : res.plan().tensors().values()) {
      assertTrue(p.type() == QuantType.INT32 || p.type() == QuantType.INT8);
      if (p.type() == QuantType.INT8) {
        assertArrayEquals(new int[p.channels()], p.zeroPoints());
      }
    }
  }

  @Test
  void excludedNodeStaysFp32WithAWarning() {
    Graph g = convReluAddGemm(false);
    QuantOptions o = QuantOptions.builder().excludeNodes(List.of("add")).build();
    QuantizationResult res = Qdq.quantize(g, handPlan(g, o));
    Graph q = res.graph();
    assertEquals("excluded by option", res.floatNodes().get("add"));
    assertTrue(res.warnings().stream().anyMatch(w -> w.contains("'add'") && w.contains("excluded")), res.warnings().toString());
    // the FP32 add reads dequantized values (its producers are integer ops), its ReLU stays
    assertEquals(List.of("c2_dequantized", node(q, "add").input(1)), node(q, "add").inputs());
    assertTrue(node(q, "add").input(1).startsWith("r1_dequantized"));
    assertEquals("a", node(q, "add").output());
    assertEquals(1, count(q, Op.Relu.class));
    assertEquals("r2_dequantized", node(q, "gap").input(0));
    QuantOptions convs = QuantOptions.builder().excludeOpTypes(List.of("Conv")).build();
    QuantizationResult r2 = Qdq.quantize(g, handPlan(g, convs));
    assertEquals(2, r2.warnings().stream().filter(w -> w.contains("excluded")).count());
    assertEquals("x", node(r2.graph(), "conv1").input(0));
    assertEquals("w1", node(r2.graph(), "conv1").input(1));
  }

  @Test
  void exclusionsThatNameNothingAreErrorsWithCloseNames() {
    Graph g = convReluAddGemm(false);
    // Before: a typo quantized everything and succeeded.
    GraphException node = assertThrows(GraphException.class,
        () -> Qdq.quantize(g, handPlan(g, QuantOptions.defaults()), QuantOptions.builder().excludeNodes(List.of("addd")).build()));
    assertTrue(node.getMessage().contains("no node named 'addd'; did you mean add?"), node.getMessage());
    GraphException type = assertThrows(GraphException.class,
        () -> Qdq.quantize(g, handPlan(g, QuantOptions.defaults()), QuantOptions.builder().excludeOpTypes(List.of("conv")).build()));
    assertTrue(type.getMessage().contains("no node of op type 'conv'; did you mean Conv?"), type.getMessage());
    assertEquals(3, Exclusions.editDistance("kitten", "sitting"));
  }

  @Test
  void quantizedGraphOutputKeepsItsName() {
    Graph g = convReluAddGemm(true);
    Graph q = Qdq.quantize(g, handPlan(g, QuantOptions.defaults())).graph();
    assertEquals(List.of("probs", "r2"), q.outputs());
    assertEquals("r2_float", node(q, "add").output());
    Node dq = q.producer("r2").orElseThrow();
    assertTrue(dq.op() instanceof Op.DequantizeLinear);
    assertEquals("r2_quantized", dq.input(0));
  }

  @Test
  void inputIsQuantizedBeforeTheLayoutTranspose() {
    Graph g = TestGraphs.tinyResNet(1);
    assertEquals(List.of("input", "relu1_out", "bn2_out", "relu2_out", "gap_out"),
        Calibration.builder().build().tensorsToObserve(g));
    Graph q = Qdq.quantize(g, handPlan(g, QuantOptions.defaults())).graph();
    assertEquals(List.of("input_dequantized"), node(q, "to_nchw").inputs());
    assertEquals(List.of("input_nchw", "input_scale", "input_zero_point"), node(q, "input_nchw_QuantizeLinear").inputs());
    assertEquals("input_quantized", node(q, "input_QuantizeLinear").output());
  }

  @Test
  void clipZeroToSixFoldsOtherClipsDoNot() {
    for (float lo : new float[] {0f, -1f}) {
      Graph.Builder b = Graph.builder("clip");
      b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 1, 2, 2)));
      b.initializer("w", Tensor.ofFloats(Shape.of(1, 1, 1, 1), 2f));
      b.node(Node.of("conv", TestGraphs.conv(1, 1, Padding.valid()), List.of("x", "w"), List.of("c")));
      b.node(Node.of("clip", new Op.Clip(lo, 6f), List.of("c"), List.of("y")));
      b.node(Node.of("conv_b", TestGraphs.conv(1, 1, Padding.valid()), List.of("y", "w"), List.of("z")));
      b.output("z");
      Graph g = b.build();
      List<String> observed = Calibration.builder().build().tensorsToObserve(g);
      if (lo == 0f) {
        assertEquals(List.of("x", "y", "z"), observed);
        assertEquals(0, count(Qdq.quantize(g, handPlan(g, QuantOptions.defaults())).graph(), Op.Clip.class));
      } else {
        assertEquals(List.of("x", "c", "y", "z"), observed);
      }
    }
  }

  @Test
  void missingPlanEntryIsAnError() {
    Graph g = convReluAddGemm(false);
    QuantPlan plan = handPlan(g, QuantOptions.defaults()).toBuilder().remove("c2").build();
    CalibrationException e = assertThrows(CalibrationException.class, () -> Qdq.quantize(g, plan));
    assertTrue(e.getMessage().contains("'c2'"), e.getMessage());
  }

  @Test
  void foldedReluOutputMustStartAtZero() {
    Graph g = convReluAddGemm(false);
    QuantPlan plan = handPlan(g, QuantOptions.defaults()).toBuilder()
        .put("r1", QuantMath.params(new TensorRange(-1, 3), QuantType.UINT8, false)).build();
    assertThrows(CalibrationException.class, () -> Qdq.quantize(g, plan));
  }

  @Test
  void alreadyQuantizedGraphIsRejected() {
    Graph g = convReluAddGemm(false);
    Graph q = Qdq.quantize(g, handPlan(g, QuantOptions.defaults())).graph();
    assertThrows(GraphException.class, () -> Qdq.quantize(q, handPlan(g, QuantOptions.defaults())));
  }

  @Test
  void biasOverflowRaisesTheWeightScale() {
    Graph.Builder b = Graph.builder("tiny_weights");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 1, 1, 1)));
    b.initializer("w", Tensor.ofFloats(Shape.of(2, 1, 1, 1), 1e-12f, 1f));
    b.initializer("b", Tensor.ofFloats(Shape.of(2), 100f, 0.5f));
    b.node(Node.of("conv", TestGraphs.conv(1, 1, Padding.valid()), List.of("x", "w", "b"), List.of("y")));
    b.output("y");
    Graph g = b.build();
    QuantPlan plan = QuantPlan.builder("tiny_weights")
        .put("x", QuantMath.params(new TensorRange(0, 1e-3f), QuantType.UINT8, false))
        .put("y", QuantMath.params(new TensorRange(0, 101f), QuantType.UINT8, false)).build();
    QuantizationResult res = Qdq.quantize(g, plan);
    QuantParams bias = res.plan().params("b").orElseThrow();
    for (int c = 0; c < 2; c++) {
      double q = new float[] {100f, 0.5f}[c] / bias.scale(c);
      assertTrue(Math.abs(q) < Integer.MAX_VALUE, "bias channel " + c + " overflows: " + q);
    }
    assertTrue(res.warnings().stream().anyMatch(w -> w.contains("overflow")), res.warnings().toString());
    Tensor qb = res.graph().initializer("b_quantized").orElseThrow();
    assertEquals(100f, bias.dequantize(qb.getLong(0), 0), 1e-3f);
  }

  @Test
  void constantAddOperandIsQuantizedWithTheActivationType() {
    Graph.Builder b = Graph.builder("const_add");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 4)));
    b.initializer("k", Tensor.ofFloats(Shape.of(4), -1f, 0f, 1f, 2f));
    b.node(Node.of("add", new Op.Add(), List.of("x", "k"), List.of("y")));
    b.output("y");
    Graph g = b.build();
    QuantPlan plan = QuantPlan.builder("const_add")
        .put("x", QuantMath.params(new TensorRange(0, 1), QuantType.UINT8, false))
        .put("y", QuantMath.params(new TensorRange(-1, 3), QuantType.UINT8, false)).build();
    QuantizationResult res = Qdq.quantize(g, plan);
    // [-1, 2] on UINT8: scale 3/255, zero point round(255/3) = 85
    QuantParams k = res.plan().params("k").orElseThrow();
    assertEquals(3f / 255f, k.scale(), 1e-9);
    assertEquals(85, k.zeroPoint());
    assertEquals(DataType.UINT8, res.graph().initializer("k_quantized").orElseThrow().type());
    assertEquals(List.of("x_dequantized", "k_dequantized"), node(res.graph(), "add").inputs());
  }

  @Test
  void resNet8ShapedGraph() {
    Graph g = TestGraphs.resNet8Shaped(3);
    QuantizationResult res = Qdq.quantize(g, handPlan(g, QuantOptions.defaults()));
    Graph q = res.graph();
    // Q, 16 in total:
    // input_1, x0, conv2d, conv2d_1, conv2d_2, add, conv2d_3, conv2d_4, conv2d_5, add_1, conv2d_6,
    // conv2d_7, conv2d_8, add_2, pooled, flat
    assertEquals(16, count(q, Op.QuantizeLinear.class));
    // DQ: 19 activation edges (one per consuming node: 1 each, except 2 for the three tensors read
    // by two convs or by a conv and an add) + 10 weights + 10 biases
    assertEquals(39, count(q, Op.DequantizeLinear.class));
    assertEquals(0, count(q, Op.Relu.class));
    assertEquals(0, count(q, Op.BatchNorm.class));
    assertEquals(7, res.foldedActivations().size()); // after 4 convs and 3 adds
    assertEquals(List.of("dense_softmax"), List.copyOf(res.floatNodes().keySet()));
    assertTrue(res.warnings().isEmpty(), res.warnings().toString());
    InspectionReport report = QdqInspector.inspect(q);
    assertEquals(3, report.adds().size());
  }

  @Test
  void padInputChannelsOptionPadsTheStemAndKeepsTheOutputs() throws Exception {
    Graph g = TestGraphs.resNet8Shaped(3);
    QuantOptions padded = QuantOptions.builder().padInputChannels(4).build();
    QuantPlan plan = handPlan(g, QuantOptions.defaults());
    Graph plain = Qdq.quantize(g, plan).graph();
    Graph four = Qdq.quantize(g, plan, padded).graph();
    Node stem = node(four, "conv2d");
    Tensor weight = four.initializer(four.producer(stem.inputs().get(1)).orElseThrow().inputs().get(0)).orElseThrow();
    assertEquals(4, weight.shape().dim(1), "stem weight " + weight.shape());
    assertEquals(plain.nodes().size() + 1, four.nodes().size(), "one padding node");
    Tensor x = TestGraphs.random(new Random(9), 1f, 2, 32, 32, 3);
    try (io.quantkit.backend.Runner a = new io.quantkit.reference.ReferenceBackend().compile(plain, io.quantkit.backend.RunnerOptions.defaults());
        io.quantkit.backend.Runner b = new io.quantkit.reference.ReferenceBackend().compile(four, io.quantkit.backend.RunnerOptions.defaults())) {
      String out = g.outputs().get(0);
      assertArrayEquals(a.run(java.util.Map.of("input_1", x)).get(out).toFloatArray(),
          b.run(java.util.Map.of("input_1", x)).get(out).toFloatArray());
    }
    // the option is recorded in the plan's JSON only when it is on
    assertEquals(padded, io.quantkit.internal.JsonFiles.mapper().readValue(
        io.quantkit.internal.JsonFiles.mapper().writeValueAsString(padded), QuantOptions.class));
    assertFalse(io.quantkit.internal.JsonFiles.mapper().writeValueAsString(QuantOptions.defaults()).contains("padInputChannels"));
  }
}
