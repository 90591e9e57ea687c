package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.bench.BenchDriver;
import io.quantkit.bench.BenchOutput;
import io.quantkit.bench.BenchResults;
import io.quantkit.bench.Profile;
import io.quantkit.data.Dataset;
import io.quantkit.eval.Throughput;
import io.quantkit.ir.Graph;
import io.quantkit.quant.CalibrationMethod;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Speed. {@code --jmh} runs the JMH benchmark set of quantkit-bench through its interleaved driver
 * (quantkit's Runner vs raw ONNX Runtime vs native ONNX Runtime, INT8 vs FP32, every backend,
 * per-call cost, ORT's per-op profile, calibration cost) and writes a Markdown report: the figures
 * the README quotes. {@code --calibration} runs only the calibration-cost benchmarks. Without either,
 * a quick in-process check (median of timed batches after warm-up) of any model.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: --jmh for the JMH set and its Markdown report; --calibration for calibration cost (JMH); "
        + "otherwise a quick images/s check of one model.")
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--backends", split = ",", description = "Backends to measure (quick check default: onnx; --jmh default: every backend found).")
  List<String> backends;

  @Option(names = "--batch-sizes", split = ",", defaultValue = "1,32", description = "Quick check: batch sizes (default ${DEFAULT-VALUE}).")
  List<Integer> batchSizes;

  @Option(names = "--warmup", defaultValue = "20", description = "Quick check: unmeasured runs per case (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--iterations", defaultValue = "100", description = "Quick check: measured runs per case (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--split", defaultValue = "test", hidden = true)
  String split;

  @Option(names = "--jmh", description = "Run the JMH benchmark set (ResNet8 FP32/INT8, batch 1/32, 1-2 threads) and write a Markdown report.")
  boolean jmh;

  @Option(names = "--calibration", split = ",", paramLabel = "METHOD",
      description = "JMH: median cost of calibrating ResNet8 on 500 training images with these methods, as a multiple of one FP32 pass "
          + "over the same images, measured in alternation.")
  List<String> calibrationMethods;

  @Option(names = "--profile", defaultValue = "short",
      description = "JMH: short (about 5 minutes on 2 cores) or full (spinning grid at 1 and 2 threads, more rounds; default ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--out-dir", defaultValue = "out/bench",
      description = "JMH: where the models, the report bench-<profile>.md and its samples (.json) go (default ${DEFAULT-VALUE}).")
  Path outDir;

  @Option(names = "--native-dir", paramLabel = "DIR",
      description = "JMH: where onnxruntime-node is (or gets npm-installed) for the native ONNX Runtime baseline (default: OUT-DIR/node).")
  Path nativeDir;

  @Option(names = "--no-native", description = "JMH: skip the native ONNX Runtime baseline.")
  boolean noNative;

  @Option(names = "--sections", split = ",", paramLabel = "SECTION",
      description = "JMH: only these parts: hot_path, other_backends, probe, op_profile, calibration (default: all).")
  List<String> sections;

  @Override
  public Integer call() {
    if (jmh || calibrationMethods != null) {
      return jmhRun();
    }
    Graph graph = model.load();
    DataOptions data = new DataOptions();
    data.split = split;
    Dataset images = data.open();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("model %s, %s threads%n", model.path().getFileName(), common.threads == 0 ? "all" : common.threads);
    out.printf("%-12s %6s %12s %12s%n", "backend", "batch", "images/s", "ms/batch");
    for (String name : backends == null ? List.of("onnx") : backends) {
      try (Runner runner = Backends.named(name).compile(graph, RunnerOptions.builder().threads(common.threads).build())) {
        for (int batch : batchSizes) {
          Throughput.Result r = Throughput.builder().batchSize(batch).warmup(warmup).iterations(iterations).build()
              .measure(runner, images);
          out.printf("%-12s %6d %12.1f %12.3f%n", name, batch, r.imagesPerSecond(), r.medianMillis());
          out.flush();
        }
      }
    }
    return 0;
  }

  private int jmhRun() {
    if (model.model != null) {
      throw new ParameterException(spec.commandLine(), "--jmh and --calibration measure the benchmark set's ResNet8; --model is for the quick check");
    }
    Profile p;
    try {
      p = Profile.parse(profile);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--profile must be short or full, not '" + profile + "'");
    }
    BenchDriver.Options options = BenchDriver.Options.of(p, outDir)
        .withNativeDir(noNative ? Optional.empty() : Optional.of(nativeDir != null ? nativeDir : outDir.resolve("node")))
        .withBackends(backends == null ? List.of() : backends);
    if (sections != null) {
      EnumSet<BenchDriver.Section> chosen = EnumSet.noneOf(BenchDriver.Section.class);
      for (String name : sections) {
        try {
          chosen.add(BenchDriver.Section.valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "unknown section '" + name
              + "' (hot_path, other_backends, probe, op_profile, calibration)");
        }
      }
      options = options.withSections(chosen);
    }
    if (calibrationMethods != null) {
      for (String m : calibrationMethods) {
        try {
          CalibrationMethod.valueOf(m.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "unknown calibration method '" + m + "' (minmax, percentile, entropy, mse)");
        }
      }
      options = options.withCalibrationMethods(calibrationMethods);
      if (!jmh) {
        options = options.withSections(EnumSet.of(BenchDriver.Section.CALIBRATION));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    BenchResults results = BenchDriver.run(options, line -> {
      out.println(line);
      out.flush();
    });
    Path md = BenchOutput.write(results, outDir, "./quantkit " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    out.println("report: " + md);
    return 0;
  }
}
