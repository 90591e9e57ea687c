package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.eval.AccuracyReport;
import io.quantkit.quant.QuantPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eval and quantize with --spark local[2] write the report and plan the same commands write without it. */
class SparkCliTest {
  @Test
  void evalWithSparkWritesTheSingleMachineReport(@TempDir Path dir) throws Exception {
    Path one = dir.resolve("one.json");
    Path many = dir.resolve("many.json");
    CliRun a = CliRun.of("eval", "--backend", "onnx", "--limit", "300", "--threads", "1", "--report", one.toString());
    assertEquals(0, a.exit(), a.err());
    CliRun b = CliRun.of("eval", "--backend", "onnx", "--limit", "300", "--threads", "1", "--spark", "local[2]",
        "--report", many.toString());
    assertEquals(0, b.exit(), b.err());
    assertEquals(AccuracyReport.load(one), AccuracyReport.load(many));
    assertEquals(Files.readString(one), Files.readString(many));
    assertTrue(b.err().contains("spark: evaluating on local[2]"), b.err());
  }

  @Test
  void quantizeWithSparkWritesTheSingleMachinePlan(@TempDir Path dir) throws Exception {
    String[] common = {"quantize", "--method", "entropy", "--calib-size", "120", "--threads", "1"};
    CliRun a = CliRun.of(concat(common, "--out", dir.resolve("one.onnx").toString(), "--plan", dir.resolve("one.json").toString()));
    assertEquals(0, a.exit(), a.err());
    CliRun b = CliRun.of(concat(common, "--spark", "local[2]", "--out", dir.resolve("many.onnx").toString(), "--plan",
        dir.resolve("many.json").toString()));
    assertEquals(0, b.exit(), b.err());
    assertEquals(QuantPlan.load(dir.resolve("one.json")), QuantPlan.load(dir.resolve("many.json")));
    assertEquals(-1, Files.mismatch(dir.resolve("one.onnx"), dir.resolve("many.onnx")));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
