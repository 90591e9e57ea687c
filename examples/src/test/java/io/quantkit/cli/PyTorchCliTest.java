package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.ComparisonReport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI with the pytorch backend: convert to TorchScript, eval and compare a .pt as it is. */
class PyTorchCliTest {


  @Test
  void convertToTorchScriptThenEvalAndCompareTheFileAsItIs(@TempDir Path dir) throws Exception {
    Path pt = dir.resolve("resnet8.pt");
    CliRun c = CliRun.of("convert", "--to", "torchscript", "--out", pt.toString());
    assertEquals(0, c.exit(), c.err());
    assertTrue(c.out().contains("TorchScript, FP32") && c.out().contains("torch.jit.load"), c.out());

    Path ref = dir.resolve("ref.json");
    assertEquals(0, CliRun.of("eval", "--backend", "reference", "--limit", "64", "--report", ref.toString()).exit());
    Path fromGraph = dir.resolve("graph.json");
    CliRun e1 = CliRun.of("eval", "--backend", "pytorch", "--limit", "64", "--report", fromGraph.toString());
    assertEquals(0, e1.exit(), e1.err());
    Path fromFile = dir.resolve("file.json");
    CliRun e2 = CliRun.of("eval", "--model", pt.toString(), "--backend", "pytorch", "--limit", "64", "--report", fromFile.toString());
    assertEquals(0, e2.exit(), e2.err());
    AccuracyReport expected = AccuracyReport.readJson(ref);
    AccuracyReport a = AccuracyReport.readJson(fromGraph);
    AccuracyReport b = AccuracyReport.readJson(fromFile);
    assertEquals("pytorch", b.backend());
    assertEquals(expected.correct(), a.correct());
    assertEquals(expected.correct(), b.correct());

    Path cmp = dir.resolve("cmp.json");
    CliRun r = CliRun.of("compare", "--backends", "reference,onnx,pytorch,pytorch@" + pt, "--limit", "32", "--report", cmp.toString());
    assertEquals(0, r.exit(), r.err());
    ComparisonReport report = ComparisonReport.readJson(cmp);
    assertEquals(1.0, report.pair("reference", "pytorch").agreement());
    assertEquals(1.0, report.pair("onnx", "pytorch@" + pt).agreement());
  }

  @Test
  void aTorchScriptFileOnAnotherBackendIsAOneLineError(@TempDir Path dir) {
    Path pt = dir.resolve("m.pt");
    assertEquals(0, CliRun.of("convert", "--to", "torchscript", "--out", pt.toString()).exit());
    CliRun r = CliRun.of("eval", "--model", pt.toString(), "--backend", "onnx", "--limit", "8");
    assertEquals(1, r.exit());
    assertTrue(r.err().startsWith("quantkit: error: ") && r.err().contains("--backend pytorch"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void aQdqModelConvertsToInt8TorchScript(@TempDir Path dir) throws Exception {
    Path qdq = dir.resolve("m.qdq.onnx");
    CliRun q = CliRun.of("quantize", "--calib-size", "32", "--per-channel", "--out", qdq.toString());
    assertEquals(0, q.exit(), q.err());
    Path pt = dir.resolve("m-int8.pt");
    CliRun c = CliRun.of("convert", "--model", qdq.toString(), "--to", "torchscript", "--out", pt.toString());
    assertEquals(0, c.exit(), c.err());
    assertTrue(c.out().contains("TorchScript, INT8") && c.out().contains("quantized::conv2d=9"), c.out());
    assertTrue(Files.size(pt) < 150_000, "INT8 weights: " + Files.size(pt) + " bytes");
    CliRun e = CliRun.of("eval", "--model", pt.toString(), "--backend", "pytorch", "--limit", "32");
    assertEquals(0, e.exit(), e.err());
  }
}
