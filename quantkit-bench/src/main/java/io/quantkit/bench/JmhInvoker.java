package io.quantkit.bench;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs one JMH benchmark method for one set of parameters (one fork) through JMH's API and keeps
 * every measurement iteration, so the driver can take medians across interleaved rounds. JMH's own
 * console output is captured and only its first error line is kept, for the report.
 */
final class JmhInvoker {
  /**
   * What one fork measured, per iteration: the primary score, bytes allocated per operation (gc
   * profiler) and the benchmark thread's CPU microseconds per call ({@link CpuClock}), where asked
   * for and available.
   */
  record Measured(ImmutableList<Double> scores, ImmutableList<Double> allocatedBytesPerOp, ImmutableList<Double> cpuMicrosPerOp,
      Optional<String> error) {
    static Measured failed(String why) {
      return new Measured(ImmutableList.of(), ImmutableList.of(), ImmutableList.of(), Optional.of(why));
    }

    boolean ok() {
      return error.isEmpty() && !scores.isEmpty();
    }
  }

  private final ImmutableList<String> jvmArgs;

  JmhInvoker(List<String> jvmArgs) {
    this.jvmArgs = ImmutableList.copyOf(jvmArgs);
  }

  Measured run(Class<?> benchmark, String method, Map<String, String> params, Profile.Timing timing, boolean gcProfiler) {
    ChainedOptionsBuilder b = new OptionsBuilder()
        .include("^" + Pattern.quote(benchmark.getName() + "." + method) + "$")
        .forks(1)
        .warmupIterations(timing.warmupIterations())
        .warmupTime(TimeValue.milliseconds(timing.warmupMillis()))
        .measurementIterations(timing.iterations())
        .measurementTime(TimeValue.milliseconds(timing.iterationMillis()))
        .jvmArgs(jvmArgs.toArray(String[]::new))
        .shouldFailOnError(false)
        .verbosity(VerboseMode.NORMAL);
    params.forEach(b::param);
    if (gcProfiler) {
      b.addProfiler(GCProfiler.class);
    }
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Collection<RunResult> results;
    try (PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
      results = new Runner(b.build(), OutputFormatFactory.createFormatInstance(out, VerboseMode.NORMAL)).run();
    } catch (RunnerException e) {
      String text = String.valueOf(e.getMessage()) + console.toString(StandardCharsets.UTF_8);
      if (lockRefused(text)) {
        throw lockHeld();
      }
      return Measured.failed("JMH failed: " + e.getMessage());
    }
    List<Double> scores = new ArrayList<>();
    List<Double> allocated = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    for (RunResult rr : results) {
      for (BenchmarkResult br : rr.getBenchmarkResults()) {
        for (IterationResult ir : br.getIterationResults()) {
          scores.add(ir.getPrimaryResult().getScore());
          Map<String, Result<?>> secondary = new java.util.HashMap<>();
          ir.getSecondaryResults().forEach(secondary::put);
          for (Map.Entry<String, Result<?>> e : secondary.entrySet()) {
            if (e.getKey().endsWith("gc.alloc.rate.norm")) {
              allocated.add(e.getValue().getScore());
            }
          }
          if (secondary.containsKey("cpuNanos") && secondary.containsKey("calls") && secondary.get("calls").getScore() > 0) {
            cpu.add(secondary.get("cpuNanos").getScore() / secondary.get("calls").getScore() / 1e3);
          }
        }
      }
    }
    if (scores.isEmpty()) {
      String text = console.toString(StandardCharsets.UTF_8);
      if (lockRefused(text)) {
        throw lockHeld();
      }
      return Measured.failed(firstError(text));
    }
    return new Measured(ImmutableList.copyOf(scores), ImmutableList.copyOf(allocated), ImmutableList.copyOf(cpu), Optional.empty());
  }

  /** JMH's own words when it exits for the lock (with -Djmh.ignoreLock=true it only warns and goes on). */
  private static boolean lockRefused(String console) {
    return console.contains("Unable to acquire the JMH lock") && console.contains("exiting");
  }

  /** Two benchmark runs on one machine measure each other: JMH refuses the second, and so would every later fork. */
  private static BenchmarkException lockHeld() {
    return new BenchmarkException("another JMH run holds " + Path.of(System.getProperty("java.io.tmpdir"), "jmh.lock")
        + "; wait for it to finish (two benchmark runs at once measure each other)");
  }

  static Map<String, String> params(String... keyValues) {
    ImmutableMap.Builder<String, String> m = ImmutableMap.builder();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m.build();
  }

  /** The exception line of a failed fork, e.g. "io.quantkit.UnsupportedOpException: ...". */
  static String firstError(String console) {
    for (String line : console.split("\\R")) {
      String t = line.trim();
      if (t.matches("^([a-z][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error)(: .*)?$")) {
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
      }
    }
    return "no result (JMH printed no exception)";
  }
}
