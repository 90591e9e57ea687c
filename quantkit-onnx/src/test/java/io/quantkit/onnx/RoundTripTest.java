package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {
  private static ImmutableIntArray ints(int... v) {
    return ImmutableIntArray.copyOf(v);
  }

  private static Tensor random(Random r, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian() * 0.1f;
    }
    return Tensor.wrapFloats(s, v);
  }

  /** One node of every IR op, wired into a valid [N,3,8,8] -> [N,10] classifier. */
  static Graph everyOp() {
    Random r = new Random(7);
    Graph.Builder b = Graph.builder("every_op")
        .input(new ValueInfo("image", DataType.FLOAT32, Shape.of(-1, 3, 8, 8)))
        .initializer("w1", random(r, 4, 3, 3, 3))
        .initializer("b1", random(r, 4))
        .initializer("bn_scale", random(r, 4)).initializer("bn_bias", random(r, 4))
        .initializer("bn_mean", random(r, 4)).initializer("bn_var", Tensor.ofFloats(Shape.of(4), 1f, 2f, 3f, 4f))
        .initializer("w2", random(r, 4, 1, 3, 3))
        .initializer("mul_k", random(r, 1, 4, 1, 1))
        .initializer("fc_w", random(r, 10, 40))
        .initializer("fc_b", random(r, 10))
        .initializer("mm_w", random(r, 10, 10))
        .initializer("q_scale", Tensor.scalar(0.05f))
        .initializer("q_zp", Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) 3))
        .metadata("framework", "hand-built");
    b.node(Node.of("conv1", new Op.Conv(ints(3, 3), ints(1, 1), ints(1, 1), 1, Padding.sameUpper()),
        List.of("image", "w1", "b1"), List.of("c1")));
    b.node(Node.of("bn1", new Op.BatchNorm(1e-3f), List.of("c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"), List.of("bn")));
    b.node(Node.of("relu1", new Op.Relu(), List.of("bn"), List.of("r1")));
    b.node(Node.of("dw", new Op.Conv(ints(3, 3), ints(2, 2), ints(1, 1), 4, Padding.Explicit.of(new int[] {1, 0}, new int[] {1, 2})),
        List.of("r1", "w2"), List.of("c2")));
    b.node(Node.of("clip6", new Op.Clip(0f, 6f), List.of("c2"), List.of("r6")));
    b.node(Node.of("maxp", new Op.MaxPool(ints(2, 2), ints(1, 1), ints(1, 1), Padding.valid(), false), List.of("r6"), List.of("mp")));
    b.node(Node.of("avgp", new Op.AveragePool(ints(2, 2), ints(1, 1), Padding.Explicit.of(new int[] {0, 0}, new int[] {1, 1}), false, true),
        List.of("r6"), List.of("ap")));
    b.node(Node.of("add", new Op.Add(), List.of("mp", "mp"), List.of("sum")));
    b.node(Node.of("mul", new Op.Mul(), List.of("sum", "mul_k"), List.of("prod")));
    b.node(Node.of("gap", new Op.GlobalAveragePool(), List.of("ap"), List.of("g")));
    b.node(Node.of("flat", new Op.Flatten(1), List.of("prod"), List.of("f1")));
    b.node(Node.of("reshape", new Op.Reshape(ints(0, -1)), List.of("g"), List.of("f2")));
    b.node(Node.of("cat", new Op.Concat(1), List.of("f1", "f2"), List.of("cat")));
    b.node(Node.of("lowclip", new Op.Clip(Float.NEGATIVE_INFINITY, 2f), List.of("cat"), List.of("cat_c")));
    b.node(Node.of("fc", new Op.Gemm(1f, 1f, false, true), List.of("cat_c", "fc_w", "fc_b"), List.of("logits0")));
    b.node(Node.of("q", new Op.QuantizeLinear(1), List.of("logits0", "q_scale", "q_zp"), List.of("lq")));
    b.node(Node.of("dq", new Op.DequantizeLinear(1), List.of("lq", "q_scale", "q_zp"), List.of("ldq")));
    b.node(Node.of("mm", new Op.MatMul(), List.of("ldq", "mm_w"), List.of("mmo")));
    b.node(Node.of("tr", new Op.Transpose(ints(1, 0)), List.of("mmo"), List.of("t1")));
    b.node(Node.of("tr2", new Op.Transpose(ints(1, 0)), List.of("t1"), List.of("t2")));
    b.node(Node.of("softmax", new Op.Softmax(-1), List.of("t2"), List.of("probs")));
    return b.output("probs").output("lq").build();
  }

  @Test
  void exportThenImportGivesTheSameGraph() {
    Graph g = everyOp();
    Graph back = OnnxModel.fromBytes(OnnxModel.toBytes(g), "every_op.onnx");
    assertEquals(g.name(), back.name());
    assertEquals(g.inputs(), back.inputs());
    assertEquals(g.outputs(), back.outputs());
    assertEquals(g.nodes(), back.nodes());
    assertEquals(g.initializers(), back.initializers());
    assertEquals("hand-built", back.metadata().get("framework"));
    assertEquals("every_op.onnx", back.metadata().get("source"));
    assertEquals("13", back.metadata().get("onnx.opset"));
  }

  /**
   * One graph of every IR op (the conformance kit's hand-computed cases, which cover them all)
   * survives export and import unchanged: an op whose import entry is missing in OnnxOps fails
   * here; one without an export form does not compile.
   */
  @Test
  void everyIrOpRoundTripsThroughOnnx() {
    java.util.Set<Class<? extends Op>> seen = new java.util.HashSet<>();
    // scripts/onnx-checker sets this to hand every exported case to onnx.checker outside the JVM
    String dumpDir = System.getProperty("quantkit.test.onnxDumpDir", "");
    for (io.quantkit.conformance.OpCases.OpCase c : io.quantkit.conformance.OpCases.all()) {
      byte[] exported = OnnxModel.toBytes(c.graph());
      if (!dumpDir.isEmpty()) {
        try {
          java.nio.file.Files.createDirectories(java.nio.file.Path.of(dumpDir));
          java.nio.file.Files.write(java.nio.file.Path.of(dumpDir, c.name().replaceAll("[^A-Za-z0-9_.-]", "_") + ".onnx"), exported);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      Graph back = OnnxModel.fromBytes(exported, c.name());
      assertEquals(c.graph().nodes(), back.nodes(), c.name());
      seen.add(c.op().getClass());
    }
    assertEquals(Op.classes(), seen);
  }

  /** HardSwish exists from opset 14: a graph using it is written at 14 (IR 7), others stay at 13. */
  @Test
  void anOpFromANewerOpsetRaisesTheModelsOpset() throws Exception {
    Graph g = Graph.builder("hs").input(new ValueInfo("x", DataType.FLOAT32, Shape.of(1, 2)))
        .node(Node.of("hs", new Op.HardSwish(), List.of("x"), List.of("y"))).output("y").build();
    ModelProto m = ModelProto.parseFrom(OnnxModel.toBytes(g));
    assertEquals(14, m.getOpsetImport(0).getVersion());
    assertEquals(7, m.getIrVersion());
    assertEquals("14", OnnxModel.fromBytes(m.toByteArray(), "hs").metadata().get("onnx.opset"));
    assertEquals(13, ModelProto.parseFrom(OnnxModel.toBytes(tinyConv())).getOpsetImport(0).getVersion());
  }

  @Test
  void exportWritesOpset13FormsAndOutputShapes() throws Exception {
    ModelProto m = ModelProto.parseFrom(OnnxModel.toBytes(everyOp()));
    assertEquals(7, m.getIrVersion());
    assertEquals(13, m.getOpsetImport(0).getVersion());
    assertEquals("quantkit", m.getProducerName());
    // Reshape's shape and Clip's bounds are inputs since opset 11/5; a -inf bound is omitted.
    var reshape = m.getGraph().getNodeList().stream().filter(n -> n.getName().equals("reshape")).findFirst().orElseThrow();
    assertEquals(2, reshape.getInputCount());
    var low = m.getGraph().getNodeList().stream().filter(n -> n.getName().equals("lowclip")).findFirst().orElseThrow();
    assertEquals(List.of("cat", "", "lowclip_max"), low.getInputList());
    var conv = m.getGraph().getNodeList().stream().filter(n -> n.getName().equals("conv1")).findFirst().orElseThrow();
    assertTrue(conv.getAttributeList().stream().anyMatch(a -> a.getName().equals("auto_pad") && a.getS().toStringUtf8().equals("SAME_UPPER")));
    var in = m.getGraph().getInput(0).getType().getTensorType().getShape();
    assertEquals("N", in.getDim(0).getDimParam());
    var probs = m.getGraph().getOutput(0).getType().getTensorType();
    assertEquals(1, probs.getElemType());
    assertEquals(2, probs.getShape().getDimCount());
    assertEquals(10, probs.getShape().getDim(1).getDimValue());
    var lq = m.getGraph().getOutput(1).getType().getTensorType();
    assertEquals(3, lq.getElemType(), "QuantizeLinear with an INT8 zero point outputs INT8");
  }

  @Test
  void saveIsAtomicAndLoadable(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/model.onnx");
    OnnxModel.save(everyOp(), file);
    OnnxModel.save(everyOp(), file);
    try (var s = Files.list(file.getParent())) {
      assertEquals(List.of(file), s.toList(), "no temporary files left behind");
    }
    Graph back = OnnxModel.load(file);
    assertEquals(everyOp().nodes(), back.nodes());
    assertEquals(file.toString(), back.metadata().get("source"));
  }

  @Test
  void everyOpGraphRunsOnOnnxRuntime() {
    Graph g = everyOp();
    try (Runner r = Backends.named("onnx").compile(g, RunnerOptions.builder().threads(1).build())) {
      Map<String, Tensor> out = r.run(Map.of("image", random(new Random(1), 2, 3, 8, 8)));
      Tensor probs = out.get("probs");
      assertEquals(Shape.of(2, 10), probs.shape());
      for (int n = 0; n < 2; n++) {
        double sum = 0;
        for (int k = 0; k < 10; k++) {
          sum += probs.getFloat(n * 10 + k);
        }
        assertEquals(1.0, sum, 1e-5);
      }
      assertEquals(DataType.INT8, out.get("lq").type());
    }
  }

  /** 3x3 input 1..9, 2x2 kernel of ones, bias 0.5, SAME_UPPER: the extra pad row/column at the end. */
  private static Graph tinyConv() {
    return Graph.builder("tiny")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 1, 3, 3)))
        .initializer("w", Tensor.ofFloats(Shape.of(1, 1, 2, 2), 1, 1, 1, 1))
        .initializer("b", Tensor.ofFloats(Shape.of(1), 0.5f))
        .node(Node.of("conv", new Op.Conv(ints(2, 2), ints(1, 1), ints(1, 1), 1, Padding.sameUpper()), List.of("x", "w", "b"), List.of("c")))
        .node(Node.of("clip", new Op.Clip(0f, 20f), List.of("c"), List.of("y")))
        .output("y")
        .build();
  }

  @Test
  void tinyConvMatchesHandComputedOutput() {
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    // Windows: row 0: 1+2+4+5, 2+3+5+6, 3+6; row 1: 4+5+7+8, 5+6+8+9, 6+9; row 2: 7+8, 8+9, 9; then +0.5, clipped at 20.
    float[] expected = {12.5f, 16.5f, 9.5f, 20f, 20f, 15.5f, 15.5f, 17.5f, 9.5f};
    Graph back = OnnxModel.fromBytes(OnnxModel.toBytes(tinyConv()), "tiny.onnx");
    try (Runner r = Backends.named("onnx").compile(back, RunnerOptions.builder().threads(1).build())) {
      assertArrayEquals(expected, r.run(Tensor.ofFloats(Shape.of(1, 1, 3, 3), x)).toFloatArray(), 1e-6f);
      // Same shape again: the runner refills its input buffer; the result must follow the new data.
      float[] zeros = new float[9];
      float[] halves = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
      assertArrayEquals(halves, r.run(Tensor.ofFloats(Shape.of(1, 1, 3, 3), zeros)).toFloatArray(), 1e-6f);
      // A batch of two: new shape, new buffer; the second image is the first negated (all clipped to 0).
      float[] two = new float[18];
      for (int i = 0; i < 9; i++) {
        two[i] = x[i];
        two[9 + i] = -x[i];
      }
      float[] y = r.run(Tensor.ofFloats(Shape.of(2, 1, 3, 3), two)).toFloatArray();
      for (int i = 0; i < 9; i++) {
        assertEquals(expected[i], y[i], 1e-6f);
        assertEquals(0f, y[9 + i], 0f);
      }
    }
  }

  @Test
  void quantizeDequantizeOnOnnxRuntimeMatchesHandComputedValues() {
    Graph g = Graph.builder("qdq")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(4)))
        .initializer("s", Tensor.scalar(0.1f))
        .initializer("zp", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 128))
        .node(Node.of("q", new Op.QuantizeLinear(1), List.of("x", "s", "zp"), List.of("xq")))
        .node(Node.of("dq", new Op.DequantizeLinear(1), List.of("xq", "s", "zp"), List.of("y")))
        .output("xq").output("y")
        .build();
    try (Runner r = Backends.named("onnx").compile(g)) {
      Map<String, Tensor> out = r.run(Map.of("x", Tensor.ofFloats(Shape.of(4), 0.1f, 0.26f, -1.0f, 300f)));
      // round_half_even(x / 0.1) + 128, saturated to 0..255
      assertEquals(DataType.UINT8, out.get("xq").type());
      assertArrayEquals(new long[] {129, 131, 118, 255}, out.get("xq").toLongArray());
      assertArrayEquals(new float[] {0.1f, 0.3f, -1.0f, 12.7f}, out.get("y").toFloatArray(), 1e-6f);
    }
  }

  @Test
  void optimizedModelIsWrittenWhereAsked(@TempDir Path dir) throws Exception {
    Path opt = dir.resolve("opt/tiny.opt.onnx");
    // through the neutral Backend interface: the ONNX Runtime settings ride along as a typed extension
    Backend ort = Backends.named("onnx");
    RunnerOptions options = RunnerOptions.builder().extension(OrtOptions.builder().optimizedModelPath(opt).build()).build();
    try (Runner r = ort.compile(tinyConv(), options)) {
      assertEquals("onnx", r.backendName());
    }
    assertTrue(Files.isRegularFile(opt));
    Map<String, Integer> seen = new HashMap<>();
    ModelProto m = ModelProto.parseFrom(readAll(opt));
    m.getGraph().getNodeList().forEach(n -> seen.merge(n.getOpType(), 1, Integer::sum));
    // At level ALL, ONNX Runtime rewrites the convolution into its NCHWc layout domain.
    assertTrue(seen.containsKey("Conv"), "optimized model still has the convolution: " + seen);
  }

  private static byte[] readAll(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A QDQ convolution: ONNX Runtime should fuse DequantizeLinear -> Conv -> QuantizeLinear into QLinearConv. */
  @Test
  void optimizedModelShowsIntegerFusionOfQdqConv(@TempDir Path dir) throws Exception {
    byte[] w = new byte[2 * 1 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) (i - 9);
    }
    Graph g = Graph.builder("qdq_conv")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(1, 1, 5, 5)))
        .initializer("x_s", Tensor.scalar(0.02f))
        .initializer("x_zp", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 128))
        .initializer("w_q", Tensor.wrapBytes(DataType.INT8, Shape.of(2, 1, 3, 3), w))
        .initializer("w_s", Tensor.scalar(0.01f))
        .initializer("w_zp", Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) 0))
        .initializer("y_s", Tensor.scalar(0.05f))
        .initializer("y_zp", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 100))
        .node(Node.of("xq", new Op.QuantizeLinear(1), List.of("x", "x_s", "x_zp"), List.of("x_q")))
        .node(Node.of("xdq", new Op.DequantizeLinear(1), List.of("x_q", "x_s", "x_zp"), List.of("x_dq")))
        .node(Node.of("wdq", new Op.DequantizeLinear(1), List.of("w_q", "w_s", "w_zp"), List.of("w_dq")))
        .node(Node.of("conv", new Op.Conv(ints(3, 3), ints(1, 1), ints(1, 1), 1, Padding.sameUpper()), List.of("x_dq", "w_dq"), List.of("y")))
        .node(Node.of("yq", new Op.QuantizeLinear(1), List.of("y", "y_s", "y_zp"), List.of("y_q")))
        .node(Node.of("ydq", new Op.DequantizeLinear(1), List.of("y_q", "y_s", "y_zp"), List.of("out")))
        .output("out")
        .build();
    Path opt = dir.resolve("qdq.opt.onnx");
    try (Runner r = new OrtBackend().compile(g, RunnerOptions.builder().threads(1).optimization(RunnerOptions.Optimization.EXTENDED)
        .extension(OrtOptions.builder().optimizedModelPath(opt).build()).build())) {
      assertEquals(Shape.of(1, 2, 5, 5), r.run(Tensor.wrapFloats(Shape.of(1, 1, 5, 5), new float[25])).shape());
    }
    List<String> ops = ModelProto.parseFrom(readAll(opt)).getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
    assertTrue(ops.contains("QLinearConv") && !ops.contains("Conv"), "ONNX Runtime fused the QDQ convolution: " + ops);
  }
}
