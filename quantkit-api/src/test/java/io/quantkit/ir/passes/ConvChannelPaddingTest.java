package io.quantkit.ir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvChannelPaddingTest {

  /**
   * x [N,4,4,3] (NHWC, as Keras stems are) -> Q -> DQ -> Transpose to NCHW -> Q -> DQ -> Conv 3x3
   * pad 1 with a DequantizeLinear'd weight of 3 input channels -> y: quantkit's QDQ stem.
   */
  private static Graph stem(boolean nhwc, DataType weightType, byte[] weightZeroPoint, int inChannels) {
    Random r = new Random(7);
    Graph.Builder b = Graph.builder("stem");
    b.input(new ValueInfo("x", DataType.FLOAT32, nhwc ? Shape.of(-1, 4, 4, inChannels) : Shape.of(-1, inChannels, 4, 4)));
    b.initializer("x_scale", Tensor.scalar(0.02f));
    b.initializer("x_zp", Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) 131));
    byte[] w = new byte[2 * inChannels * 9];
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) (weightType == DataType.INT8 ? r.nextInt(255) - 127 : r.nextInt(256));
    }
    b.initializer("w_q", Tensor.wrapBytes(weightType, Shape.of(2, inChannels, 3, 3), w));
    b.initializer("w_scale", Tensor.ofFloats(Shape.of(2), 0.011f, 0.007f));
    b.initializer("w_zp", Tensor.wrapBytes(weightType, Shape.of(weightZeroPoint.length), weightZeroPoint.clone()));
    b.initializer("b_q", Tensor.ofInts(Shape.of(2), 37, -1200));
    b.initializer("b_scale", Tensor.ofFloats(Shape.of(2), 0.02f * 0.011f, 0.02f * 0.007f));
    b.initializer("b_zp", Tensor.ofInts(Shape.of(2), 0, 0));
    b.node(Node.of("q0", new Op.QuantizeLinear(1), ImmutableList.of("x", "x_scale", "x_zp"), ImmutableList.of("x_q")));
    b.node(Node.of("dq0", new Op.DequantizeLinear(1), ImmutableList.of("x_q", "x_scale", "x_zp"), ImmutableList.of("x_dq")));
    String convIn = "x_dq";
    if (nhwc) {
      b.node(Node.of("to_nchw", new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), ImmutableList.of("x_dq"), ImmutableList.of("x_nchw")));
      b.node(Node.of("q1", new Op.QuantizeLinear(1), ImmutableList.of("x_nchw", "x_scale", "x_zp"), ImmutableList.of("x_nchw_q")));
      b.node(Node.of("dq1", new Op.DequantizeLinear(1), ImmutableList.of("x_nchw_q", "x_scale", "x_zp"), ImmutableList.of("x_nchw_dq")));
      convIn = "x_nchw_dq";
    }
    b.node(Node.of("dqw", new Op.DequantizeLinear(0), ImmutableList.of("w_q", "w_scale", "w_zp"), ImmutableList.of("w")));
    b.node(Node.of("dqb", new Op.DequantizeLinear(0), ImmutableList.of("b_q", "b_scale", "b_zp"), ImmutableList.of("bias")));
    b.node(Node.of("conv", new Op.Conv(ImmutableIntArray.of(3, 3), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 1,
        Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1})), ImmutableList.of(convIn, "w", "bias"), ImmutableList.of("y")));
    b.output("y");
    return b.build();
  }

  private static float[] run(Graph g, Tensor x) {
    try (Runner runner = new ReferenceBackend().compile(g, RunnerOptions.defaults())) {
      return runner.run(Map.of("x", x)).get("y").toFloatArray();
    }
  }

  private static Tensor input(Shape shape) {
    Random r = new Random(11);
    float[] v = new float[shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * 1.5);
    }
    return Tensor.wrapFloats(shape, v);
  }

  private static void assertSameOutputs(Graph original, Graph padded, Tensor x) {
    float[] want = run(original, x);
    float[] got = run(padded, x);
    assertEquals(want.length, got.length);
    int differing = 0;
    for (int i = 0; i < want.length; i++) {
      // Added terms are exact zeros, so the sums are the same floats (0.0 delta: -0.0 equals +0.0).
      if (Float.compare(want[i] + 0f, got[i] + 0f) != 0) {
        differing++;
      }
    }
    assertEquals(0, differing, "outputs that differ after padding");
  }

  @Test
  void nhwcStemGetsAMatMulPaddingAndFourChannelWeightsWithUnchangedOutputs() {
    Graph g = stem(true, DataType.INT8, new byte[] {0, 0}, 3);
    Graph p = ConvChannelPadding.apply(g, 4);
    assertEquals(Shape.of(2, 4, 3, 3), p.initializer("w_q").get().shape());
    Node pad = p.consumers("x").get(0);
    assertTrue(pad.op() instanceof Op.MatMul, pad.toString());
    assertEquals(Shape.of(3, 4), p.initializer(pad.input(1)).get().shape());
    assertEquals("x", p.input().name());
    // The padded weight channel holds the zero point (0) for every output channel and tap.
    Tensor w = p.initializer("w_q").get();
    for (int o = 0; o < 2; o++) {
      for (int k = 0; k < 9; k++) {
        assertEquals(0, w.getLong((o * 4 + 3) * 9 + k));
      }
      assertEquals(g.initializer("w_q").get().getLong(o * 27 + 13), w.getLong(o * 36 + 13));
    }
    assertSameOutputs(g, p, input(Shape.of(2, 4, 4, 3)));
  }

  @Test
  void nchwStemGetsA1x1ConvPaddingAndUint8WeightsArePaddedWithTheirZeroPoint() {
    Graph g = stem(false, DataType.UINT8, new byte[] {(byte) 120, (byte) 95}, 3);
    Graph p = ConvChannelPadding.apply(g, 8);
    assertEquals(Shape.of(2, 8, 3, 3), p.initializer("w_q").get().shape());
    assertTrue(p.consumers("x").get(0).op() instanceof Op.Conv);
    Tensor w = p.initializer("w_q").get();
    assertEquals(120, w.getLong((0 * 8 + 7) * 9 + 4));
    assertEquals(95, w.getLong((1 * 8 + 5) * 9 + 8));
    assertSameOutputs(g, p, input(Shape.of(3, 3, 4, 4)));
  }

  @Test
  void leavesAlignedOrUnquantizedConvolutionsAloneAndIsIdempotent() {
    Graph aligned = stem(true, DataType.INT8, new byte[] {0, 0}, 4);
    assertSame(aligned, ConvChannelPadding.apply(aligned, 4));
    Graph once = ConvChannelPadding.apply(stem(true, DataType.INT8, new byte[] {0, 0}, 3), 4);
    assertSame(once, ConvChannelPadding.apply(once, 4));
    // A float input fed straight to the conv (no QuantizeLinear on the way) is not a quantized stem.
    Graph.Builder b = stem(false, DataType.INT8, new byte[] {0, 0}, 3).toBuilder().clearNodes();
    Graph g = stem(false, DataType.INT8, new byte[] {0, 0}, 3);
    for (Node n : g.nodes()) {
      if (n.name().equals("q0") || n.name().equals("dq0")) {
        continue;
      }
      b.node(n.name().equals("conv") ? Node.of("conv", n.op(), ImmutableList.of("x", "w", "bias"), n.outputs()) : n);
    }
    Graph unquantized = b.build();
    assertSame(unquantized, ConvChannelPadding.apply(unquantized, 4));
  }
}
