package io.quantkit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JMH path end to end with almost no measuring: forks start on this class path, find the
 * models, and report a score, bytes per call and CPU time per call. Not a timing assertion: only
 * that every figure the report needs is there and positive.
 */
@Tag("integration")
class JmhSmokeTest {
  @TempDir Path dir;

  /**
   * JMH allows one run per machine (a lock file in the temp folder) so that two measurements do not
   * disturb each other; this test measures nothing, and must not fail because someone benchmarks.
   */
  @BeforeAll
  static void ignoreJmhLock() {
    System.setProperty("jmh.ignoreLock", "true");
  }

  /** The probe model and one input image: all these forks read (no ResNet8, no calibration). */
  private BenchModels probeOnly() {
    BenchModels models = BenchModels.at(dir);
    models.modelBytes(Model.PROBE, Precision.FP32);
    models.input(1);
    return models;
  }

  @Test
  void rawAndRunnerBenchmarksReportScoreAllocationAndCpuTime() {
    BenchModels models = probeOnly();
    JmhInvoker jmh = new JmhInvoker(List.of("-Xmx512m", "-D" + BenchModels.DIR_PROPERTY + "=" + dir));
    Profile.Timing t = new Profile.Timing(1, 200, 2, 200);
    Map<String, String> params = JmhInvoker.params("model", "probe", "precision", "fp32", "batch", "1", "threads", "1", "spin", "false");
    JmhInvoker.Measured raw = jmh.run(OrtRawBenchmark.class, "run", params, t, true);
    Map<String, String> runnerParams = new java.util.HashMap<>(params);
    runnerParams.put("backend", "onnx");
    JmhInvoker.Measured runner = jmh.run(RunnerBenchmark.class, "run", runnerParams, t, true);
    for (JmhInvoker.Measured m : List.of(raw, runner)) {
      assertTrue(m.ok(), m.error().orElse(""));
      assertEquals(2, m.scores().size());
      assertEquals(2, m.allocatedBytesPerOp().size());
      assertEquals(2, m.cpuMicrosPerOp().size());
      assertTrue(m.scores().stream().allMatch(s -> s > 0));
      assertTrue(m.cpuMicrosPerOp().stream().allMatch(s -> s > 0));
    }
    assertTrue(models.modelFile(Model.PROBE, Precision.FP32).toFile().isFile());
  }

  @Test
  void aBackendThatCannotRunTheModelIsReportedNotThrown() {
    probeOnly();
    JmhInvoker jmh = new JmhInvoker(List.of("-Xmx512m", "-D" + BenchModels.DIR_PROPERTY + "=" + dir));
    JmhInvoker.Measured m = jmh.run(RunnerBenchmark.class, "run", JmhInvoker.params("backend", "no-such-backend", "model", "probe",
        "precision", "fp32", "batch", "1", "threads", "1", "spin", "false"), new Profile.Timing(1, 100, 1, 100), false);
    assertTrue(m.error().orElse("").contains("no backend named 'no-such-backend'"), m.error().orElse(""));
  }
}
