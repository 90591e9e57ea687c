package io.quantkit.bench;

import com.google.common.collect.ImmutableList;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Everything one driver run measured, sample by sample, with where and when. Filled by one driver
 * thread, then read; not thread-safe.
 */
public final class BenchResults {
  /** Which code path a figure measures. */
  public enum Path {
    /** quantkit's {@code Runner.run} on a backend. */
    RUNNER,
    /** ONNX Runtime's Java API called directly ({@link OrtRawBenchmark}). */
    RAW,
    /** ONNX Runtime's native build through onnxruntime-node, outside the JVM. */
    NATIVE
  }

  /** One configuration on one path. {@code backend} is "onnx" for the raw and native paths. */
  public record Key(Path path, String backend, String model, String precision, int batch, int threads, boolean spin) {
    Key on(Path other) {
      return new Key(other, other == Path.RUNNER ? backend : "onnx", model, precision, batch, threads, spin);
    }

    Key withPrecision(String p) {
      return new Key(path, backend, model, p, batch, threads, spin);
    }

    Key withThreads(Profile.Threads t) {
      return new Key(path, backend, model, precision, batch, t.threads(), t.spin());
    }
  }

  /**
   * One fork / one node process, per measured iteration: wall-clock microseconds per call, bytes
   * allocated per call (JVM), CPU microseconds per call (the calling thread's on the JVM, the
   * process's for native ORT).
   */
  public record Sample(Key key, int round, ImmutableList<Double> microsPerCall, ImmutableList<Double> bytesPerCall,
      ImmutableList<Double> cpuMicrosPerCall) {}

  /** One calibration-cost round: milliseconds per FP32 pass and per calibration of each method. */
  public record CalibrationRound(int round, ImmutableList<Double> fp32PassMillis, Map<String, ImmutableList<Double>> methodMillis) {}

  final Profile profile;
  final ZonedDateTime started;
  final Machine machine;
  String loadAverageAtEnd = "n/a";
  double elapsedSeconds;
  String nativeOrt = "not run";
  Optional<String> nativeVersion = Optional.empty();
  final List<String> backends = new ArrayList<>();
  final List<Sample> samples = new ArrayList<>();
  final Map<Key, String> failures = new LinkedHashMap<>();
  final Map<String, OrtOpProfile> opProfiles = new LinkedHashMap<>();
  final List<CalibrationRound> calibration = new ArrayList<>();
  final Map<String, String> calibrationFailures = new LinkedHashMap<>();
  final List<String> notes = new ArrayList<>();

  BenchResults(Profile profile, ZonedDateTime started, Machine machine) {
    this.profile = profile;
    this.started = started;
    this.machine = machine;
  }

  public Profile profile() {
    return profile;
  }

  public List<Sample> samples() {
    return samples;
  }

  public Map<Key, String> failures() {
    return failures;
  }

  List<Sample> samples(Key key) {
    return samples.stream().filter(s -> s.key().equals(key)).toList();
  }

  List<Key> keys(Predicate<Key> filter) {
    return samples.stream().map(Sample::key).filter(filter).distinct().toList();
  }

  /** Every measured iteration of every round, microseconds per call. */
  Optional<Stats> micros(Key key) {
    List<Double> all = new ArrayList<>();
    samples(key).forEach(s -> all.addAll(s.microsPerCall()));
    return all.isEmpty() ? Optional.empty() : Optional.of(Stats.of(all));
  }

  Optional<Stats> imagesPerSecond(Key key) {
    return micros(key).map(s -> s.inverted(key.batch() * 1e6));
  }

  Optional<Stats> bytesPerCall(Key key) {
    List<Double> all = new ArrayList<>();
    samples(key).forEach(s -> all.addAll(s.bytesPerCall()));
    return all.isEmpty() ? Optional.empty() : Optional.of(Stats.of(all));
  }

  Optional<Stats> cpuMicros(Key key) {
    List<Double> all = new ArrayList<>();
    samples(key).forEach(s -> all.addAll(s.cpuMicrosPerCall()));
    return all.isEmpty() ? Optional.empty() : Optional.of(Stats.of(all));
  }

  /** The median of each round's iterations, by round: wall clock, or CPU time when {@code cpu}. */
  Map<Integer, Double> roundMedians(Key key, boolean cpu) {
    Map<Integer, Double> m = new LinkedHashMap<>();
    for (Sample s : samples(key)) {
      List<Double> v = cpu ? s.cpuMicrosPerCall() : s.microsPerCall();
      if (!v.isEmpty()) {
        m.put(s.round(), Stats.of(v).median());
      }
    }
    return m;
  }

  /**
   * f(a, b) of the two keys' medians within each round where both were measured, summarized
   * across rounds: a ratio of figures taken minutes apart on a shared machine means little, a
   * ratio of figures taken back to back does.
   */
  Optional<Stats> perRound(Key a, Key b, java.util.function.DoubleBinaryOperator f) {
    return perRound(a, b, false, f);
  }

  Optional<Stats> perRound(Key a, Key b, boolean cpu, java.util.function.DoubleBinaryOperator f) {
    Map<Integer, Double> ma = roundMedians(a, cpu);
    Map<Integer, Double> mb = roundMedians(b, cpu);
    List<Double> values = new ArrayList<>();
    ma.forEach((round, va) -> {
      Double vb = mb.get(round);
      if (vb != null) {
        values.add(f.applyAsDouble(va, vb));
      }
    });
    return values.isEmpty() ? Optional.empty() : Optional.of(Stats.of(values));
  }

  /** Speed of {@code a} over {@code b} (b's time / a's time), per round. */
  Optional<Stats> speedup(Key a, Key b) {
    return perRound(a, b, false, (ta, tb) -> tb / ta);
  }

  /** The same in CPU time per call. */
  Optional<Stats> cpuSpeedup(Key a, Key b) {
    return perRound(a, b, true, (ta, tb) -> tb / ta);
  }
}
