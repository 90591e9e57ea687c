package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.eval.AccuracyReport;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.debug.QuantErrorReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quantize} without --out (the whole job) and {@code debug}, on the shared ResNet8 with small limits. */
class ReportCommandsTest {

  @Test
  void quantizeWithoutOutRunsTheWholeJob(@TempDir Path dir) throws Exception {
    Path outDir = dir.resolve("job");
    CliRun r = CliRun.of("quantize", "--calib-size", "50", "--eval-limit", "100", "--backends", "onnx", "--out-dir", outDir.toString());
    assertEquals(0, r.exit(), r.err());
    String out = r.out();
    assertTrue(out.contains("fp32"), out);
    assertTrue(out.contains("uint8-pertensor-minmax"), out);
    assertTrue(out.contains("uint8-perchannel-minmax"), out);
    assertTrue(out.contains("per-layer SQNR"), out);
    assertTrue(out.contains("report: " + outDir.resolve("report.html")), out);
    // the FP32 and INT8 figures printed are those of the files written
    AccuracyReport fp32 = AccuracyReport.readJson(outDir.resolve("fp32.report.json"));
    AccuracyReport int8 = AccuracyReport.readJson(outDir.resolve("uint8-pertensor-minmax.report.json"));
    assertEquals(100, int8.samples());
    assertTrue(out.contains(String.format(java.util.Locale.ROOT, "%.2f %%", 100 * fp32.top1())), out);
    assertTrue(out.contains(String.format(java.util.Locale.ROOT, "%.2f %%", 100 * int8.top1())), out);
    assertEquals(50, QuantPlan.load(outDir.resolve("uint8-perchannel-minmax.plan.json")).calibration().samples());
    assertTrue(QuantPlan.load(outDir.resolve("uint8-perchannel-minmax.plan.json")).options().perChannelWeights());
    QuantErrorReport layers = QuantErrorReport.readJson(outDir.resolve("uint8-pertensor-minmax.layers.json"));
    assertEquals(10, layers.weights().size());
    String html = Files.readString(outDir.resolve("report.html"));
    assertTrue(html.contains("report-data") && html.contains("Chart.js v"), "a self-contained report");
    assertTrue(Files.size(outDir.resolve("uint8-pertensor-minmax.qdq.onnx")) > 50_000);
  }

  @Test
  void quantizeJobRefusesPlanFlags(@TempDir Path dir) {
    CliRun r = CliRun.of("quantize", "--plan", dir.resolve("p.json").toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().startsWith("quantkit: error: --plan and --from-plan go with --out"), r.err());
  }

  @Test
  void debugPrintsJsonForAPlanAndForAQdqModel(@TempDir Path dir) throws Exception {
    Path qdq = dir.resolve("m.qdq.onnx");
    Path plan = dir.resolve("m.plan.json");
    assertEquals(0, CliRun.of("quantize", "--calib-size", "50", "--out", qdq.toString(), "--plan", plan.toString()).exit());

    CliRun fromPlan = CliRun.of("debug", "--plan", plan.toString(), "--json", "--limit", "40");
    assertEquals(0, fromPlan.exit(), fromPlan.err());
    QuantErrorReport a = QuantErrorReport.fromJson(fromPlan.out());
    assertEquals(40, a.images());
    assertEquals("onnx", a.backend());
    assertTrue(a.activations().size() >= 14);

    Path json = dir.resolve("layers.json");
    CliRun fromModel = CliRun.of("debug", "--qdq", qdq.toString(), "--limit", "40", "--out", json.toString());
    assertEquals(0, fromModel.exit(), fromModel.err());
    assertTrue(fromModel.out().contains("SQNR dB"), fromModel.out());
    QuantErrorReport b = QuantErrorReport.readJson(json);
    // the same model through its plan or through its .onnx file: the same tensors, the same figures
    assertEquals(names(a), names(b));
    for (int i = 0; i < a.activations().size(); i++) {
      assertEquals(a.activations().get(i).sqnrDb(), b.activations().get(i).sqnrDb(), 1e-6, a.activations().get(i).tensor());
    }
    assertEquals(a.flips(), b.flips());

    CliRun neither = CliRun.of("debug", "--limit", "4");
    assertEquals(2, neither.exit(), "picocli usage error: one of --plan, --qdq is required");
  }

  private static List<String> names(QuantErrorReport r) {
    return r.activations().stream().map(QuantErrorReport.ActivationError::tensor).collect(Collectors.toList());
  }
}
