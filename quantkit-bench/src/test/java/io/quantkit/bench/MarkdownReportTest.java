package io.quantkit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import io.quantkit.bench.BenchResults.Key;
import io.quantkit.bench.BenchResults.Path;
import io.quantkit.bench.BenchResults.Sample;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownReportTest {
  private static final Key RUNNER_FP32 = new Key(Path.RUNNER, "onnx", "resnet8", "fp32", 32, 1, false);

  private static BenchResults results(String loadAverage) {
    Machine m = new Machine("Test CPU", ImmutableList.of("avx2", "avx512_vnni"), 2, "Linux", "JVM 17", "1.23.2", loadAverage);
    BenchResults r = new BenchResults(Profile.SHORT, ZonedDateTime.parse("2026-12-02T10:00:00Z"), m);
    r.loadAverageAtEnd = loadAverage;
    r.backends.addAll(List.of("reference", "onnx"));
    return r;
  }

  private static void add(BenchResults r, Key k, int round, double... micros) {
    ImmutableList.Builder<Double> b = ImmutableList.builder();
    for (double v : micros) {
      b.add(v);
    }
    r.samples.add(new Sample(k, round, b.build(), ImmutableList.of(100.0), b.build()));
  }

  /**
   * Round 1 ran everything twice as slow as round 0 (a busy phase); per-round ratios see through
   * it, a ratio of the pooled medians would mix the phases.
   */
  @Test
  void ratiosAreTakenWithinRoundsBeforeTheirMedian() {
    BenchResults r = results("0.10 0.20 0.30");
    Key raw = RUNNER_FP32.on(Path.RAW);
    Key nat = RUNNER_FP32.on(Path.NATIVE);
    Key int8 = RUNNER_FP32.withPrecision("int8");
    add(r, raw, 0, 1000, 1000, 1000);
    add(r, RUNNER_FP32, 0, 1010, 1010, 1010);
    add(r, nat, 0, 990, 990, 990);
    add(r, int8, 0, 505, 505, 505);
    add(r, raw, 1, 2000, 2000, 2000);
    add(r, RUNNER_FP32, 1, 2020, 2020, 2020);
    add(r, nat, 1, 1980, 1980, 1980);
    add(r, int8, 1, 1010, 1010, 1010);

    assertEquals(1000 / 1010.0, r.speedup(RUNNER_FP32, raw).orElseThrow().median(), 1e-12);
    assertEquals(2.0, r.speedup(int8, RUNNER_FP32).orElseThrow().median(), 1e-12);
    assertEquals(15.0, r.perRound(RUNNER_FP32, raw, (a, b) -> a - b).orElseThrow().median(), 1e-12);

    String md = MarkdownReport.render(r, "./quantkit bench --jmh");
    assertTrue(md.contains("| fp32 | 32 | 1 | 21,122 (15,842–31,683) | 21,333 (16,000–32,000) | 21,549 (16,162–32,323) | 0.99x (0.99–0.99) |"), md);
    assertTrue(md.contains("| quantkit / onnx | 32 | 1 |"), md);
    assertTrue(md.contains("| 2.00x (2.00–2.00) |"), md);
    assertTrue(md.contains("VNNI: yes"), md);
    assertFalse(md.contains("busy with other work"), md);
  }

  @Test
  void saysWhenTheMachineWasBusy() {
    BenchResults r = results("7.50 6.00 5.00");
    add(r, RUNNER_FP32, 0, 1000);
    assertTrue(MarkdownReport.render(r, "x").contains("busy with other work"));
  }

  @Test
  void listsWhatCouldNotBeMeasured() {
    BenchResults r = results("0.1 0.1 0.1");
    add(r, RUNNER_FP32, 0, 1000);
    r.nativeOrt = "skipped: npm is not on the PATH";
    r.failures.put(new Key(Path.RUNNER, "tf", "resnet8", "int8", 32, 2, false), "io.quantkit.UnsupportedOpException: QuantizeLinear");
    String md = MarkdownReport.render(r, "x");
    assertTrue(md.contains("native ONNX Runtime: skipped: npm is not on the PATH"), md);
    assertTrue(md.contains("| tf | int8 | 32 | 2 no-spin | n/a: io.quantkit.UnsupportedOpException: QuantizeLinear"), md);
  }
}
