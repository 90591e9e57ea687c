package io.quantkit.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.GraphException;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapeInferenceTest {
  private static final int U = Shape.UNKNOWN;

  private static ImmutableIntArray ints(int... v) {
    return ImmutableIntArray.copyOf(v);
  }

  /** One node whose inputs are graph inputs of the given types and shapes; returns the output info. */
  private static ValueInfo infer(Op op, Object... typeShapePairs) {
    Graph g = graph(op, typeShapePairs);
    return ShapeInference.infer(g).get("y");
  }

  private static Graph graph(Op op, Object... typeShapePairs) {
    Graph.Builder b = Graph.builder("g");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < typeShapePairs.length; i += 2) {
      if (typeShapePairs[i] == null) {
        names.add("");
        continue;
      }
      String name = "in" + i / 2;
      names.add(name);
      b.input(new ValueInfo(name, (DataType) typeShapePairs[i], (Shape) typeShapePairs[i + 1]));
    }
    return b.node(Node.of("the_node", op, names, List.of("y"))).output("y").build();
  }

  private static GraphException fails(Op op, Object... typeShapePairs) {
    GraphException e = assertThrows(GraphException.class, () -> infer(op, typeShapePairs));
    assertTrue(e.getMessage().contains("the_node"), "message names the node: " + e.getMessage());
    return e;
  }

  private static final DataType F = DataType.FLOAT32;

  private static Op.Conv conv(int k, int s, int d, int groups, Padding p) {
    return new Op.Conv(ints(k, k), ints(s, s), ints(d, d), groups, p);
  }

  @Test
  void convSameUpperStride2KeepsUnknownBatch() {
    ValueInfo y = infer(conv(3, 2, 1, 1, Padding.sameUpper()), F, Shape.of(U, 3, 32, 32), F, Shape.of(16, 3, 3, 3), F,
        Shape.of(16));
    assertEquals(new ValueInfo("y", F, Shape.of(U, 16, 16, 16)), y);
    assertEquals(Shape.of(U, 8, 17, 17),
        infer(conv(3, 2, 1, 1, Padding.sameUpper()), F, Shape.of(U, 3, 33, 33), F, Shape.of(8, 3, 3, 3)).shape());
  }

  @Test
  void convExplicitPadsAndDilation() {
    // (7 + 1 + 2 - ((3 - 1) * 2 + 1)) / 1 + 1 = 6; (7 + 0 - 5) / 2 + 1 = 2
    Op.Conv op = new Op.Conv(ints(3, 3), ints(1, 2), ints(2, 2), 1, Padding.Explicit.of(new int[] {1, 0}, new int[] {2, 0}));
    assertEquals(Shape.of(2, 4, 6, 2), infer(op, F, Shape.of(2, 1, 7, 7), F, Shape.of(4, 1, 3, 3)).shape());
    assertEquals(Shape.of(1, 4, 3, 3),
        infer(conv(3, 1, 1, 1, Padding.valid()), F, Shape.of(1, 1, 5, 5), F, Shape.of(4, 1, 3, 3)).shape());
  }

  @Test
  void conv1dAnd3d() {
    Op.Conv c1 = new Op.Conv(ints(3), ints(2), ints(1), 1, Padding.valid());
    assertEquals(Shape.of(1, 2, 4), infer(c1, F, Shape.of(1, 3, 9), F, Shape.of(2, 3, 3)).shape());
    Op.Conv c3 = new Op.Conv(ints(2, 2, 2), ints(1, 1, 1), ints(1, 1, 1), 1, Padding.valid());
    assertEquals(Shape.of(1, 5, 3, 4, 5), infer(c3, F, Shape.of(1, 1, 4, 5, 6), F, Shape.of(5, 1, 2, 2, 2)).shape());
  }

  @Test
  void groupConvChecksChannelsPerGroup() {
    assertEquals(Shape.of(1, 8, 4, 4),
        infer(conv(3, 1, 1, 4, Padding.sameUpper()), F, Shape.of(1, 8, 4, 4), F, Shape.of(8, 2, 3, 3)).shape());
    GraphException e = fails(conv(3, 1, 1, 4, Padding.sameUpper()), F, Shape.of(1, 8, 4, 4), F, Shape.of(8, 3, 3, 3));
    assertTrue(e.getMessage().contains("8 channels"), e.getMessage());
    fails(conv(3, 1, 1, 3, Padding.sameUpper()), F, Shape.of(1, 3, 4, 4), F, Shape.of(4, 1, 3, 3));
  }

  @Test
  void convErrors() {
    fails(conv(3, 1, 1, 1, Padding.valid()), F, Shape.of(1, 3, 8, 8), F, Shape.of(4, 2, 3, 3));
    fails(conv(3, 1, 1, 1, Padding.valid()), F, Shape.of(1, 3, 8), F, Shape.of(4, 3, 3, 3));
    fails(conv(3, 1, 1, 1, Padding.valid()), F, Shape.of(1, 3, 8, 8), F, Shape.of(4, 3, 2, 2));
    fails(conv(3, 1, 1, 1, Padding.valid()), F, Shape.of(1, 3, 8, 8), F, Shape.of(4, 3, 3, 3), F, Shape.of(5));
    fails(conv(3, 1, 1, 1, Padding.valid()), F, Shape.of(1, 3, 2, 2), F, Shape.of(4, 3, 3, 3));
    fails(conv(3, 1, 1, 1, Padding.valid()), DataType.INT8, Shape.of(1, 3, 8, 8), F, Shape.of(4, 3, 3, 3));
  }

  @Test
  void batchNormAndActivations() {
    Shape x = Shape.of(U, 4, 5, 5);
    Shape c = Shape.of(4);
    assertEquals(x, infer(new Op.BatchNorm(1e-3f), F, x, F, c, F, c, F, c, F, c).shape());
    GraphException e = fails(new Op.BatchNorm(1e-3f), F, x, F, c, F, c, F, Shape.of(3), F, c);
    assertTrue(e.getMessage().contains("mean"), e.getMessage());
    assertEquals(x, infer(new Op.Relu(), F, x).shape());
    assertEquals(x, infer(new Op.Clip(0, 6), F, x).shape());
    fails(new Op.Clip(6, 0), F, x);
  }

  @Test
  void broadcasting() {
    assertEquals(Shape.of(U, 4, 5, 5), infer(new Op.Add(), F, Shape.of(U, 4, 5, 5), F, Shape.of(4, 1, 1)).shape());
    assertEquals(Shape.of(2, 3), infer(new Op.Mul(), F, Shape.of(2, 1), F, Shape.of(1, 3)).shape());
    assertEquals(Shape.of(7, 2), infer(new Op.Mul(), F, Shape.of(U, 2), F, Shape.of(7, 1)).shape());
    assertEquals(Shape.of(U, 2), infer(new Op.Mul(), F, Shape.of(U, 2), F, Shape.of(1, 1)).shape());
    fails(new Op.Add(), F, Shape.of(2, 3), F, Shape.of(4));
    fails(new Op.Add(), F, Shape.of(2, 3), DataType.INT32, Shape.of(3));
  }

  @Test
  void pooling() {
    Op.MaxPool max = new Op.MaxPool(ints(3, 3), ints(2, 2), ints(1, 1), Padding.valid(), false);
    assertEquals(Shape.of(U, 2, 2, 2), infer(max, F, Shape.of(U, 2, 6, 6)).shape());
    Op.MaxPool ceil = new Op.MaxPool(ints(3, 3), ints(2, 2), ints(1, 1), Padding.valid(), true);
    assertEquals(Shape.of(1, 2, 3, 3), infer(ceil, F, Shape.of(1, 2, 6, 6)).shape());
    // Ceil mode may not start a window in the end padding: length 5, kernel 2, stride 2, pads 1/1 -> 3, not 4.
    Op.MaxPool padded = new Op.MaxPool(ints(2), ints(2), ints(1), Padding.Explicit.of(new int[] {1}, new int[] {1}), true);
    assertEquals(Shape.of(1, 1, 3), infer(padded, F, Shape.of(1, 1, 5)).shape());
    Op.MaxPool dilated = new Op.MaxPool(ints(2, 2), ints(1, 1), ints(2, 2), Padding.valid(), false);
    assertEquals(Shape.of(1, 1, 2, 2), infer(dilated, F, Shape.of(1, 1, 4, 4)).shape());
    assertEquals(DataType.UINT8, infer(max, DataType.UINT8, Shape.of(1, 2, 6, 6)).type());
    Op.AveragePool avg = new Op.AveragePool(ints(8, 8), ints(8, 8), Padding.valid(), false, false);
    assertEquals(Shape.of(U, 64, 1, 1), infer(avg, F, Shape.of(U, 64, 8, 8)).shape());
    Op.AveragePool same = new Op.AveragePool(ints(2, 2), ints(2, 2), Padding.sameUpper(), false, false);
    assertEquals(Shape.of(1, 1, 2, 2), infer(same, F, Shape.of(1, 1, 3, 3)).shape());
    assertEquals(Shape.of(U, 64, 1, 1), infer(new Op.GlobalAveragePool(), F, Shape.of(U, 64, 8, 8)).shape());
    fails(max, F, Shape.of(1, 2, 6));
    fails(avg, F, Shape.of(1, 64, 4, 4));
    fails(new Op.GlobalAveragePool(), F, Shape.of(3, 4));
  }

  @Test
  void flattenAndReshape() {
    assertEquals(Shape.of(U, 64), infer(new Op.Flatten(1), F, Shape.of(U, 64, 1, 1)).shape());
    assertEquals(Shape.of(1, U), infer(new Op.Flatten(0), F, Shape.of(U, 4)).shape());
    assertEquals(Shape.of(24, 5), infer(new Op.Flatten(-1), F, Shape.of(2, 3, 4, 5)).shape());
    assertEquals(Shape.of(120, 1), infer(new Op.Flatten(4), F, Shape.of(2, 3, 4, 5)).shape());
    fails(new Op.Flatten(5), F, Shape.of(2, 3, 4, 5));
    assertEquals(Shape.of(U, 64), infer(new Op.Reshape(ints(0, -1)), F, Shape.of(U, 64, 1, 1)).shape());
    assertEquals(Shape.of(U, 64), infer(new Op.Reshape(ints(-1, 64)), F, Shape.of(U, 64, 1, 1)).shape());
    assertEquals(Shape.of(6, 4), infer(new Op.Reshape(ints(-1, 4)), F, Shape.of(2, 3, 4)).shape());
    assertEquals(Shape.of(2, 3, 2, 2), infer(new Op.Reshape(ints(0, 0, 2, -1)), F, Shape.of(2, 3, 4)).shape());
    fails(new Op.Reshape(ints(5, -1)), F, Shape.of(2, 3, 4));
    fails(new Op.Reshape(ints(-1, -1)), F, Shape.of(2, 3, 4));
    fails(new Op.Reshape(ints(7, 3)), F, Shape.of(2, 3, 4));
    fails(new Op.Reshape(ints(0, 0, 0, 0)), F, Shape.of(2, 3, 4));
  }

  @Test
  void gemmAndMatMul() {
    assertEquals(Shape.of(U, 10), infer(new Op.Gemm(1, 1, false, false), F, Shape.of(U, 64), F, Shape.of(64, 10), F,
        Shape.of(10)).shape());
    assertEquals(Shape.of(3, 10), infer(new Op.Gemm(1, 1, true, true), F, Shape.of(64, 3), F, Shape.of(10, 64)).shape());
    fails(new Op.Gemm(1, 1, false, false), F, Shape.of(3, 64), F, Shape.of(63, 10));
    fails(new Op.Gemm(1, 1, false, false), F, Shape.of(3, 64), F, Shape.of(64, 10), F, Shape.of(4, 10));
    fails(new Op.Gemm(1, 1, false, false), F, Shape.of(3, 64, 1), F, Shape.of(64, 10));
    assertEquals(Shape.of(5, 2, 3, 7), infer(new Op.MatMul(), F, Shape.of(2, 3, 4), F, Shape.of(5, 1, 4, 7)).shape());
    assertEquals(Shape.of(3), infer(new Op.MatMul(), F, Shape.of(3, 4), F, Shape.of(4)).shape());
    assertEquals(Shape.of(2, 7), infer(new Op.MatMul(), F, Shape.of(4), F, Shape.of(2, 4, 7)).shape());
    assertEquals(Shape.scalar(), infer(new Op.MatMul(), F, Shape.of(4), F, Shape.of(4)).shape());
    fails(new Op.MatMul(), F, Shape.of(3, 4), F, Shape.of(5, 7));
    fails(new Op.MatMul(), F, Shape.of(2, 3, 4), F, Shape.of(3, 4, 7));
  }

  @Test
  void softmaxConcatTranspose() {
    assertEquals(Shape.of(U, 10), infer(new Op.Softmax(-1), F, Shape.of(U, 10)).shape());
    fails(new Op.Softmax(2), F, Shape.of(U, 10));
    assertEquals(Shape.of(2, 5, 3), infer(new Op.Concat(1), F, Shape.of(2, 2, 3), F, Shape.of(2, 3, 3)).shape());
    assertEquals(Shape.of(U, 5), infer(new Op.Concat(-1), F, Shape.of(U, 2), F, Shape.of(U, 3)).shape());
    fails(new Op.Concat(1), F, Shape.of(2, 2, 3), F, Shape.of(3, 3, 3));
    fails(new Op.Concat(3), F, Shape.of(2, 2, 3), F, Shape.of(2, 2, 3));
    fails(new Op.Concat(0), F, Shape.of(2, 2), DataType.INT8, Shape.of(2, 2));
    assertEquals(Shape.of(U, 3, 32, 32), infer(new Op.Transpose(ints(0, 3, 1, 2)), F, Shape.of(U, 32, 32, 3)).shape());
    assertEquals(Shape.of(4, 3, 2), infer(new Op.Transpose(ints()), F, Shape.of(2, 3, 4)).shape());
    fails(new Op.Transpose(ints(0, 0, 1)), F, Shape.of(2, 3, 4));
    fails(new Op.Transpose(ints(0, 1)), F, Shape.of(2, 3, 4));
  }

  @Test
  void quantizeAndDequantize() {
    Shape x = Shape.of(U, 16, 8, 8);
    DataType i8 = DataType.INT8;
    DataType u8 = DataType.UINT8;
    assertEquals(new ValueInfo("y", i8, x),
        infer(new Op.QuantizeLinear(1), F, x, F, Shape.scalar(), i8, Shape.scalar()));
    assertEquals(new ValueInfo("y", u8, x), infer(new Op.QuantizeLinear(1), F, x, F, Shape.scalar()));
    assertEquals(new ValueInfo("y", i8, x), infer(new Op.QuantizeLinear(1), F, x, F, Shape.of(16), i8, Shape.of(16)));
    fails(new Op.QuantizeLinear(1), F, x, F, Shape.of(15), i8, Shape.of(15));
    fails(new Op.QuantizeLinear(4), F, x, F, Shape.of(16), i8, Shape.of(16));
    fails(new Op.QuantizeLinear(1), F, x, F, Shape.of(16), i8, Shape.scalar());
    fails(new Op.QuantizeLinear(1), F, x, F, Shape.scalar(), DataType.INT32, Shape.scalar());
    Shape w = Shape.of(16, 3, 3, 3);
    assertEquals(new ValueInfo("y", F, w), infer(new Op.DequantizeLinear(0), i8, w, F, Shape.of(16), i8, Shape.of(16)));
    assertEquals(new ValueInfo("y", F, Shape.of(16)),
        infer(new Op.DequantizeLinear(0), DataType.INT32, Shape.of(16), F, Shape.of(16)));
    fails(new Op.DequantizeLinear(0), i8, w, F, Shape.scalar(), u8, Shape.scalar());
    fails(new Op.DequantizeLinear(0), F, w, F, Shape.scalar());
  }

  @Test
  void coversInitializersAndChains() {
    Graph g = Graph.builder("g")
        .input(new ValueInfo("x", F, Shape.of(U, 3, 8, 8)))
        .initializer("w", Tensor.ofFloats(Shape.of(4, 3, 1, 1), new float[12]))
        .node(Node.of("c", new Op.Conv(ints(1, 1), ints(1, 1), ints(1, 1), 1, Padding.valid()), List.of("x", "w"),
            List.of("cy")))
        .node(Node.of("gap", new Op.GlobalAveragePool(), List.of("cy"), List.of("p")))
        .node(Node.of("f", new Op.Flatten(1), List.of("p"), List.of("out")))
        .output("out")
        .build();
    Map<String, ValueInfo> all = ShapeInference.infer(g);
    assertEquals(List.of("x", "w", "cy", "p", "out"), List.copyOf(all.keySet()));
    assertEquals(Shape.of(4, 3, 1, 1), all.get("w").shape());
    assertEquals(Shape.of(U, 4), all.get("out").shape());
    Map<String, ValueInfo> concrete = ShapeInference.infer(g, Map.of("x", Shape.of(5, 3, 8, 8)));
    assertEquals(Shape.of(5, 4, 8, 8), concrete.get("cy").shape());
    assertEquals(Shape.of(5, 4), concrete.get("out").shape());
    assertThrows(GraphException.class, () -> ShapeInference.infer(g, Map.of("x", Shape.of(5, 4, 8, 8))));
    assertThrows(GraphException.class, () -> ShapeInference.infer(g, Map.of("nope", Shape.of(5, 3, 8, 8))));
  }

  @Test
  void rejectsWrongArity() {
    fails(new Op.Relu(), F, Shape.of(2), F, Shape.of(2));
    fails(new Op.Add(), F, Shape.of(2));
    fails(new Op.Gemm(1, 1, false, false), F, Shape.of(2, 2));
  }
}
