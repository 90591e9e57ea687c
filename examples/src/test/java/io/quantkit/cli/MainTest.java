package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.eval.AccuracyReport;
import io.quantkit.quant.QuantPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end on the shared model and data (small limits keep it fast). */
class MainTest {


  @Test
  void evalWritesAReportOfTheRequestedSize(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("r.json");
    CliRun r = CliRun.of("eval", "--backend", "reference", "--limit", "64", "--report", report.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("top-1"), r.out());
    AccuracyReport written = AccuracyReport.load(report);
    assertEquals(64, written.samples());
    assertEquals("reference", written.backend());
  }

  @Test
  void convertQuantizeInspectAndEvalAgainstABaseline(@TempDir Path dir) throws Exception {
    Path onnx = dir.resolve("m.onnx");
    assertEquals(0, CliRun.of("convert", "--to", "onnx", "--out", onnx.toString()).exit());
    assertTrue(Files.size(onnx) > 0);

    Path qdq = dir.resolve("m.qdq.onnx");
    Path plan = dir.resolve("m.plan.json");
    CliRun q = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "64", "--out", qdq.toString(), "--plan", plan.toString());
    assertEquals(0, q.exit(), q.err());
    assertTrue(q.out().contains("QLinearConv"), "quantize reports ORT's fused integer ops: " + q.out());
    assertEquals(64, QuantPlan.load(plan).calibration().samples());

    CliRun inspect = CliRun.of("inspect", qdq.toString());
    assertEquals(0, inspect.exit(), inspect.err());
    assertTrue(inspect.out().contains("QuantizeLinear"), inspect.out());

    Path base = dir.resolve("base.json");
    assertEquals(0, CliRun.of("eval", "--model", onnx.toString(), "--backend", "onnx", "--limit", "100", "--report", base.toString()).exit());
    CliRun e = CliRun.of("eval", "--model", qdq.toString(), "--backend", "onnx", "--limit", "100", "--baseline", base.toString());
    assertEquals(0, e.exit(), e.err());
    assertTrue(e.out().contains("flipped"), e.out());
  }

  /** Refused before any benchmark starts (the JMH set itself runs in quantkit-bench's tests and from the README). */
  @Test
  void benchRefusesUnknownProfilesMethodsAndSections(@TempDir Path dir) {
    CliRun profile = CliRun.of("bench", "--jmh", "--profile", "fastest", "--out-dir", dir.toString());
    assertTrue(profile.exit() != 0);
    assertTrue(profile.err().contains("--profile must be short or full, not 'fastest'"), profile.err());
    CliRun method = CliRun.of("bench", "--calibration", "minmax,kmeans", "--out-dir", dir.toString());
    assertTrue(method.exit() != 0);
    assertTrue(method.err().contains("unknown calibration method 'kmeans'"), method.err());
    CliRun section = CliRun.of("bench", "--jmh", "--sections", "hot_path,gpu", "--out-dir", dir.toString());
    assertTrue(section.exit() != 0);
    assertTrue(section.err().contains("unknown section 'gpu'"), section.err());
    assertFalse(Files.exists(dir.resolve("bench-short.md")));
  }

  @Test
  void badInputGivesOneLineAndNonZeroExit(@TempDir Path dir) throws Exception {
    Path junk = dir.resolve("junk.h5");
    Files.write(junk, new byte[] {1, 2, 3, 4});
    CliRun r = CliRun.of("eval", "--model", junk.toString(), "--limit", "8");
    assertEquals(1, r.exit());
    assertTrue(r.err().startsWith("quantkit: error: "), r.err());
    assertTrue(r.err().contains("junk.h5"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());

    CliRun missing = CliRun.of("eval", "--model", dir.resolve("missing.onnx").toString());
    assertEquals(1, missing.exit());
    assertTrue(missing.err().contains("missing.onnx"), missing.err());

    CliRun wrongSize = CliRun.of("eval", "--data", writeBadCifar(dir).toString());
    assertEquals(1, wrongSize.exit());
    assertTrue(wrongSize.err().contains("3073"), wrongSize.err());
  }

  private static Path writeBadCifar(Path dir) throws Exception {
    Path folder = dir.resolve("cifar");
    Files.createDirectories(folder);
    Files.write(folder.resolve("test_batch.bin"), new byte[3073 + 5]);
    return folder;
  }
}
