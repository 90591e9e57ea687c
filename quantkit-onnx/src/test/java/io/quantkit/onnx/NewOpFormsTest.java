package io.quantkit.onnx;

import static io.quantkit.onnx.Protos.f;
import static io.quantkit.onnx.Protos.floatTensor;
import static io.quantkit.onnx.Protos.floats;
import static io.quantkit.onnx.Protos.i;
import static io.quantkit.onnx.Protos.ints;
import static io.quantkit.onnx.Protos.longTensor;
import static io.quantkit.onnx.Protos.model;
import static io.quantkit.onnx.Protos.node;
import static io.quantkit.onnx.Protos.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Op;
import io.quantkit.onnx.proto.Onnx.AttributeProto;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The attribute-versus-input forms of the ops real CNNs use, across opsets 7 to 21: each form
 * imports to the same IR op, and the graph gives the hand-computed values on ONNX Runtime and the
 * reference executor.
 */
class NewOpFormsTest {
  private static Graph load(int opset, GraphProto g) {
    return OnnxModel.fromBytes(model(opset, g).toByteArray(), "forms.onnx");
  }

  private static void assertRuns(Graph g, Tensor x, float... expected) {
    for (String backend : List.of("reference", "onnx")) {
      try (Runner r = Backends.named(backend).compile(g)) {
        assertArrayEquals(expected, r.run(x).toFloatArray(), 1e-6f, backend);
      }
    }
  }

  private static GraphProto.Builder one(String op, List<String> in, long[] xShape, AttributeProto... attrs) {
    return GraphProto.newBuilder().addInput(floats("x", xShape)).addNode(node(op, in, List.of("y"), attrs)).addOutput(floats("y"));
  }

  @Test
  void padAttributeFormAndInputForm() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 3), 1, 2, 3);
    Op.Pad expected = new Op.Pad("reflect", ImmutableIntArray.of(0, 2, 0, 1), 0f);
    Graph v2 = load(2, one("Pad", List.of("x"), new long[] {1, 3}, s("mode", "reflect"), ints("pads", 0, 2, 0, 1)).build());
    assertEquals(expected, v2.nodes().get(0).op());
    Graph v11 = load(11, one("Pad", List.of("x", "p"), new long[] {1, 3}, s("mode", "reflect"))
        .addInitializer(longTensor("p", 0, 2, 0, 1)).build());
    assertEquals(expected, v11.nodes().get(0).op());
    assertRuns(v11, x, 3, 2, 1, 2, 3, 2);
    // opset 18: axes name the padded axes; constant_value given
    Graph v18 = load(18, one("Pad", List.of("x", "p", "v", "a"), new long[] {1, 3})
        .addInitializer(longTensor("p", 1, 1)).addInitializer(floatTensor("v", new long[0], 7f))
        .addInitializer(longTensor("a", -1)).build());
    assertEquals(new Op.Pad("constant", ImmutableIntArray.of(0, 1, 0, 1), 7f), v18.nodes().get(0).op());
    assertRuns(v18, x, 7, 1, 2, 3, 7);
  }

  @Test
  void sliceAttributesBeforeOpset10InputsAfter() {
    Tensor x = Tensor.ofFloats(Shape.of(2, 3), 0, 1, 2, 3, 4, 5);
    Graph v9 = load(9, one("Slice", List.of("x"), new long[] {2, 3}, ints("starts", 1), ints("ends", 1000), ints("axes", 1)).build());
    assertRuns(v9, x, 1, 2, 4, 5);
    Graph v13 = load(13, one("Slice", List.of("x", "s", "e", "a", "st"), new long[] {2, 3})
        .addInitializer(longTensor("s", -1)).addInitializer(longTensor("e", Long.MIN_VALUE))
        .addInitializer(longTensor("a", 1)).addInitializer(longTensor("st", -1)).build());
    assertRuns(v13, x, 2, 1, 0, 5, 4, 3);
  }

  @Test
  void splitAttributeInputAndEqualFormsBecomeSlices() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 5), 0, 1, 2, 3, 4);
    GraphProto.Builder v11 = GraphProto.newBuilder().addInput(floats("x", 1, 5))
        .addNode(node("Split", List.of("x"), List.of("a", "b"), i("axis", 1), ints("split", 2, 3)))
        .addOutput(floats("b"));
    Graph g11 = load(11, v11.build());
    assertRuns(g11, x, 2, 3, 4);
    GraphProto.Builder v13 = GraphProto.newBuilder().addInput(floats("x", 1, 5)).addInitializer(longTensor("sp", 4, 1))
        .addNode(node("Split", List.of("x", "sp"), List.of("a", "b"), i("axis", -1)))
        .addOutput(floats("a"));
    assertRuns(load(13, v13.build()), x, 0, 1, 2, 3);
    // opset 18, num_outputs 2 of 5: ceil(5 / 2) = 3, then the remaining 2
    GraphProto.Builder v18 = GraphProto.newBuilder().addInput(floats("x", 1, 5))
        .addNode(node("Split", List.of("x"), List.of("a", "b"), i("axis", 1), i("num_outputs", 2)))
        .addOutput(floats("b"));
    assertRuns(load(18, v18.build()), x, 3, 4);
  }

  @Test
  void reduceMeanAxesAttributeThenInput() {
    Tensor x = Tensor.ofFloats(Shape.of(2, 2), 1, 2, 3, 5);
    assertRuns(load(13, one("ReduceMean", List.of("x"), new long[] {2, 2}, ints("axes", 0), i("keepdims", 0)).build()), x, 2, 3.5f);
    Graph v18 = load(18, one("ReduceMean", List.of("x", "ax"), new long[] {2, 2}).addInitializer(longTensor("ax", 1)).build());
    assertEquals(new Op.ReduceMean(ImmutableIntArray.of(1), true), v18.nodes().get(0).op());
    assertRuns(v18, x, 1.5f, 4);
  }

  @Test
  void upsampleAndResizeForms() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 1, 1, 2), 1, 2);
    float[] doubled = {1, 1, 2, 2};
    Op.Resize old = new Op.Resize("nearest", "asymmetric", "floor", ImmutableList.of(1f, 1f, 1f, 2f));
    Graph up7 = load(7, one("Upsample", List.of("x"), new long[] {1, 1, 1, 2}, s("mode", "nearest"),
        Protos.floatsAttr("scales", 1f, 1f, 1f, 2f)).build());
    assertEquals(old, up7.nodes().get(0).op());
    Graph up9 = load(9, one("Upsample", List.of("x", "sc"), new long[] {1, 1, 1, 2}, s("mode", "nearest"))
        .addInitializer(floatTensor("sc", new long[] {4}, 1, 1, 1, 2)).build());
    assertEquals(old, up9.nodes().get(0).op());
    assertRuns(up9, x, doubled);
    Graph r10 = load(10, one("Resize", List.of("x", "sc"), new long[] {1, 1, 1, 2}, s("mode", "nearest"))
        .addInitializer(floatTensor("sc", new long[] {4}, 1, 1, 1, 2)).build());
    assertEquals(old, r10.nodes().get(0).op());
    // opset 11+: sizes instead of scales, half_pixel linear by default coordinates
    Graph r13 = load(13, one("Resize", List.of("x", "", "", "sz"), new long[] {1, 1, 1, 2}, s("mode", "linear"))
        .addInitializer(longTensor("sz", 1, 1, 1, 4)).build());
    assertEquals("half_pixel", ((Op.Resize) r13.nodes().get(0).op()).coordinateMode());
    assertRuns(r13, x, 1, 1.25f, 1.75f, 2);
  }

  @Test
  void activationDefaults() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 2), -10, 10);
    Graph leaky = load(13, one("LeakyRelu", List.of("x"), new long[] {1, 2}).build());
    assertEquals(new Op.LeakyRelu(0.01f), leaky.nodes().get(0).op());
    assertRuns(leaky, x, -0.1f, 10);
    Graph hs = load(13, one("HardSigmoid", List.of("x"), new long[] {1, 2}, f("alpha", 0.05f)).build());
    assertRuns(hs, x, 0, 1);
  }
}
