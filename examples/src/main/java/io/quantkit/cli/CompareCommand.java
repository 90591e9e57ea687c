package io.quantkit.cli;

import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.eval.Comparison;
import io.quantkit.eval.ComparisonReport;
import io.quantkit.eval.Regression;
import io.quantkit.eval.RegressionReport;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "compare", mixinStandardHelpOptions = true,
    description = {"Run the same images through several backends; report agreement and output differences per pair.",
        "A model whose output has its input's shape (an autoencoder), or --task regress: per-output SQNR against the first."})
final class CompareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin DataOptions data = new DataOptions();
  @Mixin InputOptions input = new InputOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Mixin ModelRunners.SignatureOptions signature = new ModelRunners.SignatureOptions();

  @Option(names = "--backends", split = ",", defaultValue = "reference,onnx",
      description = "Comma-separated backends (default ${DEFAULT-VALUE}); BACKEND@MODEL runs another model file on that backend, "
          + "e.g. tf@resnet8_savedmodel,onnx@resnet8.onnx.")
  List<String> backends;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the comparison JSON here.")
  Path report;

  @Option(names = "--no-labels", description = "Compare outputs only: no top-1 against the dataset's labels.")
  boolean noLabels;

  @Override
  public Integer call() {
    new OutputChecks().input("--model", model.path()).output("--report", report).check();
    RunnerOptions options = RunnerOptions.builder().threads(common.threads).build();
    ModelRunners models = new ModelRunners();
    Map<String, Runner> runners = new LinkedHashMap<>();
    try {
      for (String entry : backends) {
        int at = entry.indexOf('@');
        String name = at < 0 ? entry : entry.substring(0, at);
        Path file = at < 0 ? model.path() : Path.of(entry.substring(at + 1));
        runners.put(entry, models.open(name, file, options, signature));
      }
      Graph graph = ModelRunners.isIrModel(model.path()) ? models.graph(model.path()) : null;
      Dataset dataset = data.open(input, graph);
      input.note(graph, spec.commandLine().getErr());
      Progress progress = new Progress(spec.commandLine().getErr(), "compare");
      if (input.regression(graph)) {
        RegressionReport result = Regression.builder().dataset(dataset).batchSize(data.batchSize).progress(progress::update)
            .build().run(runners);
        spec.commandLine().getOut().print(result.toSummary());
      spec.commandLine().getOut().flush();
        if (report != null) {
          result.save(report);
          spec.commandLine().getOut().println("report written to " + report);
        }
        return 0;
      }
      ComparisonReport result = Comparison.builder()
          .dataset(dataset)
          .batchSize(data.batchSize)
          .labels(!noLabels)
          .progress(progress::update)
          .build()
          .run(runners);
      spec.commandLine().getOut().println(result.toSummary());
      if (report != null) {
        result.save(report);
        spec.commandLine().getOut().println("report written to " + report);
      }
    } finally {
      runners.values().forEach(Runner::close);
    }
    return 0;
  }
}
