package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.ir.Graph;
import io.quantkit.ir.passes.QuantizedOpGroup;
import io.quantkit.ir.passes.QuantizedOpGroup.QdqParams;
import io.quantkit.ir.passes.QuantizedOpGroups;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The groups of quantkit's own QDQ output carry exactly the plan's parameters. */
class QdqGroupsTest {
  private static void assertParams(QuantParams expected, QdqParams actual) {
    assertEquals(expected.type().dataType(), actual.type());
    assertArrayEquals(expected.scales(), actual.scales());
    assertArrayEquals(expected.zeroPoints(), actual.zeroPoints());
    assertEquals(expected.isPerChannel(), actual.isPerAxis());
    if (expected.isPerChannel()) {
      assertEquals(expected.axis(), actual.axis());
    }
  }

  @Test
  void groupsOfTheQdqGraphMatchThePlan() {
    Graph g = QdqTest.convReluAddGemm(false);
    QuantizationResult res = Qdq.quantize(g, QdqTest.handPlan(g, QuantOptions.defaults()));
    QuantPlan used = res.plan();
    Map<String, QuantizedOpGroup> groups = QuantizedOpGroups.find(res.graph()).stream()
        .collect(Collectors.toMap(x -> x.node().name(), Function.identity()));
    // every compute node but the FP32 softmax reads dequantized inputs
    assertEquals(List.of("add", "conv1", "conv2", "dense", "flatten", "gap"), groups.keySet().stream().sorted().toList());

    QuantizedOpGroup conv1 = groups.get("conv1");
    assertTrue(conv1.allInputsDequantized());
    assertParams(used.params("x").orElseThrow(), conv1.input(0).params().orElseThrow());
    assertParams(used.params("w1").orElseThrow(), conv1.input(1).params().orElseThrow());
    assertTrue(conv1.input(1).params().orElseThrow().isPerAxis());
    assertParams(used.params("b1").orElseThrow(), conv1.input(2).params().orElseThrow());
    assertEquals(3 * 2 * 3 * 3, conv1.input(1).constant().orElseThrow().size());
    // relu1 folded: conv1 writes r1, which one QuantizeLinear reads
    assertEquals("r1", conv1.output().orElseThrow().tensor());
    assertFalse(conv1.output().orElseThrow().alsoReadAsFloat());
    assertParams(used.params("r1").orElseThrow(), conv1.outputParams().orElseThrow());

    QuantizedOpGroup add = groups.get("add");
    assertParams(used.params("c2").orElseThrow(), add.input(0).params().orElseThrow());
    assertParams(used.params("r1").orElseThrow(), add.input(1).params().orElseThrow());
    assertParams(used.params("r2").orElseThrow(), add.outputParams().orElseThrow());

    // the dense layer feeds the FP32 softmax: quantized inputs, float output
    QuantizedOpGroup dense = groups.get("dense");
    assertTrue(dense.allInputsDequantized());
    assertTrue(dense.output().isEmpty());
  }
}
