package io.quantkit.ir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantOptions;
import io.quantkit.quant.QuantPlan;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each rewrite on a hand-built graph: the simplified graph computes what the original computes
 * (reference executor, float tolerance) and the ops that should go are gone.
 */
class GraphSimplificationTest {
  private final Random r = new Random(42);

  private static Op.Conv conv(int k, Padding p, int groups) {
    return new Op.Conv(ImmutableIntArray.of(k, k), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), groups, p);
  }

  private static Padding same1() {
    return Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1});
  }

  private static Node node(String name, Op op, List<String> in, String out) {
    return Node.of(name, op, in, List.of(out));
  }

  private Tensor rand(float scale, int... dims) {
    return TestGraphs.random(r, scale, dims);
  }

  private Tensor positive(int... dims) {
    return TestGraphs.positive(r, 0.5f, 2f, dims);
  }

  private static List<String> ops(Graph g) {
    return g.nodes().stream().map(n -> n.op().type()).toList();
  }

  /** Simplifies and checks every output against the original on {@code x}; returns the simplified graph. */
  private static Graph simplifiedMatches(Graph g, Tensor x) {
    Graph s = GraphSimplification.apply(g);
    assertEquals(g.outputs(), s.outputs());
    String in = g.input().name();
    Map<String, Tensor> want = ReferenceBackend.execute(g, Map.of(in, x), g.outputs());
    Map<String, Tensor> got = ReferenceBackend.execute(s, Map.of(in, x), s.outputs());
    for (String o : g.outputs()) {
      float[] a = want.get(o).toFloatArray();
      float[] b = got.get(o).toFloatArray();
      assertEquals(a.length, b.length, o);
      float max = 0;
      for (float v : a) {
        max = Math.max(max, Math.abs(v));
      }
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-5f * Math.max(1, max), o + "[" + i + "]");
      }
    }
    assertSame(s, GraphSimplification.apply(s), "simplification is idempotent");
    return s;
  }

  @Test
  void mulAndAddAfterAConvFoldIntoIt() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 5, 5)));
    b.initializer("w", rand(1, 4, 3, 3, 3)).initializer("bias", rand(1, 4));
    b.initializer("k", rand(3, 4, 1, 1)).initializer("c", rand(1, 1, 4, 1, 1)).initializer("s", Tensor.scalar(0.5f));
    b.node(node("conv", conv(3, same1(), 1), List.of("x", "w", "bias"), "y"));
    b.node(node("mul", new Op.Mul(), List.of("k", "y"), "m")); // constant first
    b.node(node("add", new Op.Add(), List.of("m", "c"), "a"));
    b.node(node("mul2", new Op.Mul(), List.of("a", "s"), "a2")); // scalar
    b.node(node("relu", new Op.Relu(), List.of("a2"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 2, 3, 5, 5));
    assertEquals(List.of("Conv", "Relu"), ops(s));
    assertEquals("a2", s.node("conv").orElseThrow().output(), "the conv writes the last folded op's output");
  }

  @Test
  void batchNormAfterGemmAndMatMulFoldsIn() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 6)));
    b.initializer("w1", rand(1, 5, 6)).initializer("c1", rand(1, 5)).initializer("w2", rand(1, 5, 4));
    bn(b, "bn1", "g1", "y1", "z1", 5);
    bn(b, "bn2", "g2", "y2", "z2", 4);
    b.node(node("gemm", new Op.Gemm(0.5f, 2f, false, true), List.of("x", "w1", "c1"), "g1"));
    b.node(node("matmul", new Op.MatMul(), List.of("z1", "w2"), "g2"));
    b.output("z2");
    Graph s = simplifiedMatches(b.build(), rand(1, 3, 6));
    assertEquals(List.of("Gemm", "Gemm"), ops(s), "the MatMul that gained a bias is a Gemm");
  }

  @Test
  void batchNormAndMulAfterAConcatOfConvsAreSplitIntoThem() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 4, 4)));
    b.initializer("wa", rand(1, 2, 3, 1, 1)).initializer("wb", rand(1, 3, 3, 3, 3)).initializer("bb", rand(1, 3));
    b.node(node("conva", conv(1, Padding.Explicit.zeros(2), 1), List.of("x", "wa"), "ya"));
    b.node(node("convb", conv(3, same1(), 1), List.of("x", "wb", "bb"), "yb"));
    b.node(node("cat", new Op.Concat(1), List.of("ya", "yb"), "cat"));
    bn(b, "bn", "cat", "n", "nn", 5);
    b.initializer("k", rand(2, 5, 1, 1));
    b.node(node("mul", new Op.Mul(), List.of("nn", "k"), "m"));
    b.node(node("relu", new Op.Relu(), List.of("m"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 2, 3, 4, 4));
    assertEquals(List.of("Conv", "Conv", "Concat", "Relu"), ops(s));
  }

  @Test
  void batchNormFollowedByMulAndAddBecomesOneBatchNorm() {
    // DenseNet's pattern: Concat (of a conv and a non-conv) -> BatchNorm -> Mul -> Add -> Relu
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 4, 4)));
    b.initializer("w", rand(1, 2, 3, 1, 1));
    b.node(node("conv", conv(1, Padding.Explicit.zeros(2), 1), List.of("x", "w"), "y"));
    b.node(node("cat", new Op.Concat(1), List.of("x", "y"), "cat"));
    bn(b, "bn", "cat", "n", "nn", 5);
    b.initializer("k", rand(100, 1, 5, 1, 1)).initializer("c", rand(1, 5, 1, 1));
    b.node(node("mul", new Op.Mul(), List.of("nn", "k"), "m"));
    b.node(node("add", new Op.Add(), List.of("m", "c"), "a"));
    b.node(node("relu", new Op.Relu(), List.of("a"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 2, 3, 4, 4));
    assertEquals(List.of("Conv", "Concat", "BatchNormalization", "Relu"), ops(s));
  }

  @Test
  void weightsReachedThroughReshapeOrTransposeBecomeInitializers() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 6)));
    b.initializer("flat", rand(1, 30)).initializer("wt", rand(1, 4, 5));
    b.node(node("reshape", new Op.Reshape(ImmutableIntArray.of(5, -1)), List.of("flat"), "w1"));
    b.node(node("gemm", new Op.Gemm(1f, 1f, false, true), List.of("x", "w1"), "h"));
    b.node(node("transpose", new Op.Transpose(ImmutableIntArray.of(1, 0)), List.of("wt"), "w2"));
    b.node(node("matmul", new Op.MatMul(), List.of("h", "w2"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 3, 6));
    assertEquals(List.of("Gemm", "MatMul"), ops(s));
    assertTrue(s.isInitializer(s.node("gemm").orElseThrow().input(1)));
    assertEquals(Shape.of(5, 4), s.initializer(s.node("matmul").orElseThrow().input(1)).orElseThrow().shape());
  }

  @Test
  void mulAndAddBeforeAnUnpaddedConvFoldIntoItEvenGrouped() {
    for (int groups : new int[] {1, 3}) {
      Graph.Builder b = Graph.builder("g");
      b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 5, 5)));
      b.initializer("k", positive(3, 1, 1)).initializer("c", rand(1, 3, 1, 1)).initializer("w", rand(1, 6, 3 / groups, 3, 3));
      b.node(node("mul", new Op.Mul(), List.of("x", "k"), "m"));
      b.node(node("add", new Op.Add(), List.of("m", "c"), "a"));
      b.node(node("conv", conv(3, Padding.Explicit.zeros(2), groups), List.of("a", "w"), "out"));
      b.output("out");
      Graph s = simplifiedMatches(b.build(), rand(1, 2, 3, 5, 5));
      assertEquals(List.of("Conv"), ops(s), "groups " + groups);
      assertEquals("x", s.nodes().get(0).input(0));
    }
  }

  @Test
  void onlyTheScalePartFoldsIntoAPaddedConv() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 5, 5)));
    b.initializer("k", Tensor.scalar(0.25f)).initializer("c", rand(1, 3, 1, 1)).initializer("w", rand(1, 4, 3, 3, 3));
    b.node(node("add", new Op.Add(), List.of("x", "c"), "a"));
    b.node(node("mul", new Op.Mul(), List.of("a", "k"), "m"));
    b.node(node("conv", conv(3, same1(), 1), List.of("m", "w"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 2, 3, 5, 5));
    assertEquals(List.of("Add", "Conv"), ops(s), "padded zeros are not shifted, so the Add stays");
  }

  @Test
  void aPerChannelScaleOfAnActivationStaysBeforeItsConsumer() {
    // relu -> Mul by per-channel factors -> conv: folding would make the conv read (and INT8
    // quantize per tensor) the tensor before the scale
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 5, 5)));
    b.initializer("k", Tensor.ofFloats(Shape.of(3, 1, 1), 1e-3f, 1f, 1e3f)).initializer("w", rand(1, 4, 3, 3, 3));
    b.node(node("relu", new Op.Relu(), List.of("x"), "r"));
    b.node(node("mul", new Op.Mul(), List.of("r", "k"), "m"));
    b.node(node("conv", conv(3, same1(), 1), List.of("m", "w"), "out"));
    b.output("out");
    Graph g = b.build();
    assertSame(g, simplifiedMatches(g, rand(1, 2, 3, 5, 5)));
  }

  @Test
  void mulBeforeGemmFoldsIntoItsWeight() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 6)));
    b.initializer("k", rand(1, 6)).initializer("c", rand(1, 1, 6)).initializer("w", rand(1, 6, 4)).initializer("bias", rand(1, 4));
    b.node(node("mul", new Op.Mul(), List.of("x", "k"), "m"));
    b.node(node("add", new Op.Add(), List.of("m", "c"), "a"));
    b.node(node("gemm", new Op.Gemm(1.5f, 0.5f, false, false), List.of("a", "w", "bias"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 3, 6));
    assertEquals(List.of("Gemm"), ops(s));
  }

  @Test
  void identitiesAreRemovedAndAGraphOutputKeepsItsName() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 4, 4)));
    b.initializer("one", Tensor.scalar(1f)).initializer("zeros", Tensor.ofFloats(Shape.of(1, 1, 1, 1), 0f));
    b.node(node("relu", new Op.Relu(), List.of("x"), "r"));
    b.node(node("t", new Op.Transpose(ImmutableIntArray.of(0, 1, 2, 3)), List.of("r"), "t"));
    b.node(node("mul", new Op.Mul(), List.of("t", "one"), "m"));
    b.node(node("sig", new Op.Sigmoid(), List.of("m"), "s"));
    b.node(node("add", new Op.Add(), List.of("zeros", "s"), "out"));
    b.output("out");
    Graph s = simplifiedMatches(b.build(), rand(1, 2, 3, 4, 4));
    assertEquals(List.of("Relu", "Sigmoid"), ops(s));
    assertEquals("out", s.nodes().get(1).output());
  }

  @Test
  void whatCannotBeFoldedStays() {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 4, 4)));
    b.initializer("w", rand(1, 2, 3, 1, 1)).initializer("spatial", rand(1, 1, 1, 4, 4)).initializer("k", rand(1, 2, 1, 1));
    b.node(node("conv", conv(1, Padding.Explicit.zeros(2), 1), List.of("x", "w"), "y"));
    // varies along a spatial axis: not per channel
    b.node(node("mul", new Op.Mul(), List.of("y", "spatial"), "m"));
    // the conv output is read twice
    b.node(node("conv2", conv(1, Padding.Explicit.zeros(2), 1), List.of("x", "w"), "y2"));
    b.node(node("mul2", new Op.Mul(), List.of("y2", "k"), "m2"));
    b.node(node("relu", new Op.Relu(), List.of("y2"), "r2"));
    b.output("m").output("m2").output("r2");
    Graph g = b.build();
    assertSame(g, simplifiedMatches(g, rand(1, 2, 3, 4, 4)));
  }

  @Test
  void aPerChannelPrescaleAfterAConvNoLongerLosesChannelsWhenQuantized() {
    // conv -> Mul by per-channel factors spanning 1e-3..1e3 -> relu -> conv (DenseNet's pre-scale):
    // unsimplified, the Mul's constant is quantized per tensor, which rounds the small factors to zero
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 6, 6)));
    float[] k = new float[8];
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) Math.pow(10, -3 + 6.0 * i / (k.length - 1));
    }
    // the conv's channels are scaled by 1 / k, so after the Mul every channel matters equally
    float[] w1 = rand(1, 8, 3, 3, 3).toFloatArray();
    for (int i = 0; i < w1.length; i++) {
      w1[i] /= k[i / 27];
    }
    b.initializer("w1", Tensor.wrapFloats(Shape.of(8, 3, 3, 3), w1)).initializer("w2", rand(1, 4, 8, 1, 1));
    b.initializer("k", Tensor.ofFloats(Shape.of(8, 1, 1), k));
    b.node(node("conv1", conv(3, same1(), 1), List.of("x", "w1"), "y"));
    b.node(node("scale", new Op.Mul(), List.of("y", "k"), "m"));
    b.node(node("relu", new Op.Relu(), List.of("m"), "r"));
    b.node(node("conv2", conv(1, Padding.Explicit.zeros(2), 1), List.of("r", "w2"), "out"));
    b.output("out");
    Graph g = b.build();
    List<Map<String, Tensor>> batches = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      batches.add(Map.of("x", rand(1, 8, 3, 6, 6)));
    }
    Tensor test = rand(1, 16, 3, 6, 6);
    double simplified = sqnr(g, QuantOptions.defaults(), batches, test);
    double plain = sqnr(g, QuantOptions.builder().simplifyGraph(false).build(), batches, test);
    assertTrue(simplified > plain + 10, "simplified " + simplified + " dB vs unsimplified " + plain + " dB");
    assertTrue(simplified > 25, "simplified " + simplified + " dB");
  }

  @Test
  void aPlanMadeWithTheDefaultDoesNotMentionSimplification() {
    QuantPlan plain = QuantPlan.builder("g").options(QuantOptions.defaults()).build();
    assertFalse(plain.toJson().contains("simplifyGraph"));
    assertEquals(plain, QuantPlan.fromJson(plain.toJson()));
    QuantPlan off = QuantPlan.builder("g").options(QuantOptions.builder().simplifyGraph(false).build()).build();
    assertTrue(off.toJson().contains("\"simplifyGraph\" : false") || off.toJson().contains("\"simplifyGraph\":false"), off.toJson());
    QuantPlan back = QuantPlan.fromJson(off.toJson());
    assertFalse(back.options().simplifyGraph());
    assertEquals(off, back);
  }

  private static double sqnr(Graph g, QuantOptions o, List<Map<String, Tensor>> batches, Tensor test) {
    ReferenceBackend ref = new ReferenceBackend();
    QuantPlan plan = Calibration.builder().options(o).build().calibrate(g, CalibrationData.of("random", batches), ref);
    Graph q = Qdq.quantize(g, plan).graph();
    float[] want = ReferenceBackend.execute(g, Map.of("x", test), g.outputs()).get("out").toFloatArray();
    float[] got = ReferenceBackend.execute(q, Map.of("x", test), q.outputs()).get("out").toFloatArray();
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < want.length; i++) {
      signal += (double) want[i] * want[i];
      noise += (double) (want[i] - got[i]) * (want[i] - got[i]);
    }
    return 10 * Math.log10(signal / noise);
  }

  private void bn(Graph.Builder b, String name, String in, String prefix, String out, int c) {
    b.initializer(prefix + "_g", rand(1, c)).initializer(prefix + "_b", rand(1, c))
        .initializer(prefix + "_m", rand(1, c)).initializer(prefix + "_v", positive(c));
    b.node(node(name, new Op.BatchNorm(1e-3f), List.of(in, prefix + "_g", prefix + "_b", prefix + "_m", prefix + "_v"), out));
  }
}
