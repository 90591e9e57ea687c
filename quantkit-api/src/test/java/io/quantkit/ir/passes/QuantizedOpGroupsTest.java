package io.quantkit.ir.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.ir.passes.QuantizedOpGroup.QdqParams;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-written QDQ graphs in the forms other tools write (ONNX Runtime's quantizer, no zero points). */
class QuantizedOpGroupsTest {

  /**
   * x -Q(0.5, 128 u8)-> DQ -> conv(w: INT8 per-axis DQ, b: INT32 DQ) -> y -Q(0.25, 10)-> DQ -> add(., z) -> a
   * where z is a float graph input; y is also a graph output; a relu reads the add's output.
   */
  private static Graph ortStyle() {
    Graph.Builder b = Graph.builder("ort_style");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(1, 2, 3, 3)));
    b.input(new ValueInfo("z", DataType.FLOAT32, Shape.of(1, 2, 3, 3)));
    b.initializer("x_scale", Tensor.scalar(0.5f));
    b.initializer("x_zp", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 128));
    b.node(Node.of("x_q", new Op.QuantizeLinear(1), List.of("x", "x_scale", "x_zp"), List.of("x_quant")));
    b.node(Node.of("x_dq", new Op.DequantizeLinear(1), List.of("x_quant", "x_scale", "x_zp"), List.of("x_deq")));
    b.initializer("w_q", Tensor.ofBytes(DataType.INT8, Shape.of(2, 2, 1, 1), (byte) 1, (byte) -2, (byte) 3, (byte) 4));
    b.initializer("w_scale", Tensor.ofFloats(Shape.of(2), 0.1f, 0.2f));
    // per-axis weights without zero point: INT8 from the data, zero points 0
    b.node(Node.of("w_dq", new Op.DequantizeLinear(0), List.of("w_q", "w_scale"), List.of("w_deq")));
    b.initializer("b_q", Tensor.ofInts(Shape.of(2), 7, -7));
    b.initializer("b_scale", Tensor.ofFloats(Shape.of(2), 0.05f, 0.1f));
    b.node(Node.of("b_dq", new Op.DequantizeLinear(0), List.of("b_q", "b_scale"), List.of("b_deq")));
    b.node(Node.of("conv", TestGraphs.conv(1, 1, Padding.Explicit.zeros(2)),
        List.of("x_deq", "w_deq", "b_deq"), List.of("y")));
    b.initializer("y_scale", Tensor.scalar(0.25f));
    b.initializer("y_zp", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 10));
    b.node(Node.of("y_q", new Op.QuantizeLinear(1), List.of("y", "y_scale", "y_zp"), List.of("y_quant")));
    b.node(Node.of("y_dq", new Op.DequantizeLinear(1), List.of("y_quant", "y_scale", "y_zp"), List.of("y_deq")));
    b.node(Node.of("add", new Op.Add(), List.of("y_deq", "z"), List.of("a")));
    b.node(Node.of("relu", new Op.Relu(), List.of("a"), List.of("r")));
    b.output("r");
    b.output("y");
    return b.build();
  }

  @Test
  void findsConvWithActivationWeightBiasAndOutputParameters() {
    List<QuantizedOpGroup> groups = QuantizedOpGroups.find(ortStyle());
    // conv and add read DQ outputs; relu reads a float; Q/DQ nodes are never groups themselves
    assertEquals(List.of("conv", "add"), groups.stream().map(g -> g.node().name()).toList());
    QuantizedOpGroup conv = groups.get(0);
    assertTrue(conv.allInputsDequantized());

    QuantizedOpGroup.Input x = conv.input(0);
    assertEquals("x_dq", x.dequantize().orElseThrow().name());
    assertEquals("x_quant", x.quantizedTensor().orElseThrow());
    assertTrue(x.constant().isEmpty()); // an activation, not a stored constant
    QdqParams xp = x.params().orElseThrow();
    assertFalse(xp.isPerAxis());
    assertEquals(0.5f, xp.scale(0));
    assertEquals(128, xp.zeroPoint(0)); // read unsigned
    assertEquals(DataType.UINT8, xp.type());

    QuantizedOpGroup.Input w = conv.input(1);
    QdqParams wp = w.params().orElseThrow();
    assertTrue(wp.isPerAxis());
    assertEquals(0, wp.axis());
    assertEquals(2, wp.channels());
    assertArrayEquals(new float[] {0.1f, 0.2f}, wp.scales());
    assertArrayEquals(new int[] {0, 0}, wp.zeroPoints()); // omitted zero point means 0
    assertEquals(DataType.INT8, wp.type());                // the stored data's type
    assertArrayEquals(new byte[] {1, -2, 3, 4}, w.constant().orElseThrow().toByteArray());

    QuantizedOpGroup.Input bias = conv.input(2);
    assertEquals(DataType.INT32, bias.params().orElseThrow().type());
    assertArrayEquals(new int[] {7, -7}, bias.constant().orElseThrow().toIntArray());

    QuantizedOpGroup.Output y = conv.output().orElseThrow();
    assertEquals("y", y.tensor());
    assertEquals("y_q", y.quantize().name());
    assertEquals("y_quant", y.quantizedTensor());
    assertTrue(y.alsoReadAsFloat()); // y is a graph output too
    assertEquals(0.25f, conv.outputParams().orElseThrow().scale(0));
    assertEquals(10, conv.outputParams().orElseThrow().zeroPoint(0));
  }

  @Test
  void floatInputsAndFloatOutputsAreReportedAsSuch() {
    QuantizedOpGroup add = QuantizedOpGroups.find(ortStyle()).get(1);
    assertTrue(add.input(0).isDequantized());
    assertFalse(add.input(1).isDequantized()); // z, a float graph input
    assertTrue(add.input(1).params().isEmpty());
    assertFalse(add.allInputsDequantized());
    assertTrue(add.output().isEmpty());        // read by a float ReLU only
    assertTrue(add.outputParams().isEmpty());
  }

  @Test
  void parametersComputedAtRunTimeAreNotResolved() {
    Graph.Builder b = Graph.builder("dynamic");
    b.input(new ValueInfo("q", DataType.UINT8, Shape.of(4)));
    b.input(new ValueInfo("s", DataType.FLOAT32, Shape.scalar()));
    b.node(Node.of("dq", new Op.DequantizeLinear(1), List.of("q", "s"), List.of("x")));
    b.node(Node.of("relu", new Op.Relu(), List.of("x"), List.of("y")));
    b.output("y");
    Graph g = b.build();
    QuantizedOpGroup relu = QuantizedOpGroups.find(g).get(0);
    assertTrue(relu.input(0).isDequantized());
    assertTrue(relu.input(0).params().isEmpty());
    assertTrue(QuantizedOpGroups.params(g, g.node("dq").orElseThrow()).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> QuantizedOpGroups.params(g, g.node("relu").orElseThrow()));
  }

  @Test
  void floatGraphHasNoGroups() {
    assertTrue(QuantizedOpGroups.find(TestGraphs.tinyResNet(1)).isEmpty());
  }

  @Test
  void negativeAxisCountsFromTheEnd() {
    QdqParams p = new QdqParams(Tensor.ofFloats(Shape.of(3), 1, 2, 3), java.util.Optional.empty(), DataType.INT8, -1);
    assertEquals(3, p.axis(4));
  }
}
