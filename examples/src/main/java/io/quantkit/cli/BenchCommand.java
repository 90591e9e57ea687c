package io.quantkit.cli;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.Throughput;
import io.quantkit.ir.Graph;
import io.quantkit.pytorch.PyTorchBackend;
import io.quantkit.pytorch.PyTorchEngine;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A repeatable throughput measurement (median of timed batches after warm-up). Every figure of a
 * run comes from the same process, so ratios between backends or batch sizes are comparable.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Images/s of a model on one or more backends and batch sizes (median of timed runs after warm-up).")
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--backends", split = ",", defaultValue = "onnx", description = "Backends to measure (default ${DEFAULT-VALUE}).")
  List<String> backends;

  @Option(names = "--batch-sizes", split = ",", defaultValue = "1,32", description = "Batch sizes (default ${DEFAULT-VALUE}).")
  List<Integer> batchSizes;

  @Option(names = "--warmup", defaultValue = "20", description = "Unmeasured runs per case (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--iterations", defaultValue = "100", description = "Measured runs per case (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--int8", paramLabel = "FILE",
      description = "Also measure this INT8 model (a .qdq.onnx from quantize) on each backend, in rounds alternating with "
          + "the FP32 model, and print the INT8/FP32 throughput ratios.")
  Path int8;

  @Option(names = "--split", defaultValue = "test", hidden = true)
  String split;

  @Option(names = "--calibration", split = ",", paramLabel = "METHOD",
      description = "Instead: median cost of calibrating on 500 training images with these methods, as a multiple of one FP32 pass over the same images on the first backend.")
  List<String> calibrationMethods;

  @Override
  public Integer call() {
    if (calibrationMethods != null) {
      return calibrationCost(model.load());
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

  /**
   * Each round times one plain FP32 pass and then one calibration per method, so a slow phase of
   * the machine hits both sides of a ratio; reports per-method medians of the times and of the
   * per-round ratios, after {@code warmup} unmeasured rounds.
   */
  private int calibrationCost(Graph graph) {
    PrintWriter out = spec.commandLine().getOut();
    RunnerOptions options = RunnerOptions.builder().threads(common.threads).build();
    Backend backend = Backends.named(backends.get(0));
    DataOptions data = new DataOptions();
    data.split = "train";
    data.limit = 500;
    Dataset calib = data.open();
    int fp32Batch = 100;
    List<Calibration> calibrations = new ArrayList<>();
    for (String method : calibrationMethods) {
      calibrations.add(Calibration.builder().method(CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT)))
          .calibSize(calib.size()).runnerOptions(options).build());
    }
    double[] fp32 = new double[iterations];
    double[][] seconds = new double[calibrations.size()][iterations];
    double[][] ratios = new double[calibrations.size()][iterations];
    try (Runner runner = backend.compile(graph, options)) {
      Runnable fp32Pass = () -> {
        for (int from = 0; from < calib.size(); from += fp32Batch) {
          runner.run(calib.batch(from, Math.min(calib.size(), from + fp32Batch)).images());
        }
      };
      for (int round = -warmup; round < iterations; round++) {
        double plain = secondsOf(fp32Pass);
        for (int m = 0; m < calibrations.size(); m++) {
          Calibration c = calibrations.get(m);
          double t = secondsOf(() -> c.calibrate(graph, calib, backend));
          if (round >= 0) {
            seconds[m][round] = t;
            ratios[m][round] = t / plain;
          }
        }
        if (round >= 0) {
          fp32[round] = plain;
        }
      }
    }
    out.printf("one FP32 pass over %d calibration images on %s (batch %d): %.1f ms (median of %d rounds)%n", calib.size(),
        backend.name(), fp32Batch, median(fp32) * 1e3, iterations);
    out.printf("%-12s %14s %16s %20s%n", "method", "calibrate ms", "x FP32 pass", "min..max x (rounds)");
    for (int m = 0; m < calibrations.size(); m++) {
      double[] r = ratios[m].clone();
      Arrays.sort(r);
      out.printf("%-12s %14.1f %15.2fx %13.2f..%.2fx%n", calibrationMethods.get(m), median(seconds[m]) * 1e3, median(ratios[m]),
          r[0], r[r.length - 1]);
    }
    return 0;
  }

  private static double secondsOf(Runnable work) {
    long start = System.nanoTime();
    work.run();
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
