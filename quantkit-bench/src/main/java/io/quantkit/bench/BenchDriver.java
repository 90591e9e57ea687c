package io.quantkit.bench;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.backend.Backends;
import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import io.quantkit.bench.BenchResults.CalibrationRound;
import io.quantkit.bench.BenchResults.Key;
import io.quantkit.bench.BenchResults.Path;
import io.quantkit.bench.BenchResults.Sample;
import io.quantkit.onnx.OrtBackend;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The one benchmark run behind the README's speed figures. Every configuration (precision x batch x
 * threads) runs on each path in turn: ONNX Runtime's Java API directly, quantkit's {@code Runner},
 * ONNX Runtime's native build (Node); then the next configuration; then the whole grid again in
 * reverse order, for {@link Profile#rounds} rounds. A slow phase of a shared machine so hits every
 * path of a comparison alike, and ratios are taken within a round before their median is.
 *
 * <p>Then: the same for every other backend the SPI finds (quantkit's path only: there is no raw
 * call to compare with), the probe model that shows quantkit's per-call cost, ONNX Runtime's per-op
 * profile at batch 32, and the calibration cost. JMH measures every JVM figure (one fork each).
 *
 * <p>One run at a time per machine: JMH holds a lock file for the whole of a run (a second run
 * fails with {@link BenchmarkException}), and two runs would measure each other anyway.
 */
public final class BenchDriver {
  /** Parts of a run. */
  public enum Section {
    HOT_PATH,
    OTHER_BACKENDS,
    PROBE,
    OP_PROFILE,
    CALIBRATION
  }

  /** What to run and where to write. */
  public record Options(Profile profile, java.nio.file.Path workDir, Optional<java.nio.file.Path> nativeDir, List<String> backends,
      Set<Section> sections, List<String> calibrationMethods) {
    public Options {
      Preconditions.checkNotNull(profile, "profile");
      backends = ImmutableList.copyOf(backends);
      sections = Set.copyOf(sections);
      calibrationMethods = ImmutableList.copyOf(calibrationMethods);
    }

    /** Everything, on every backend found, native baseline in {@code workDir/node}. */
    public static Options of(Profile profile, java.nio.file.Path workDir) {
      return new Options(profile, workDir, Optional.of(workDir.resolve("node")), List.of(), EnumSet.allOf(Section.class),
          profile.calibrationMethods);
    }

    public Options withNativeDir(Optional<java.nio.file.Path> dir) {
      return new Options(profile, workDir, dir, backends, sections, calibrationMethods);
    }

    public Options withBackends(List<String> names) {
      return new Options(profile, workDir, nativeDir, names, sections, calibrationMethods);
    }

    public Options withSections(Set<Section> s) {
      return new Options(profile, workDir, nativeDir, backends, s, calibrationMethods);
    }

    public Options withCalibrationMethods(List<String> methods) {
      return new Options(profile, workDir, nativeDir, backends, sections, methods);
    }
  }

  static final List<Integer> BATCHES = List.of(1, 32);
  static final int PROFILE_BATCH = 32;
  /** The op-profile variant of the INT8 model with its first convolution in FP32. */
  static final String STEM_FP32 = "int8-stemfp32";

  private final Options options;
  private final Consumer<String> progress;
  private final BenchModels models;
  private final JmhInvoker jmh;

  private BenchDriver(Options options, Consumer<String> progress) {
    this.options = options;
    this.progress = progress;
    this.models = BenchModels.at(options.workDir());
    List<String> jvmArgs = new ArrayList<>(List.of("-Xmx2g", "-D" + BenchModels.DIR_PROPERTY + "=" + models.dir(),
        "-Dai.djl.offline=true"));
    String home = System.getProperty("quantkit.home");
    if (home != null) {
      jvmArgs.add("-Dquantkit.home=" + home);
    }
    this.jmh = new JmhInvoker(jvmArgs);
  }

  /** Runs everything {@code options} asks for; {@code progress} hears one line per step. */
  public static BenchResults run(Options options, Consumer<String> progress) {
    return new BenchDriver(options, progress).run();
  }

  private BenchResults run() {
    long start = System.nanoTime();
    BenchResults results = new BenchResults(options.profile(), ZonedDateTime.now(), Machine.describe());
    results.backends.addAll(options.backends().isEmpty() ? Backends.available() : options.backends());
    progress.accept(String.format(Locale.ROOT, "quantkit bench (%s profile): %s, %s; load average %s", options.profile().id(),
        results.machine.cpuModel(), results.machine.cpuFlags(), results.machine.loadAverage()));
    progress.accept("preparing models in " + models.dir() + " (INT8: MinMax calibration on " + BenchModels.CALIBRATION_IMAGES
        + " training images)");
    models.prepare(BATCHES);

    Optional<NativeOrt> nativeOrt = Optional.empty();
    if (options.sections().contains(Section.HOT_PATH)) {
      if (options.nativeDir().isPresent()) {
        progress.accept("native baseline: " + NativeOrt.PACKAGE + "@" + NativeOrt.VERSION + " in " + options.nativeDir().get());
        NativeOrt.Result<NativeOrt> n = NativeOrt.setUp(options.nativeDir().get());
        nativeOrt = n.value();
        results.nativeOrt = n.value().isPresent() ? NativeOrt.PACKAGE + "@" + NativeOrt.VERSION : "skipped: " + n.why();
        if (n.value().isEmpty()) {
          progress.accept("native baseline skipped: " + n.why());
        }
      } else {
        results.nativeOrt = "skipped (not asked for)";
      }
      hotPath(results, nativeOrt);
    }
    if (options.sections().contains(Section.OTHER_BACKENDS)) {
      otherBackends(results);
    }
    if (options.sections().contains(Section.PROBE)) {
      probe(results);
    }
    if (options.sections().contains(Section.OP_PROFILE)) {
      opProfile(results);
    }
    if (options.sections().contains(Section.CALIBRATION)) {
      calibration(results);
    }
    results.loadAverageAtEnd = Machine.currentLoadAverage();
    results.elapsedSeconds = (System.nanoTime() - start) / 1e9;
    return results;
  }

  /** ResNet8 on ONNX Runtime: raw Java API, quantkit's runner and native ORT, interleaved. */
  private void hotPath(BenchResults results, Optional<NativeOrt> nativeOrt) {
    List<Key> configs = new ArrayList<>();
    for (Profile.Threads t : options.profile().threads) {
      for (int batch : BATCHES) {
        for (Precision p : Precision.values()) {
          // The padded-stem variant only where issue 12's INT8 / FP32 target is set: batch 32, one thread.
          if (p != Precision.INT8_PAD4 || (batch == PROFILE_BATCH && t.threads() == 1)) {
            configs.add(new Key(Path.RUNNER, OrtBackend.NAME, "resnet8", id(p), batch, t.threads(), t.spin()));
          }
        }
      }
    }
    int total = options.profile().rounds * configs.size();
    int done = 0;
    for (int r = 0; r < options.profile().rounds; r++) {
      final int round = r;
      List<Key> order = round % 2 == 0 ? configs : com.google.common.collect.Lists.reverse(configs);
      List<Path> paths = round % 2 == 0 ? List.of(Path.RAW, Path.RUNNER, Path.NATIVE) : List.of(Path.NATIVE, Path.RUNNER, Path.RAW);
      for (Key config : order) {
        done++;
        for (Path path : paths) {
          Key key = config.on(path);
          if (path == Path.NATIVE) {
            String step = done(done, total);
            nativeOrt.ifPresent(n -> runNative(results, n, key, round, step));
          } else {
            runJvm(results, key, round, done(done, total));
          }
        }
      }
    }
  }

  private String done(int done, int total) {
    return "[" + done + "/" + total + "]";
  }

  private void runNative(BenchResults results, NativeOrt n, Key key, int round, String step) {
    Precision p = Precision.parse(key.precision());
    NativeOrt.Result<NativeOrt.Measured> r = n.run(models.modelFile(Model.RESNET8, p), models.inputFile(key.batch()),
        key.batch(), key.threads(), key.spin(), options.profile().timing);
    if (r.value().isPresent()) {
      results.samples.add(new Sample(key, round, r.value().get().samples(), ImmutableList.of(), r.value().get().cpuSamples()));
      results.nativeVersion = Optional.of(r.value().get().ortVersion());
      progress.accept(step + " " + describe(key) + ": " + imagesPerSecond(key, r.value().get().samples()));
    } else {
      results.failures.put(key, r.why());
      progress.accept(step + " " + describe(key) + ": " + r.why());
    }
  }

  private void runJvm(BenchResults results, Key key, int round, String step) {
    runJvm(results, key, round, step, options.profile().timing);
  }

  private void runJvm(BenchResults results, Key key, int round, String step, Profile.Timing timing) {
    Class<?> bench = key.path() == Path.RAW ? OrtRawBenchmark.class : RunnerBenchmark.class;
    Map<String, String> params = new LinkedHashMap<>(JmhInvoker.params("model", key.model(), "precision", key.precision(),
        "batch", Integer.toString(key.batch()), "threads", Integer.toString(key.threads()), "spin", Boolean.toString(key.spin())));
    if (key.path() == Path.RUNNER) {
      params.put("backend", key.backend());
    }
    JmhInvoker.Measured m = jmh.run(bench, "run", params, timing, true);
    if (m.ok()) {
      results.samples.add(new Sample(key, round, m.scores(), m.allocatedBytesPerOp(), m.cpuMicrosPerOp()));
      String alloc = m.allocatedBytesPerOp().isEmpty() ? ""
          : String.format(Locale.ROOT, ", %.0f B/call", Stats.of(m.allocatedBytesPerOp()).median());
      progress.accept(step + " " + describe(key) + ": " + imagesPerSecond(key, m.scores()) + alloc);
    } else {
      results.failures.put(key, m.error().orElse("no result"));
      progress.accept(step + " " + describe(key) + ": failed: " + m.error().orElse("no result"));
    }
  }

  /** Every backend but ONNX Runtime, through quantkit's runner only (the reference executor's throughput check). */
  private void otherBackends(BenchResults results) {
    List<String> others = results.backends.stream().filter(b -> !b.equals(OrtBackend.NAME)).toList();
    int rounds = options.profile().otherBackendsEveryRound ? options.profile().rounds : 1;
    for (int round = 0; round < rounds; round++) {
      for (String backend : others) {
        for (int batch : options.profile().otherBackendBatches) {
          for (Precision p : List.of(Precision.FP32, Precision.INT8)) {
            Profile.Threads t = options.profile().otherBackendThreads;
            Key key = new Key(Path.RUNNER, backend, "resnet8", id(p), batch, t.threads(), t.spin());
            runJvm(results, key, round, "[" + backend + " " + (round + 1) + "/" + rounds + "]");
          }
        }
      }
    }
  }

  /** The probe model: raw ORT vs quantkit's runner when the model itself costs almost nothing. */
  private void probe(BenchResults results) {
    for (int round = 0; round < options.profile().rounds; round++) {
      for (int batch : BATCHES) {
        Key runner = new Key(Path.RUNNER, OrtBackend.NAME, "probe", "fp32", batch, 1, false);
        List<Path> paths = round % 2 == 0 ? List.of(Path.RAW, Path.RUNNER) : List.of(Path.RUNNER, Path.RAW);
        for (Path path : paths) {
          runJvm(results, runner.on(path), round, "[probe " + (round + 1) + "/" + options.profile().rounds + "]",
              options.profile().probeTiming);
        }
      }
    }
  }

  /** Batch 1 and 32, FP32 and INT8, plus at batch 32 the INT8 models whose stem convolution stays FP32 or is padded to 4 channels. */
  private void opProfile(BenchResults results) {
    for (int batch : BATCHES) {
      List<String> variants = new ArrayList<>(List.of("fp32", "int8"));
      if (batch == PROFILE_BATCH) {
        variants.add(STEM_FP32);
        variants.add(Precision.INT8_PAD4.id());
      }
      for (String variant : variants) {
        String label = variant + " batch " + batch;
        try {
          byte[] model = variant.equals(STEM_FP32) ? models.stemFp32ModelBytes()
              : models.modelBytes(Model.RESNET8, Precision.parse(variant));
          OrtOpProfile profile = OrtOpProfile.measure(model, models.input(batch), 1,
              options.profile().opProfileRuns, models.dir().resolve("ort-profiles"));
          results.opProfiles.put(label, profile);
          progress.accept(String.format(Locale.ROOT, "[op profile] %s, 1 thread: %.0f us per run, top %s", label, profile.runMicros(),
              profile.microsPerOp().keySet().iterator().next()));
        } catch (Exception e) {
          results.notes.add("ONNX Runtime's profile of " + label + " failed: " + e.getMessage());
        }
      }
    }
  }

  /** One FP32 pass, then each method's calibration, per round (forks in alternation). */
  private void calibration(BenchResults results) {
    Profile.Timing t = options.profile().calibrationTiming;
    for (int round = 0; round < options.profile().calibrationRounds; round++) {
      String step = "[calibration " + (round + 1) + "/" + options.profile().calibrationRounds + "]";
      JmhInvoker.Measured pass = jmh.run(CalibrationBenchmark.class, "fp32Pass", Map.of("backend", OrtBackend.NAME), t, false);
      if (!pass.ok()) {
        results.calibrationFailures.put("fp32 pass", pass.error().orElse("no result"));
        progress.accept(step + " fp32 pass failed: " + pass.error().orElse(""));
        return;
      }
      progress.accept(String.format(Locale.ROOT, "%s one FP32 pass over %d images: %.1f ms", step, BenchModels.CALIBRATION_IMAGES,
          Stats.of(pass.scores()).median()));
      Map<String, ImmutableList<Double>> methods = new LinkedHashMap<>();
      for (String method : options.calibrationMethods()) {
        JmhInvoker.Measured m = jmh.run(CalibrationBenchmark.class, "calibrate",
            Map.of("backend", OrtBackend.NAME, "method", method.toLowerCase(Locale.ROOT)), t, false);
        if (m.ok()) {
          methods.put(method, m.scores());
          progress.accept(String.format(Locale.ROOT, "%s %s: %.1f ms = %.2fx one FP32 pass", step, method, Stats.of(m.scores()).median(),
              Stats.of(m.scores()).median() / Stats.of(pass.scores()).median()));
        } else {
          results.calibrationFailures.put(method, m.error().orElse("no result"));
          progress.accept(step + " " + method + " failed: " + m.error().orElse(""));
        }
      }
      results.calibration.add(new CalibrationRound(round, pass.scores(), methods));
    }
  }

  static String id(Precision p) {
    return p.id();
  }

  static String describe(Key k) {
    String path = switch (k.path()) {
      case RAW -> "ORT-Java raw";
      case NATIVE -> "ORT native";
      case RUNNER -> "quantkit/" + k.backend();
    };
    return String.format(Locale.ROOT, "%s %s %s batch %d threads %d%s", path, k.model(), k.precision(), k.batch(), k.threads(),
        k.threads() > 1 ? (k.spin() ? " spin" : " no-spin") : "");
  }

  private static String imagesPerSecond(Key key, List<Double> micros) {
    return Stats.of(micros).inverted(key.batch() * 1e6).format("%.0f") + " images/s";
  }
}
