package io.quantkit.onnx;

import static io.quantkit.onnx.Protos.f;
import static io.quantkit.onnx.Protos.floatTensor;
import static io.quantkit.onnx.Protos.floats;
import static io.quantkit.onnx.Protos.i;
import static io.quantkit.onnx.Protos.ints;
import static io.quantkit.onnx.Protos.model;
import static io.quantkit.onnx.Protos.node;
import static io.quantkit.onnx.Protos.s;
import static io.quantkit.onnx.Protos.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator forms of older and newer opsets map onto the IR's opset-13 meaning. */
class ImportFormsTest {
  private static Graph load(int opset, GraphProto g) {
    return OnnxModel.fromBytes(model(opset, g).toByteArray(), "test.onnx");
  }

  private static GraphProto.Builder unary(String op, io.quantkit.onnx.proto.Onnx.AttributeProto... attrs) {
    return GraphProto.newBuilder().addInput(floats("x", 1, 4)).addNode(node(op, List.of("x"), List.of("y"), attrs)).addOutput(floats("y"));
  }

  private static float[] run(Graph g, Tensor x) {
    try (Runner r = Backends.named("onnx").compile(g)) {
      return r.run(x).toFloatArray();
    }
  }

  @Test
  void clipOpset6AttributesAndDefaults() {
    assertEquals(new Op.Clip(-1f, 2f), load(6, unary("Clip", f("min", -1f), f("max", 2f)).build()).nodes().get(0).op());
    assertEquals(new Op.Clip(-Float.MAX_VALUE, 2f), load(6, unary("Clip", f("max", 2f)).build()).nodes().get(0).op());
  }

  @Test
  void clipOpset11InputsFromConstantNodeAndInitializer() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addInitializer(floatTensor("hi", new long[0], 6f))
        .addNode(node("Constant", List.of(), List.of("lo"), f("value_float", 0f)))
        .addNode(node("Clip", List.of("x", "lo", "hi"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(11, g);
    assertEquals(1, ir.nodes().size());
    assertEquals(new Op.Clip(0f, 6f), ir.nodes().get(0).op());
    assertEquals(List.of("x"), ir.nodes().get(0).inputs());
    assertTrue(ir.initializers().isEmpty(), "bounds became attributes, their constants are dropped");

    GraphProto onlyMax = GraphProto.newBuilder().addInput(floats("x", 1, 4)).addInitializer(floatTensor("hi", new long[0], 6f))
        .addNode(node("Clip", List.of("x", "", "hi"), List.of("y"))).addOutput(floats("y")).build();
    assertEquals(new Op.Clip(Float.NEGATIVE_INFINITY, 6f), load(13, onlyMax).nodes().get(0).op());

    GraphProto dynamic = GraphProto.newBuilder().addInput(floats("x", 1, 4)).addInput(floats("lo"))
        .addNode(node("Clip", List.of("x", "lo"), List.of("y"))).addOutput(floats("y")).build();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> load(13, dynamic));
    assertTrue(e.getMessage().contains("Clip min") && e.getMessage().contains("constant"), e.getMessage());
  }

  @Test
  void convPaddingFormsAndKernelFromWeights() {
    TensorProto w = floatTensor("w", new long[] {1, 1, 3, 2}, 1, 1, 1, 1, 1, 1);
    String[] autoPads = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    Padding[] expected = {Padding.Explicit.of(new int[] {1, 0}, new int[] {1, 1}), new Padding.Same(true), new Padding.Same(false), Padding.valid()};
    for (int k = 0; k < autoPads.length; k++) {
      GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 1, 5, 5)).addInitializer(w)
          .addNode(node("Conv", List.of("x", "w"), List.of("y"), s("auto_pad", autoPads[k]), ints("pads", 1, 0, 1, 1)))
          .addOutput(floats("y")).build();
      if (!autoPads[k].equals("NOTSET")) {
        g = g.toBuilder().setNode(0, node("Conv", List.of("x", "w"), List.of("y"), s("auto_pad", autoPads[k]))).build();
      }
      Op.Conv c = (Op.Conv) load(11, g).nodes().get(0).op();
      assertEquals(ImmutableIntArray.of(3, 2), c.kernel(), "kernel_shape taken from the weight's shape");
      assertEquals(expected[k], c.padding(), autoPads[k]);
    }
  }

  @Test
  void sameLowerPutsTheExtraPadFirst() {
    // 1x1x1x4 input [1,2,3,4], kernel [1,2] of ones: SAME_LOWER pads one zero in front -> [1, 3, 5, 7].
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 1, 1, 4)).addInitializer(floatTensor("w", new long[] {1, 1, 1, 2}, 1, 1))
        .addNode(node("Conv", List.of("x", "w"), List.of("y"), s("auto_pad", "SAME_LOWER"))).addOutput(floats("y")).build();
    assertArrayEquals(new float[] {1, 3, 5, 7}, run(load(11, g), Tensor.ofFloats(Shape.of(1, 1, 1, 4), 1, 2, 3, 4)), 1e-6f);
  }

  /** Opset < 13 Softmax normalizes over everything from the axis on: checked against a naive computation. */
  @Test
  void oldSoftmaxOverAMiddleAxisKeepsItsMeaning() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 2, 3, 4))
        .addNode(node("Softmax", List.of("x"), List.of("y"), i("axis", 1))).addOutput(floats("y")).build();
    Graph ir = load(11, g);
    assertEquals(List.of("Flatten", "Softmax", "Reshape"), ir.nodes().stream().map(n -> n.op().type()).toList());
    float[] x = new float[24];
    for (int k = 0; k < 24; k++) {
      x[k] = (float) Math.sin(k) * 3;
    }
    float[] expected = new float[24];
    for (int n = 0; n < 2; n++) {
      double sum = 0;
      for (int k = 0; k < 12; k++) {
        sum += Math.exp(x[n * 12 + k]);
      }
      for (int k = 0; k < 12; k++) {
        expected[n * 12 + k] = (float) (Math.exp(x[n * 12 + k]) / sum);
      }
    }
    assertArrayEquals(expected, run(ir, Tensor.wrapFloats(Shape.of(2, 3, 4), x)), 1e-6f);

    GraphProto last = GraphProto.newBuilder().addInput(floats("x", 2, 3, 4))
        .addNode(node("Softmax", List.of("x"), List.of("y"), i("axis", 2))).addOutput(floats("y")).build();
    assertEquals(List.of(new Op.Softmax(2)), load(11, last).nodes().stream().map(Node::op).toList());
    assertEquals(new Op.Softmax(-1), load(13, unary("Softmax").build()).nodes().get(0).op(), "opset 13 default axis is -1");
  }

  @Test
  void quantizeOpset10WithoutZeroPointIsUint8() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 3))
        .addInitializer(floatTensor("s", new long[0], 0.5f))
        .addNode(node("QuantizeLinear", List.of("x", "s"), List.of("q")))
        .addNode(node("DequantizeLinear", List.of("q", "s"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(10, g);
    Node q = ir.nodes().get(0);
    Tensor zp = ir.initializer(q.input(2)).orElseThrow();
    assertEquals(DataType.UINT8, zp.type());
    assertEquals(0, zp.getLong(0));
    assertEquals(Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 0), ir.initializer(ir.nodes().get(1).input(2)).orElseThrow(),
        "DequantizeLinear of a UINT8 tensor gets a UINT8 zero too");
    // round_half_even(x / 0.5) saturated to 0..255, times 0.5: -3 -> 0, 1.25 -> 2.5 -> 2 -> 1.0, 1000 -> 255 -> 127.5
    assertArrayEquals(new float[] {0f, 1.0f, 127.5f}, run(ir, Tensor.ofFloats(Shape.of(3), -3f, 1.25f, 1000f)), 1e-6f);
  }

  @Test
  void dequantizeInt32BiasWithoutZeroPoint() {
    TensorProto bias = TensorProto.newBuilder().setName("b").setDataType(TensorProto.DataType.INT32_VALUE).addDims(2)
        .addInt32Data(-4).addInt32Data(10).build();
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 2)).addInitializer(bias)
        .addInitializer(floatTensor("s", new long[0], 0.25f))
        .addNode(node("DequantizeLinear", List.of("b", "s"), List.of("bf")))
        .addNode(node("Add", List.of("x", "bf"), List.of("y"))).addOutput(floats("y")).build();
    Graph ir = load(13, g);
    assertEquals(DataType.INT32, ir.initializer(ir.nodes().get(0).input(2)).orElseThrow().type());
    assertArrayEquals(new float[] {0f, 3.5f}, run(ir, Tensor.ofFloats(Shape.of(2), 1f, 1f)), 1e-6f);
  }

  @Test
  void blockQuantizationIsUnsupported() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 4)).addInitializer(floatTensor("s", new long[] {2}, 1f, 1f))
        .addNode(node("QuantizeLinear", List.of("x", "s"), List.of("y"), i("block_size", 2))).addOutput(floats("y")).build();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> load(21, g));
    assertTrue(e.getMessage().contains("block_size"), e.getMessage());
  }

  @Test
  void identityAndDropoutAreWiredThrough() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Relu", List.of("x"), List.of("r")))
        .addNode(node("Identity", List.of("r"), List.of("i")))
        .addNode(node("Dropout", List.of("i"), List.of("y"), f("ratio", 0.5f)))
        .addOutput(floats("y")).build();
    Graph ir = load(10, g);
    assertEquals(1, ir.nodes().size());
    assertEquals(List.of("y"), ir.nodes().get(0).outputs(), "the graph output keeps its name");
    assertEquals(List.of("y"), ir.outputs());

    GraphProto passthrough = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Identity", List.of("x"), List.of("y"))).addOutput(floats("y")).build();
    assertEquals(List.of("x"), load(13, passthrough).outputs());

    GraphProto mask = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Dropout", List.of("x"), List.of("y", "m"))).addOutput(floats("y")).addOutput(floats("m")).build();
    assertThrows(UnsupportedOpException.class, () -> load(10, mask));
  }

  @Test
  void constantNodesBecomeInitializers() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 2, 3))
        .addNode(node("Constant", List.of(), List.of("shape"), t("value", Protos.longTensor("", 3, 2))))
        .addNode(node("Reshape", List.of("x", "shape"), List.of("r")))
        .addNode(node("Constant", List.of(), List.of("k"), Protos.t("value", floatTensor("", new long[] {1}, 2f))))
        .addNode(node("Mul", List.of("r", "k"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(13, g);
    assertEquals(new Op.Reshape(ImmutableIntArray.of(3, 2)), ir.nodes().get(0).op());
    assertEquals(Tensor.ofFloats(Shape.of(1), 2f), ir.initializer("k").orElseThrow());
    assertEquals(List.of("k"), List.copyOf(ir.initializers().keySet()), "the shape constant became an attribute");

    GraphProto dynamic = GraphProto.newBuilder().addInput(floats("x", 2, 3)).addInput(Protos.value("s", TensorProto.DataType.INT64_VALUE, 2))
        .addNode(node("Reshape", List.of("x", "s"), List.of("y"))).addOutput(floats("y")).build();
    assertThrows(UnsupportedOpException.class, () -> load(13, dynamic));
  }

  @Test
  void legacyBroadcastWithAxis() {
    // Opset 6: B [3] added to A [2,3,2] from axis 1, i.e. B[j] is added to A[i][j][k].
    GraphProto g = GraphProto.newBuilder().addInput(floats("a", 2, 3, 2)).addInitializer(floatTensor("b", new long[] {3}, 10, 20, 30))
        .addNode(node("Add", List.of("a", "b"), List.of("y"), i("broadcast", 1), i("axis", 1))).addOutput(floats("y")).build();
    float[] a = new float[12];
    float[] expected = new float[12];
    for (int k = 0; k < 12; k++) {
      a[k] = k;
      expected[k] = k + 10 * ((k / 2) % 3 + 1);
    }
    assertArrayEquals(expected, run(load(6, g), Tensor.wrapFloats(Shape.of(2, 3, 2), a)), 0f);
  }

  @Test
  void transposeWithoutPermReverses() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 2, 3, 4)).addNode(node("Transpose", List.of("x"), List.of("y")))
        .addOutput(floats("y")).build();
    assertEquals(new Op.Transpose(ImmutableIntArray.of(2, 1, 0)), load(13, g).nodes().get(0).op());
  }

  @Test
  void usedExtraOutputsAreUnsupported() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 1, 4, 4))
        .addNode(node("MaxPool", List.of("x"), List.of("y", "idx"), ints("kernel_shape", 2, 2)))
        .addOutput(floats("y")).addOutput(Protos.value("idx", TensorProto.DataType.INT64_VALUE)).build();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> load(12, g));
    assertTrue(e.getMessage().contains("'idx'"), e.getMessage());
  }

  @Test
  void gemmOpset6WithBroadcastAttribute() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("a", 1, 2))
        .addInitializer(floatTensor("b", new long[] {2, 2}, 1, 2, 3, 4)).addInitializer(floatTensor("c", new long[] {2}, 0.5f, -0.5f))
        .addNode(node("Gemm", List.of("a", "b", "c"), List.of("y"), f("alpha", 2f), f("beta", 1f), i("broadcast", 1)))
        .addOutput(floats("y")).build();
    // 2 * [1,1] x [[1,2],[3,4]] + [0.5,-0.5] = [8.5, 11.5]
    Graph ir = load(6, g);
    assertEquals(new Op.Gemm(2f, 1f, false, false), ir.nodes().get(0).op());
    try (Runner r = Backends.named("onnx").compile(ir)) {
      assertArrayEquals(new float[] {8.5f, 11.5f}, r.run(Map.of("a", Tensor.ofFloats(Shape.of(1, 2), 1, 1))).get("y").toFloatArray(), 1e-6f);
    }
  }

  @Test
  void missingAndDuplicateNodeNamesGetUniqueOnes() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Relu", List.of("x"), List.of("a")).toBuilder().setName("n"))
        .addNode(node("Relu", List.of("a"), List.of("b")).toBuilder().setName("n"))
        .addNode(node("Relu", List.of("b"), List.of("y")).toBuilder().clearName())
        .addOutput(floats("y")).build();
    List<String> names = load(13, g).nodes().stream().map(Node::name).toList();
    assertEquals(3, names.stream().distinct().count(), names.toString());
    assertEquals("n", names.get(0));
  }
}
