package io.quantkit.cli;

import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Top-1/top-5 accuracy of a model on a backend; writes an AccuracyReport JSON.")
final class EvalCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin DataOptions data = new DataOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Mixin ModelRunners.SignatureOptions signature = new ModelRunners.SignatureOptions();

  @Option(names = "--backend", description = "reference, onnx, tf, ... (default: reference; for a SavedModel directory: tf).")
  String backend;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the AccuracyReport JSON here.")
  Path report;

  @Option(names = "--spark", paramLabel = "MASTER",
      description = "Evaluate as Spark tasks (shards of whole batches) on this master, e.g. local[2] or spark://host:7077; "
          + "the report is the one this machine makes.")
  String spark;

  @Option(names = "--baseline", paramLabel = "FILE", description = "AccuracyReport JSON of the FP32 model: adds drop and flipped predictions.")
  Path baseline;

  @Override
  public Integer call() {
    Path modelPath = model.path();
    new OutputChecks().input("--model", modelPath).input("--baseline", baseline).output("--report", report).check();
    String backend = this.backend != null ? this.backend : ModelRunners.defaultBackend(modelPath);
    ModelRunners runners = new ModelRunners();
    Dataset dataset = data.open();
    AccuracyReport base = baseline == null ? null : AccuracyReport.load(baseline);
    Evaluation.Builder evaluation = Evaluation.builder()
        .dataset(dataset)
        .batchSize(data.batchSize)
        .model(modelPath.getFileName().toString())
        .backend(backend)
        .precision(runners.precision(modelPath))
        .progress(new Progress(spec.commandLine().getErr(), "eval " + backend)::update);
    if (base != null) {
      evaluation.baseline(base);
    }
    AccuracyReport result;
    if (spark != null) {
      result = SparkRuns.eval(spark, modelPath, backend, data, common.threads, base, spec.commandLine().getErr());
    } else {
      try (Runner runner = runners.open(backend, modelPath, RunnerOptions.builder().threads(common.threads).build(), signature)) {
        result = evaluation.build().run(runner);
      }
    }
    spec.commandLine().getOut().println(result.toSummary());
    if (report != null) {
      result.save(report);
      spec.commandLine().getOut().println("report written to " + report);
    }
    return 0;
  }
}
