package io.quantkit.bench;

import com.google.common.collect.ImmutableList;
import io.quantkit.backend.RunnerOptions;
import java.util.List;
import java.util.Locale;

/**
 * How long and how wide the driver measures. {@link #SHORT} fits in about 5 minutes on a 2-core
 * machine; {@link #FULL} adds the spinning grid at both thread counts, batch 1 on the pure-Java
 * executor, every calibration method and more rounds.
 */
public enum Profile {
  SHORT(2, new Timing(2, 500, 3, 500), List.of(new Threads(1, false), new Threads(2, defaultSpin())),
      List.of(32), new Threads(2, defaultSpin()), false, new Timing(4, 500, 3, 500), List.of("minmax", "entropy"), 1,
      new Timing(1, 1000, 3, 1000), 30),
  FULL(3, new Timing(3, 1000, 5, 1000), List.of(new Threads(1, false), new Threads(2, false), new Threads(2, true)),
      List.of(1, 32), new Threads(2, defaultSpin()), true, new Timing(5, 1000, 5, 1000), List.of("minmax", "percentile", "entropy", "mse"),
      2, new Timing(2, 2000, 5, 2000), 200);

  /** JMH iteration counts and lengths (the native script uses the same). */
  public record Timing(int warmupIterations, int warmupMillis, int iterations, int iterationMillis) {}

  /** Intra-op threads and whether idle workers spin. */
  public record Threads(int threads, boolean spin) {
    public String label() {
      return threads == 1 ? "1" : threads + (spin ? " spin" : " no-spin");
    }
  }

  /** Interleaved rounds of the hot-path grid: every configuration runs once per round on each path. */
  public final int rounds;
  public final Timing timing;
  public final ImmutableList<Threads> threads;
  /** Batch sizes for backends other than ONNX Runtime (the pure-Java executor is slow at batch 1). */
  public final ImmutableList<Integer> otherBackendBatches;
  public final Threads otherBackendThreads;
  /** Whether other backends run in every round or only once. */
  public final boolean otherBackendsEveryRound;
  /**
   * The probe model's timing: its calls take microseconds, and quantkit's few microseconds of Java
   * only reach C2-compiled code after some 100,000 calls (longer when the compiler thread competes
   * for the CPU), so it warms up longer than the ResNet8 runs.
   */
  public final Timing probeTiming;
  public final ImmutableList<String> calibrationMethods;
  public final int calibrationRounds;
  public final Timing calibrationTiming;
  /** Measured runs in ONNX Runtime's per-op profile (after as many warm-up runs). */
  public final int opProfileRuns;

  Profile(int rounds, Timing timing, List<Threads> threads, List<Integer> otherBackendBatches, Threads otherBackendThreads,
      boolean otherBackendsEveryRound, Timing probeTiming, List<String> calibrationMethods, int calibrationRounds,
      Timing calibrationTiming, int opProfileRuns) {
    this.rounds = rounds;
    this.timing = timing;
    this.threads = ImmutableList.copyOf(threads);
    this.otherBackendBatches = ImmutableList.copyOf(otherBackendBatches);
    this.otherBackendThreads = otherBackendThreads;
    this.otherBackendsEveryRound = otherBackendsEveryRound;
    this.probeTiming = probeTiming;
    this.calibrationMethods = ImmutableList.copyOf(calibrationMethods);
    this.calibrationRounds = calibrationRounds;
    this.calibrationTiming = calibrationTiming;
    this.opProfileRuns = opProfileRuns;
  }

  /** The short profile measures two threads as {@code RunnerOptions.defaults()} would run them. */
  private static boolean defaultSpin() {
    return RunnerOptions.defaults().busyWait();
  }

  public static Profile parse(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
