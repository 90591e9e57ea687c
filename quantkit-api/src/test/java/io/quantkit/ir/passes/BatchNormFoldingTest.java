package io.quantkit.ir.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchNormFoldingTest {
  private static Graph oneByOne(boolean withBias) {
    Graph.Builder b = Graph.builder("g");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2, 1, 1)));
    b.initializer("w", Tensor.ofFloats(Shape.of(2, 2, 1, 1), 1f, 0f, 0.5f, -1f));
    if (withBias) {
      b.initializer("b", Tensor.ofFloats(Shape.of(2), 0.1f, 0.2f));
    }
    b.node(Node.of("conv", TestGraphs.conv(1, 1, Padding.valid()), withBias ? List.of("x", "w", "b") : List.of("x", "w"),
        List.of("conv_out")));
    b.initializer("gamma", Tensor.ofFloats(Shape.of(2), 2f, 0.5f));
    b.initializer("beta", Tensor.ofFloats(Shape.of(2), 0f, 1f));
    b.initializer("mean", Tensor.ofFloats(Shape.of(2), 1f, -1f));
    b.initializer("var", Tensor.ofFloats(Shape.of(2), 3f, 0f));
    b.node(Node.of("bn", new Op.BatchNorm(1f), List.of("conv_out", "gamma", "beta", "mean", "var"), List.of("bn_out")));
    b.output("bn_out");
    return b.build();
  }

  @Test
  void foldsIntoHandComputedWeightsAndBias() {
    // sqrt(var + eps) = [2, 1], so the factors gamma / sqrt(var + eps) are [1, 0.5]:
    // W' = [[1, 0], [0.25, -0.5]], b' = [(0.1 - 1) * 1 + 0, (0.2 + 1) * 0.5 + 1] = [-0.9, 1.6]
    Graph folded = BatchNormFolding.apply(oneByOne(true));
    assertEquals(1, folded.nodes().size());
    Node conv = folded.nodes().get(0);
    assertEquals("conv", conv.name());
    assertEquals("bn_out", conv.output());
    assertArrayEquals(new float[] {1f, 0f, 0.25f, -0.5f}, folded.initializer(conv.input(1)).orElseThrow().toFloatArray(), 1e-7f);
    assertArrayEquals(new float[] {-0.9f, 1.6f}, folded.initializer(conv.input(2)).orElseThrow().toFloatArray(), 1e-6f);
    // x = [1, 2]: conv = [1.1, -1.3], BN = [(1.1 - 1) / 2 * 2, (-1.3 + 1) / 1 * 0.5 + 1] = [0.1, 0.85]
    Tensor x = Tensor.ofFloats(Shape.of(1, 2, 1, 1), 1f, 2f);
    assertArrayEquals(new float[] {0.1f, 0.85f}, ReferenceBackend.execute(folded, Map.of("x", x), List.of("bn_out")).get("bn_out").toFloatArray(), 1e-6f);
  }

  @Test
  void createsABiasWhenTheConvHasNone() {
    Graph folded = BatchNormFolding.apply(oneByOne(false));
    Node conv = folded.nodes().get(0);
    assertEquals("conv_bias", conv.input(2));
    // b' = (0 - mean) * [1, 0.5] + beta = [-1, 1.5]
    assertArrayEquals(new float[] {-1f, 1.5f}, folded.initializer("conv_bias").orElseThrow().toFloatArray(), 1e-6f);
  }

  @Test
  void foldedNetworkComputesTheSameAsTheUnfoldedOne() {
    Graph g = TestGraphs.tinyResNet(7);
    Graph folded = BatchNormFolding.apply(g);
    assertTrue(folded.nodes().stream().noneMatch(n -> n.op() instanceof Op.BatchNorm));
    assertTrue(folded.producer("bn1_out").isPresent() && folded.producer("bn1_out").get().name().equals("conv1"));
    Tensor x = TestGraphs.positive(new Random(1), 0, 255, 2, 8, 8, 3);
    float[] want = ReferenceBackend.execute(g, Map.of("input", x), g.outputs()).get("logits").toFloatArray();
    float[] got = ReferenceBackend.execute(folded, Map.of("input", x), folded.outputs()).get("logits").toFloatArray();
    assertArrayEquals(want, got, 1e-4f * maxAbs(want));
    assertSame(folded, BatchNormFolding.apply(folded), "folding is idempotent");
  }

  @Test
  void batchNormThatCannotBeFoldedStays() {
    // the conv output is also read by a second node
    Graph.Builder b = oneByOne(true).toBuilder();
    b.node(Node.of("relu", new Op.Relu(), List.of("conv_out"), List.of("side")));
    b.output("side");
    Graph shared = b.build();
    assertSame(shared, BatchNormFolding.apply(shared));
    // BN after something that is not a conv
    Graph.Builder c = Graph.builder("g2");
    c.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2, 1, 1)));
    c.node(Node.of("relu", new Op.Relu(), List.of("x"), List.of("r")));
    c.initializer("s", Tensor.ofFloats(Shape.of(2), 1f, 1f));
    c.initializer("z", Tensor.ofFloats(Shape.of(2), 0f, 0f));
    c.node(Node.of("bn", new Op.BatchNorm(1e-3f), List.of("r", "s", "z", "z", "s"), List.of("y")));
    c.output("y");
    Graph notConv = c.build();
    assertSame(notConv, BatchNormFolding.apply(notConv));
  }

  @Test
  void sharedWeightsGetANewName() {
    Graph.Builder b = oneByOne(true).toBuilder();
    b.node(Node.of("conv_twin", TestGraphs.conv(1, 1, Padding.valid()), List.of("x", "w"), List.of("twin")));
    b.output("twin");
    Graph folded = BatchNormFolding.apply(b.build());
    assertEquals("conv_folded_weight", folded.node("conv").orElseThrow().input(1));
    assertArrayEquals(new float[] {1f, 0f, 0.5f, -1f}, folded.initializer("w").orElseThrow().toFloatArray());
  }

  private static float maxAbs(float[] v) {
    float m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
