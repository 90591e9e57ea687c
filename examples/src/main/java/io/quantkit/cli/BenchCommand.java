package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.Throughput;
import io.quantkit.ir.Graph;
import java.io.PrintWriter;
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

  @Override
  public Integer call() {
    Graph graph = model.load();
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
}
