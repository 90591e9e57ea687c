package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep command with --spark local[2] writes the table, plans and reports the command writes
 * without it (eight configurations on the 1,000 test images; the JPEG and PyTorch columns are left
 * out to keep it to a few minutes).
 */
@Tag("integration")
class SparkSweepIntegrationTest {
  @Test
  void sparkSweepWritesTheSingleMachineTable(@TempDir Path dir) throws Exception {
    String[] args = {"sweep", "--methods", "minmax,entropy", "--no-jpeg", "--also-on=", "--threads", "1", "--out-dir"};
    CliRun one = CliRun.of(concat(args, dir.resolve("one").toString()));
    assertEquals(0, one.exit(), one.err());
    CliRun many = CliRun.of(concat(args, dir.resolve("many").toString(), "--spark", "local[2]"));
    assertEquals(0, many.exit(), many.err());
    String table = Files.readString(dir.resolve("one/sweep.md"));
    assertTrue(table.contains("| uint8 | per-channel | entropy |"), table);
    assertEquals(table, Files.readString(dir.resolve("many/sweep.md")));
    for (String config : new String[] {"uint8-pertensor-minmax", "int8-perchannel-entropy"}) {
      assertEquals(-1, Files.mismatch(dir.resolve("one/" + config + ".plan.json"), dir.resolve("many/" + config + ".plan.json")));
      assertEquals(-1, Files.mismatch(dir.resolve("one/" + config + ".report.json"), dir.resolve("many/" + config + ".report.json")));
    }
  }

  @Test
  void sparkSensitivityScanWritesTheSingleMachineTable(@TempDir Path dir) throws Exception {
    String[] args = {"sweep", "--sensitivity", "--methods", "minmax", "--activations", "uint8", "--calib-size", "100",
        "--no-jpeg", "--also-on=", "--threads", "1", "--out-dir"};
    CliRun one = CliRun.of(concat(args, dir.resolve("one").toString()));
    assertEquals(0, one.exit(), one.err());
    CliRun many = CliRun.of(concat(args, dir.resolve("many").toString(), "--spark", "local[2]"));
    assertEquals(0, many.exit(), many.err());
    String table = Files.readString(dir.resolve("one/sweep.md"));
    assertTrue(table.contains(" in FP32 |"), table);
    assertEquals(table, Files.readString(dir.resolve("many/sweep.md")));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
