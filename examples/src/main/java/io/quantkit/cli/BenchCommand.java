package io.quantkit.cli;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.Throughput;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.List;
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

  @Option(names = "--split", defaultValue = "test", hidden = true)
  String split;

  @Option(names = "--calibration", split = ",", paramLabel = "METHOD",
      description = "Instead: median cost of calibrating on 500 training images with these methods, as a multiple of one FP32 pass over the same images on the first backend.")
  List<String> calibrationMethods;

  @Override
  public Integer call() {
    Graph graph = model.load();
    if (calibrationMethods != null) {
      return calibrationCost(graph);
    }
    DataOptions data = new DataOptions();
    data.split = split;
    Dataset images = data.open();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("model %s, %s threads%n", model.path().getFileName(), common.threads == 0 ? "all" : common.threads);
    out.printf("%-12s %6s %12s %12s%n", "backend", "batch", "images/s", "ms/batch");
    for (String name : backends) {
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

  /** Medians over {@code iterations} runs (after {@code warmup}) of a plain FP32 pass and of calibrations. */
  private int calibrationCost(Graph graph) {
    PrintWriter out = spec.commandLine().getOut();
    RunnerOptions options = RunnerOptions.builder().threads(common.threads).build();
    Backend backend = Backends.named(backends.get(0));
    DataOptions data = new DataOptions();
    data.split = "train";
    data.limit = 500;
    Dataset calib = data.open();
    int batch = 100;
    double fp32;
    try (Runner runner = backend.compile(graph, options)) {
      fp32 = medianSeconds(() -> {
        for (int from = 0; from < calib.size(); from += batch) {
          runner.run(calib.batch(from, Math.min(calib.size(), from + batch)).images());
        }
      });
    }
    out.printf("one FP32 pass over %d calibration images on %s: %.1f ms (median of %d)%n", calib.size(), backend.name(),
        fp32 * 1e3, iterations);
    out.printf("%-12s %14s %16s%n", "method", "calibrate ms", "x FP32 pass");
    for (String method : calibrationMethods) {
      Calibration calibration = Calibration.builder().method(CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT)))
          .calibSize(calib.size()).batchSize(batch).runnerOptions(options).build();
      double seconds = medianSeconds(() -> calibration.calibrate(graph, calib, backend));
      out.printf("%-12s %14.1f %15.2fx%n", method, seconds * 1e3, seconds / fp32);
      out.flush();
    }
    return 0;
  }

  private double medianSeconds(Runnable work) {
    for (int i = 0; i < warmup; i++) {
      work.run();
    }
    double[] t = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      long start = System.nanoTime();
      work.run();
      t[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(t);
    return t[iterations / 2];
  }
}
