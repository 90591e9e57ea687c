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
import io.quantkit.pytorch.PyTorchBackend;
import io.quantkit.pytorch.PyTorchEngine;
import io.quantkit.quant.CalibrationMethod;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
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
 * a quick in-process check (median of timed batches after warm-up) of any model, FP32 and
 * optionally INT8 in alternating rounds.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: --jmh for the JMH set and its Markdown report; --calibration for calibration cost (JMH); "
        + "otherwise a quick images/s check of one model.")
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--backends", split = ",", defaultValue = "onnx",
      description = "Backends to measure (quick check default: ${DEFAULT-VALUE}; --jmh default: every backend found).")
  List<String> backends;

  @Option(names = "--batch-sizes", split = ",", defaultValue = "1,32", description = "Quick check: batch sizes (default ${DEFAULT-VALUE}).")
  List<Integer> batchSizes;

  @Option(names = "--warmup", defaultValue = "20", description = "Quick check: unmeasured runs per case (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--iterations", defaultValue = "100", description = "Quick check: measured runs per case (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--int8", paramLabel = "FILE",
      description = "Also measure this INT8 model (a .qdq.onnx from quantize) on each backend, in rounds alternating with "
          + "the FP32 model, and print the INT8/FP32 throughput ratios.")
  Path int8;

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
    DataOptions data = new DataOptions();
    data.split = split;
    Dataset images = data.open();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("model %s, %s threads%n", model.path().getFileName(), common.threads == 0 ? "all" : common.threads);
    if (backends.stream().anyMatch(b -> b.startsWith(PyTorchBackend.NAME))) {
      out.printf("PyTorch %s, quantized engine %s%n", PyTorchEngine.version(), PyTorchEngine.quantizedEngine().orElse("unknown"));
    }
    out.printf("%-12s %6s %12s %12s%n", "backend", "batch", "images/s", "ms/batch");
    ModelRunners models = new ModelRunners();
    Graph int8Graph = int8 == null ? null : ModelOptions.load(int8);
    for (String name : backends) {
      RunnerOptions options = RunnerOptions.builder().threads(common.threads).build();
      try (Runner runner = models.open(name, model.path(), options, new ModelRunners.SignatureOptions())) {
        if (int8Graph != null) {
          try (Runner quantized = Backends.named(name).compile(int8Graph, options)) {
            for (int batch : batchSizes) {
              interleaved(out, name, batch, runner, quantized, images);
            }
          }
          continue;
        }
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

  /**
   * FP32 and INT8 in alternating rounds of 10 timed batches each (after the warm-up of both), so
   * a slow phase of the machine hits both sides of the ratio; prints the median images/s of each
   * and the median and range of the per-round INT8/FP32 ratios.
   */
  private void interleaved(PrintWriter out, String name, int batch, Runner fp32, Runner int8, Dataset images) {
    int rounds = Math.max(5, iterations / 10);
    Throughput warm = Throughput.builder().batchSize(batch).warmup(warmup).iterations(1).build();
    warm.measure(fp32, images);
    warm.measure(int8, images);
    Throughput round = Throughput.builder().batchSize(batch).warmup(1).iterations(10).build();
    double[] a = new double[rounds];
    double[] b = new double[rounds];
    double[] ratio = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      a[i] = round.measure(fp32, images).imagesPerSecond();
      b[i] = round.measure(int8, images).imagesPerSecond();
      ratio[i] = b[i] / a[i];
    }
    double[] sorted = ratio.clone();
    Arrays.sort(sorted);
    out.printf("%-12s %6d %12.1f %12.3f%n", name, batch, median(a), 1e3 * batch / median(a));
    out.printf("%-12s %6d %12.1f %12.3f   INT8/FP32 %.2fx (rounds %.2f..%.2fx)%n", name + "/int8", batch, median(b),
        1e3 * batch / median(b), median(ratio), sorted[0], sorted[sorted.length - 1]);
    out.flush();
  }

  private int jmhRun() {
    if (model.model != null || int8 != null) {
      throw new ParameterException(spec.commandLine(),
          "--jmh and --calibration measure the benchmark set's ResNet8; --model and --int8 are for the quick check");
    }
    Profile p;
    try {
      p = Profile.parse(profile);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--profile must be short or full, not '" + profile + "'");
    }
    boolean backendsGiven = spec.commandLine().getParseResult().hasMatchedOption("--backends");
    BenchDriver.Options options = BenchDriver.Options.of(p, outDir)
        .withNativeDir(noNative ? Optional.empty() : Optional.of(nativeDir != null ? nativeDir : outDir.resolve("node")))
        .withBackends(backendsGiven ? backends : List.of());
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

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
