package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantkit.quant.QuantPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize's accuracy flags and the sensitivity command on the shared ResNet8, small sets. */
class AccuracyCommandsTest {

  @Test
  void quantizeWithAutoBiasCorrectionAndEqualizationWritesAFormat3Plan(@TempDir Path dir) throws Exception {
    Path qdq = dir.resolve("m.qdq.onnx");
    Path plan = dir.resolve("m.plan.json");
    CliRun q = CliRun.of("quantize", "--calib-size", "64", "--method", "auto", "--per-channel", "--equalize",
        "--bias-correction", "--out", qdq.toString(), "--plan", plan.toString());
    assertEquals(0, q.exit(), q.err());
    assertTrue(q.out().contains("equalized 3 conv pairs"), q.out());
    assertTrue(q.out().contains("bias correction: 10 layers"), q.out());
    assertTrue(Files.readString(plan).contains("\"quantkit.quant-plan/3\""));
    QuantPlan p = QuantPlan.load(plan);
    assertEquals("auto", p.calibration().estimator());
    assertTrue(p.metadata().keySet().stream().anyMatch(k -> k.startsWith("estimator.")), p.metadata().toString());
    assertFalse(p.adjustments().isEmpty());
  }

  @Test
  void quantizeMaxFlipsKeepsLayersFp32UntilTheValidationTargetHolds(@TempDir Path dir) throws Exception {
    Path qdq = dir.resolve("m.qdq.onnx");
    Path plan = dir.resolve("m.plan.json");
    CliRun q = CliRun.of("quantize", "--calib-size", "64", "--max-flips", "0", "--val-size", "100",
        "--out", qdq.toString(), "--plan", plan.toString());
    assertEquals(0, q.exit(), q.err());
    assertTrue(q.out().contains("images 64..163 of"), q.out());
    QuantPlan p = QuantPlan.load(plan);
    assertEquals("flips <= 0", p.metadata().get("fallback.target"));
    assertEquals(p.options().excludeNodes().size(),
        p.metadata().get("fallback.keptFp32").isEmpty() ? 0 : p.metadata().get("fallback.keptFp32").split(",").length);
  }

  @Test
  void sensitivityPrintsATableAndWritesJson(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("s.json");
    CliRun s = CliRun.of("sensitivity", "--calib-size", "32", "--val-size", "50", "--json", json.toString());
    assertEquals(0, s.exit(), s.err());
    assertTrue(s.out().contains("| conv2d |"), s.out());
    JsonNode n = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("quantkit.sensitivity/1", n.get("format").asText());
    assertEquals(14, n.get("layers").size());
    assertEquals(50, n.get("fp32").get("images").asInt());
  }

  @Test
  void badAccuracyFlagsAreRefused(@TempDir Path dir) {
    Path out = dir.resolve("x.onnx");
    CliRun overlap = CliRun.of("quantize", "--calib-size", "64", "--max-flips", "1", "--val-start", "10", "--out", out.toString());
    assertEquals(1, overlap.exit());
    assertTrue(overlap.err().contains("inside the 64 calibration images"), overlap.err());
    assertFalse(Files.exists(out));
    CliRun noOut = CliRun.of("quantize", "--equalize");
    assertEquals(1, noOut.exit());
    assertTrue(noOut.err().contains("need --out"), noOut.err());
  }
}
