package io.quantkit.onnx;

import static io.quantkit.onnx.Protos.floatTensor;
import static io.quantkit.onnx.Protos.floats;
import static io.quantkit.onnx.Protos.i;
import static io.quantkit.onnx.Protos.ints;
import static io.quantkit.onnx.Protos.longTensor;
import static io.quantkit.onnx.Protos.model;
import static io.quantkit.onnx.Protos.node;
import static io.quantkit.onnx.Protos.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.UnsupportedOpsException;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Op;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Weight and shape subgraphs fold into initializers at import; values checked by hand. */
class OnnxFoldingTest {
  private static Graph load(int opset, GraphProto g) {
    return OnnxModel.fromBytes(model(opset, g).toByteArray(), "test.onnx");
  }

  @Test
  void constantOfShapeUnsqueezeAndArithmeticBecomeOneInitializer() {
    // w = Unsqueeze(ConstantOfShape([2]) * 3 - 1, axes [1, 2]) = [[[2]], [[2]]]; y = x * w.
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 2, 1, 1))
        .addInitializer(longTensor("shape", 2))
        .addInitializer(floatTensor("three", new long[0], 3f))
        .addInitializer(floatTensor("one", new long[0], 1f))
        .addNode(node("ConstantOfShape", List.of("shape"), List.of("c"), t("value", floatTensor("", new long[] {1}, 1f))))
        .addNode(node("Mul", List.of("c", "three"), List.of("c3")))
        .addNode(node("Sub", List.of("c3", "one"), List.of("c2")))
        .addNode(node("Unsqueeze", List.of("c2"), List.of("w"), ints("axes", 1, 2)))
        .addNode(node("Mul", List.of("x", "w"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(9, g);
    assertEquals(1, ir.nodes().size(), "only the Mul by the folded weight is left: " + ir.nodes());
    Tensor w = ir.initializers().get("w");
    assertEquals(Shape.of(2, 1, 1), w.shape());
    assertArrayEquals(new float[] {2f, 2f}, w.toFloatArray());
  }

  @Test
  void pytorchFlattenPatternShapeGatherUnsqueezeConcatFoldsToAReshape() {
    // Shape(x)[0] concatenated with -1: the target [1, -1] of x.view(x.size(0), -1).
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 2, 3))
        .addInitializer(longTensor("zero", 0))
        .addInitializer(longTensor("minus1", -1))
        .addNode(node("Shape", List.of("x"), List.of("s")))
        .addNode(node("Gather", List.of("s", "zero"), List.of("n"), i("axis", 0)))
        .addNode(node("Concat", List.of("n", "minus1"), List.of("target"), i("axis", 0)))
        .addNode(node("Reshape", List.of("x", "target"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(11, g);
    assertEquals(1, ir.nodes().size());
    assertEquals(new Op.Reshape(ImmutableIntArray.of(1, -1)), ir.nodes().get(0).op());
  }

  @Test
  void pytorchFlattenWithADynamicBatchCopiesTheBatchDimension() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", -1, 2, 3))
        .addInitializer(longTensor("minus1", -1))
        .addNode(node("Constant", List.of(), List.of("zero"), i("value_int", 0)))
        .addNode(node("Shape", List.of("x"), List.of("s")))
        .addNode(node("Gather", List.of("s", "zero"), List.of("n"), i("axis", 0)))
        .addNode(node("Unsqueeze", List.of("n"), List.of("n1"), ints("axes", 0)))
        .addNode(node("Concat", List.of("n1", "minus1"), List.of("target"), i("axis", 0)))
        .addNode(node("Reshape", List.of("x", "target"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(11, g);
    assertEquals(1, ir.nodes().size());
    assertEquals(new Op.Reshape(ImmutableIntArray.of(0, -1)), ir.nodes().get(0).op());
    assertTrue(ir.initializers().keySet().stream().noneMatch(n -> n.equals("s") || n.equals("target")),
        "shape values with unknown dimensions are not initializers: " + ir.initializers().keySet());
    float[] out;
    try (Runner r = Backends.named("onnx").compile(ir)) {
      out = r.run(Tensor.ofFloats(Shape.of(2, 2, 3), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)).toFloatArray();
    }
    assertEquals(12, out.length);

    // the unknown batch used anywhere else cannot be resolved: reported, not guessed
    GraphProto moved = g.toBuilder().setNode(4, node("Concat", List.of("minus1", "n1"), List.of("target"), i("axis", 0))).build();
    assertThrows(UnsupportedOpsException.class, () -> load(11, moved));
  }

  @Test
  void squeezeAndUnsqueezeOfActivationsAttributeAndInputForms() {
    GraphProto opset11 = GraphProto.newBuilder().addInput(floats("x", 1, 3))
        .addNode(node("Unsqueeze", List.of("x"), List.of("u"), ints("axes", 2, 3)))
        .addNode(node("Squeeze", List.of("u"), List.of("y"), ints("axes", 0)))
        .addOutput(floats("y")).build();
    Graph a = load(11, opset11);
    assertEquals(new Op.Reshape(ImmutableIntArray.of(1, 3, 1, 1)), a.nodes().get(0).op());
    assertEquals(new Op.Reshape(ImmutableIntArray.of(3, 1, 1)), a.nodes().get(1).op());

    GraphProto opset13 = GraphProto.newBuilder().addInput(floats("x", 1, 3))
        .addInitializer(longTensor("axes", -1))
        .addNode(node("Unsqueeze", List.of("x", "axes"), List.of("u")))
        .addNode(node("Squeeze", List.of("u"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph b = load(13, opset13);
    assertEquals(new Op.Reshape(ImmutableIntArray.of(1, 3, 1)), b.nodes().get(0).op());
    assertEquals(new Op.Reshape(ImmutableIntArray.of(3)), b.nodes().get(1).op());
    float[] out;
    try (Runner r = Backends.named("reference").compile(b)) {
      out = r.run(Tensor.ofFloats(Shape.of(1, 3), 1f, 2f, 3f)).toFloatArray();
    }
    assertArrayEquals(new float[] {1f, 2f, 3f}, out);
  }

  @Test
  void transposeAndCastOfConstantsFold() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 2))
        .addInitializer(longTensor("w64", 1, 2, 3, 4))
        .addNode(node("Cast", List.of("w64"), List.of("wf"), i("to", 1)))
        .addNode(node("Reshape", List.of("wf", "ws"), List.of("w2")))
        .addInitializer(longTensor("ws", 2, 2))
        .addNode(node("Transpose", List.of("w2"), List.of("wt"), ints("perm", 1, 0)))
        .addNode(node("MatMul", List.of("x", "wt"), List.of("y")))
        .addOutput(floats("y")).build();
    Graph ir = load(13, g);
    assertEquals(1, ir.nodes().size());
    assertArrayEquals(new float[] {1f, 3f, 2f, 4f}, ir.initializers().get("wt").toFloatArray());
  }

  @Test
  void foldOnlyOpsOnActivationsAreAllReportedAtOnce() {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 2))
        .addNode(node("Cast", List.of("x"), List.of("c"), i("to", 7)))
        .addNode(node("Neg", List.of("x"), List.of("n")))
        .addNode(node("Erf", List.of("x"), List.of("e")))
        .addNode(node("Add", List.of("x", "x"), List.of("y")))
        .addOutput(floats("y")).build();
    UnsupportedOpsException e = assertThrows(UnsupportedOpsException.class, () -> load(13, g));
    assertTrue(e.getMessage().contains("Cast") && e.getMessage().contains("Neg") && e.getMessage().contains("Erf"), e.getMessage());
  }
}
