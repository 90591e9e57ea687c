package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.quant.QuantPlan;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quantize} uses per-channel weights by default, as the API does; {@code --no-per-channel} turns them off. */
class PerChannelDefaultTest {

  @Test
  void perChannelIsTheDefaultAndCanBeTurnedOff(@TempDir Path dir) {
    Path plan = dir.resolve("a.plan.json");
    CliRun r = CliRun.of("quantize", "--calib-size", "8", "--out", dir.resolve("a.qdq.onnx").toString(), "--plan", plan.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(QuantPlan.load(plan).options().perChannelWeights());
    Path off = dir.resolve("b.plan.json");
    r = CliRun.of("quantize", "--calib-size", "8", "--no-per-channel", "--out", dir.resolve("b.qdq.onnx").toString(), "--plan", off.toString());
    assertEquals(0, r.exit(), r.err());
    assertFalse(QuantPlan.load(off).options().perChannelWeights());
  }
}
