package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
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

  @Option(names = "--backend", defaultValue = "reference", description = "reference, onnx, ... (default ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the AccuracyReport JSON here.")
  Path report;

  @Option(names = "--baseline", paramLabel = "FILE", description = "AccuracyReport JSON of the FP32 model: adds drop and flipped predictions.")
  Path baseline;

  @Override
  public Integer call() {
    Path modelPath = model.path();
    new OutputChecks().input("--model", modelPath).input("--baseline", baseline).output("--report", report).check();
    Graph graph = model.load();
    Dataset dataset = data.open();
    AccuracyReport base = baseline == null ? null : AccuracyReport.readJson(baseline);
    Evaluation.Builder evaluation = Evaluation.builder()
        .dataset(dataset)
        .batchSize(data.batchSize)
        .model(modelPath.getFileName().toString())
        .backend(backend)
        .precision(ModelOptions.precisionOf(graph))
        .progress(new Progress(spec.commandLine().getErr(), "eval " + backend)::update);
    if (base != null) {
      evaluation.baseline(base);
    }
    AccuracyReport result;
    try (Runner runner = Backends.named(backend).compile(graph, RunnerOptions.builder().threads(common.threads).build())) {
      result = evaluation.build().run(runner);
    }
    spec.commandLine().getOut().println(result.toSummary());
    if (report != null) {
      result.writeJson(report);
      spec.commandLine().getOut().println("report written to " + report);
    }
    return 0;
  }
}
