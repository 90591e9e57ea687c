package io.quantkit.tf;

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
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Forms the ONNX backend cases do not reach, on small graphs: each runs on the tf backend and on the
 * reference executor with seeded random inputs, and the QuantizeLinear/DequantizeLinear cases are
 * also checked against values worked out by hand.
 */
class TranslationTest {
  private static final Backend TF = Backends.named("tf");
  private static final Backend REFERENCE = Backends.named("reference");
  private static final RunnerOptions ONE_THREAD = RunnerOptions.builder().threads(1).build();

  // ---- windows: padding forms, ceil mode, divisors ----

  @Test
  void convWithSameLowerPaddingPutsTheOddPadFirst() {
    Graph g = nchwGraph(Shape.of(2, 3, 7, 6), b -> {
      b.initializer("w", random(Shape.of(4, 3, 2, 3), 1));
      b.initializer("b", random(Shape.of(4), 2));
      b.node(Node.of("conv", conv(new int[] {2, 3}, new int[] {2, 1}, new int[] {1, 1}, 1, new Padding.Same(false)),
          List.of("x", "w", "b"), List.of("y")));
    });
    assertMatchesReference(g, 1e-5);
  }

  @Test
  void convWithAsymmetricExplicitPadsDilationsAndGroups() {
    Graph g = nchwGraph(Shape.of(1, 6, 9, 8), b -> {
      b.initializer("w", random(Shape.of(6, 2, 3, 2), 3));
      b.node(Node.of("conv", conv(new int[] {3, 2}, new int[] {2, 3}, new int[] {2, 1}, 3,
          Padding.Explicit.of(new int[] {0, 2}, new int[] {3, 1})), List.of("x", "w"), List.of("y")));
    });
    assertMatchesReference(g, 1e-5);
  }

  @Test
  void depthwiseConvWithMultiplierAndExplicitPads() {
    Graph g = nchwGraph(Shape.of(2, 3, 8, 8), b -> {
      b.initializer("w", random(Shape.of(6, 1, 3, 3), 4));
      b.initializer("b", random(Shape.of(6), 5));
      b.node(Node.of("dw", conv(new int[] {3, 3}, new int[] {1, 2}, new int[] {1, 1}, 3,
          Padding.Explicit.of(new int[] {1, 0}, new int[] {2, 1})), List.of("x", "w", "b"), List.of("y")));
    });
    assertMatchesReference(g, 1e-5);
  }

  @Test
  void averagePoolCeilModeCountsPadsAsOnnxDoes() {
    for (boolean include : new boolean[] {false, true}) {
      Graph g = nchwGraph(Shape.of(2, 3, 7, 9), b -> b.node(Node.of("pool",
          new Op.AveragePool(ints(3, 2), ints(2, 2), Padding.Explicit.of(new int[] {1, 0}, new int[] {1, 1}), include, true),
          List.of("x"), List.of("y"))));
      assertMatchesReference(g, 1e-5);
    }
  }

  @Test
  void averagePoolSameUpperWithAndWithoutPaddedCells() {
    for (boolean include : new boolean[] {false, true}) {
      Graph g = nchwGraph(Shape.of(1, 2, 5, 6), b -> b.node(Node.of("pool",
          new Op.AveragePool(ints(3, 3), ints(2, 2), Padding.sameUpper(), include, false), List.of("x"), List.of("y"))));
      assertMatchesReference(g, 1e-5);
    }
  }

  @Test
  void maxPoolCeilModeSameLowerAndDilations() {
    Graph ceil = nchwGraph(Shape.of(2, 2, 7, 7), b -> b.node(Node.of("pool",
        new Op.MaxPool(ints(3, 3), ints(2, 2), ints(1, 1), Padding.valid(), true), List.of("x"), List.of("y"))));
    assertMatchesReference(ceil, 0);
    Graph lower = nchwGraph(Shape.of(2, 2, 6, 7), b -> b.node(Node.of("pool",
        new Op.MaxPool(ints(2, 2), ints(1, 2), ints(1, 1), new Padding.Same(false), false), List.of("x"), List.of("y"))));
    assertMatchesReference(lower, 0);
    Graph dilated = nchwGraph(Shape.of(1, 3, 9, 8), b -> b.node(Node.of("pool",
        new Op.MaxPool(ints(2, 3), ints(2, 1), ints(3, 2), Padding.Explicit.of(new int[] {1, 2}, new int[] {0, 1}), false),
        List.of("x"), List.of("y"))));
    assertMatchesReference(dilated, 0);
  }

  // ---- layout: mixed orders, axes that move ----

  @Test
  void channelsFirstOpsAfterAConvolutionSeeIrOrder() {
    // conv output is stored NHWC; softmax over channels, a [C,1,1] bias, a concat with the NCHW input
    // on the channel axis, global pooling and a flatten must all still see NCHW.
    Graph g = nchwGraph(Shape.of(2, 3, 5, 4), b -> {
      b.initializer("w", random(Shape.of(3, 3, 3, 3), 6));
      b.initializer("bias", random(Shape.of(3, 1, 1), 7));
      b.node(Node.of("conv", conv(new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, 1, Padding.sameUpper()),
          List.of("x", "w"), List.of("c")));
      b.node(Node.of("add", new Op.Add(), List.of("c", "bias"), List.of("a")));
      b.node(Node.of("softmax", new Op.Softmax(1), List.of("a"), List.of("s")));
      b.node(Node.of("cat", new Op.Concat(1), List.of("s", "x"), List.of("cat")));
      b.node(Node.of("mul", new Op.Mul(), List.of("cat", "cat"), List.of("m")));
      b.node(Node.of("flat", new Op.Flatten(2), List.of("m"), List.of("y")));
    });
    assertMatchesReference(g, 1e-5);
    Graph gap = nchwGraph(Shape.of(2, 3, 5, 4), b -> {
      b.initializer("w", random(Shape.of(5, 3, 1, 1), 8));
      b.node(Node.of("conv", conv(new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, Padding.valid()),
          List.of("x", "w"), List.of("c")));
      b.node(Node.of("gap", new Op.GlobalAveragePool(), List.of("c"), List.of("p")));
      b.node(Node.of("reshape", new Op.Reshape(ImmutableIntArray.of(0, -1)), List.of("p"), List.of("y")));
    });
    assertMatchesReference(gap, 1e-5);
  }

  @Test
  void aKerasStyleInputTransposeCostsNoTransposeOp() {
    Graph g = Graph.builder("nhwc")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(Shape.UNKNOWN, 6, 6, 3)))
        .initializer("w", random(Shape.of(4, 3, 3, 3), 9))
        .node(Node.of("to_nchw", new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), List.of("x"), List.of("xt")))
        .node(Node.of("conv", conv(new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, 1, Padding.sameUpper()),
            List.of("xt", "w"), List.of("c")))
        .node(Node.of("relu", new Op.Relu(), List.of("c"), List.of("r")))
        .node(Node.of("to_nhwc", new Op.Transpose(ImmutableIntArray.of(0, 2, 3, 1)), List.of("r"), List.of("rt")))
        .node(Node.of("flat", new Op.Flatten(1), List.of("rt"), List.of("y")))
        .output("y").build();
    assertMatchesReference(g, Map.of("x", random(Shape.of(2, 6, 6, 3), 10)), 1e-5);
    assertEquals(0, TfGraphs.opCount(g, "Transpose"), "the layout transposes cancel: " + TfGraphs.opTypes(g));
  }

  @Test
  void gemmMatMulAndClipForms() {
    Graph g = Graph.builder("linear")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(4, 3)))
        .initializer("b", random(Shape.of(5, 4), 11))
        .initializer("c", random(Shape.of(5), 12))
        .initializer("m", random(Shape.of(2, 5, 3), 13))
        .initializer("v", random(Shape.of(3), 14))
        .node(Node.of("gemm", new Op.Gemm(0.5f, 2f, true, true), List.of("a", "b", "c"), List.of("g")))
        .node(Node.of("clip", new Op.Clip(-0.3f, 0.4f), List.of("g"), List.of("cl")))
        .node(Node.of("mm", new Op.MatMul(), List.of("cl", "m"), List.of("mm")))
        .node(Node.of("mv", new Op.MatMul(), List.of("mm", "v"), List.of("y")))
        .output("y").build();
    assertMatchesReference(g, Map.of("a", random(Shape.of(4, 3), 15)), 1e-5);
  }

  // ---- QuantizeLinear / DequantizeLinear ----

  @Test
  void quantizeRoundsHalfToEvenAndSaturates() {
    // x / 0.5 = 1, 3, 5, -1, -3 (halves of the scale land exactly on .5); 300 and -300 saturate.
    float[] x = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 150f, -150f, 0.2499f};
    Graph u8 = qdq(Shape.of(8), Tensor.scalar(0.5f), Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 10), -1);
    Map<String, Tensor> out = run(TF, u8, Map.of("x", Tensor.ofFloats(Shape.of(8), x)));
    // round(x / s) = 0 (0.5 -> 0), 2 (1.5 -> 2), 2 (2.5 -> 2), -0 (-0.5 -> -0), -2 (-1.5 -> -2), 300, -300, 0; + 10
    assertArrayEquals(new int[] {10, 12, 12, 10, 8, 255, 0, 10}, ints(out.get("q")));
    assertArrayEquals(new float[] {0f, 1f, 1f, 0f, -1f, 122.5f, -5f, 0f}, out.get("y").toFloatArray());
    Graph s8 = qdq(Shape.of(8), Tensor.scalar(0.5f), Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) -3), -1);
    Map<String, Tensor> o8 = run(TF, s8, Map.of("x", Tensor.ofFloats(Shape.of(8), x)));
    assertEquals(DataType.INT8, o8.get("q").type());
    assertArrayEquals(new int[] {-3, -1, -1, -3, -5, 127, -128, -3}, ints(o8.get("q")));
  }

  @Test
  void perChannelQuantizationFollowsTheIrAxisThroughTheStoredLayout() {
    // After a convolution the tensor is stored NHWC; the scales still index IR axis 1 (channels).
    float[] scales = {0.01f, 0.02f, 0.05f};
    byte[] zps = {0, 5, (byte) 200};
    Graph g = nchwGraph(Shape.of(2, 2, 4, 4), b -> {
      b.initializer("w", random(Shape.of(3, 2, 3, 3), 16));
      b.initializer("s", Tensor.ofFloats(Shape.of(3), scales));
      b.initializer("z", Tensor.ofBytes(DataType.UINT8, Shape.of(3), zps));
      b.node(Node.of("conv", conv(new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, 1, Padding.sameUpper()),
          List.of("x", "w"), List.of("c")));
      b.node(Node.of("q", new Op.QuantizeLinear(1), List.of("c", "s", "z"), List.of("q")));
      b.node(Node.of("pool", new Op.MaxPool(ints(2, 2), ints(2, 2), ints(1, 1), Padding.valid(), false), List.of("q"),
          List.of("p")));
      b.node(Node.of("dq", new Op.DequantizeLinear(1), List.of("p", "s", "z"), List.of("y")));
    }, "q", "y");
    Map<String, Tensor> in = Map.of("x", random(Shape.of(2, 2, 4, 4), 17));
    Map<String, Tensor> tf = run(TF, g, in);
    Map<String, Tensor> ref = run(REFERENCE, g, in);
    assertEquals(ref.get("q"), tf.get("q"), "quantized values");
    // Each value is (q - zp) * scale of its channel.
    Tensor q = tf.get("q");
    Tensor p = run(TF, g.withOutputs(List.of("p")), in).get("p");
    Tensor y = tf.get("y");
    for (int i = 0; i < y.size(); i++) {
      int c = (i / 4) % 3;
      assertEquals((float) (p.getLong(i) - (zps[c] & 0xFF)) * scales[c], y.getFloat(i), 0f, "element " + i);
    }
    assertTrue(q.size() > 0);
  }

  @Test
  void int32BiasAndInt8WeightsDequantizeInIntegers() {
    // y = conv(DQ(xq), DQ(w int8 per channel), DQ(b int32, scale = sx * sw)), the QDQ form of a quantized conv.
    float sx = 0.05f;
    float[] sw = {0.01f, 0.003f};
    Graph g = Graph.builder("qconv")
        .input(new ValueInfo("xq", DataType.UINT8, Shape.of(1, 2, 4, 4)))
        .initializer("sx", Tensor.scalar(sx))
        .initializer("zx", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 128))
        .initializer("wq", int8(Shape.of(2, 2, 3, 3), 18))
        .initializer("sw", Tensor.ofFloats(Shape.of(2), sw))
        .initializer("zw", Tensor.ofBytes(DataType.INT8, Shape.of(2), new byte[2]))
        .initializer("bq", Tensor.ofInts(Shape.of(2), 2_000_000_001, -77))
        .initializer("sb", Tensor.ofFloats(Shape.of(2), sx * sw[0], sx * sw[1]))
        .initializer("zb", Tensor.ofInts(Shape.of(2), 0, 0))
        .node(Node.of("dqx", new Op.DequantizeLinear(1), List.of("xq", "sx", "zx"), List.of("x")))
        .node(Node.of("dqw", new Op.DequantizeLinear(0), List.of("wq", "sw", "zw"), List.of("w")))
        .node(Node.of("dqb", new Op.DequantizeLinear(0), List.of("bq", "sb", "zb"), List.of("b")))
        .node(Node.of("conv", conv(new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, 1, Padding.sameUpper()),
            List.of("x", "w", "b"), List.of("y")))
        .output("y").output("b").build();
    byte[] pixels = new byte[32];
    new Random(19).nextBytes(pixels);
    Map<String, Tensor> in = Map.of("xq", Tensor.ofBytes(DataType.UINT8, Shape.of(1, 2, 4, 4), pixels));
    Map<String, Tensor> tf = run(TF, g, in);
    assertArrayEquals(new float[] {(float) 2_000_000_001 * (sx * sw[0]), -77f * (sx * sw[1])}, tf.get("b").toFloatArray());
    assertMatchesReference(g, in, 1e-6);
  }

  @Test
  void int8ActivationsTravelThroughLayoutOpsAndComeOutAsInt8() {
    Graph g = nchwGraph(Shape.of(2, 3, 4, 4), b -> {
      b.initializer("s", Tensor.scalar(0.02f));
      b.initializer("z", Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) -10));
      b.node(Node.of("q", new Op.QuantizeLinear(1), List.of("x", "s", "z"), List.of("q")));
      b.node(Node.of("t", new Op.Transpose(ImmutableIntArray.of(0, 2, 3, 1)), List.of("q"), List.of("qt")));
      b.node(Node.of("pool", new Op.MaxPool(ints(2, 2), ints(1, 1), ints(1, 1), new Padding.Same(false), true),
          List.of("qt"), List.of("p")));
      b.node(Node.of("cat", new Op.Concat(3), List.of("p", "qt"), List.of("cat")));
      b.node(Node.of("flat", new Op.Flatten(1), List.of("cat"), List.of("y")));
    });
    Map<String, Tensor> in = Map.of("x", random(Shape.of(2, 3, 4, 4), 20));
    Tensor tf = run(TF, g, in).get("y");
    assertEquals(DataType.INT8, tf.type());
    assertEquals(run(REFERENCE, g, in).get("y"), tf);
  }

  // ---- helpers ----

  interface Body {
    void add(Graph.Builder b);
  }

  static Graph nchwGraph(Shape x, Body body, String... outputs) {
    Graph.Builder b = Graph.builder("g").input(new ValueInfo("x", DataType.FLOAT32, x));
    body.add(b);
    for (String o : outputs.length == 0 ? new String[] {"y"} : outputs) {
      b.output(o);
    }
    return b.build();
  }

  private static Graph qdq(Shape shape, Tensor scale, Tensor zeroPoint, int axis) {
    return Graph.builder("qdq")
        .input(new ValueInfo("x", DataType.FLOAT32, shape))
        .initializer("s", scale)
        .initializer("z", zeroPoint)
        .node(Node.of("q", new Op.QuantizeLinear(axis), List.of("x", "s", "z"), List.of("q")))
        .node(Node.of("dq", new Op.DequantizeLinear(axis), List.of("q", "s", "z"), List.of("y")))
        .output("q").output("y").build();
  }

  static Op.Conv conv(int[] kernel, int[] strides, int[] dilations, int groups, Padding padding) {
    return new Op.Conv(ImmutableIntArray.copyOf(kernel), ImmutableIntArray.copyOf(strides),
        ImmutableIntArray.copyOf(dilations), groups, padding);
  }

  static ImmutableIntArray ints(int... v) {
    return ImmutableIntArray.copyOf(v);
  }

  static Tensor random(Shape s, long seed) {
    Random r = new Random(seed);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.wrapFloats(s, v);
  }

  private static Tensor int8(Shape s, long seed) {
    byte[] v = new byte[s.size()];
    new Random(seed).nextBytes(v);
    return Tensor.wrapBytes(DataType.INT8, s, v);
  }

  private static int[] ints(Tensor t) {
    int[] v = new int[t.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (int) t.getLong(i);
    }
    return v;
  }

  static Map<String, Tensor> run(Backend backend, Graph g, Map<String, Tensor> inputs) {
    try (Runner r = backend.compile(g, ONE_THREAD)) {
      return r.run(inputs);
    }
  }

  private static void assertMatchesReference(Graph g, double tolerance) {
    ValueInfo in = g.input();
    assertMatchesReference(g, Map.of(in.name(), random(in.shape(), 42)), tolerance);
  }

  static void assertMatchesReference(Graph g, Map<String, Tensor> inputs, double tolerance) {
    Map<String, Tensor> tf = run(TF, g, inputs);
    Map<String, Tensor> ref = run(REFERENCE, g, inputs);
    for (String name : g.outputs()) {
      Tensor a = tf.get(name);
      Tensor b = ref.get(name);
      assertEquals(b.type(), a.type(), name + " type");
      assertEquals(b.shape(), a.shape(), name + " shape");
      for (int i = 0; i < b.size(); i++) {
        double e = b.getFloat(i);
        double d = Math.abs(a.getFloat(i) - e);
        assertTrue(d <= tolerance * Math.max(1, Math.abs(e)), name + " element " + i + ": tf " + a.getFloat(i)
            + ", reference " + e);
      }
    }
  }
}
