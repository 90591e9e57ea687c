package io.quantkit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JmhInvokerTest {

  @Test
  void keepsTheExceptionLineOfAFailedFork() {
    String console = "# Warmup Iteration   1: <failure>\n\n"
        + "java.lang.IllegalStateException: re-exporting x.onnx does not give the file's bytes\n"
        + "\tat io.quantkit.bench.RunnerBenchmark.setUp(RunnerBenchmark.java:71)\n";
    assertEquals("java.lang.IllegalStateException: re-exporting x.onnx does not give the file's bytes", JmhInvoker.firstError(console));
    assertEquals("io.quantkit.UnsupportedOpException", JmhInvoker.firstError("io.quantkit.UnsupportedOpException\n"));
    assertEquals("no result (JMH printed no exception)", JmhInvoker.firstError("# Run complete.\n"));
  }
}
