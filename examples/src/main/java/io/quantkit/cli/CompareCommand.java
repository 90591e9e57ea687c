package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.eval.Comparison;
import io.quantkit.eval.ComparisonReport;
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
    description = "Run the same images through several backends; report agreement and output differences per pair.")
final class CompareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin DataOptions data = new DataOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--backends", split = ",", defaultValue = "reference,onnx", description = "Comma-separated backends (default ${DEFAULT-VALUE}).")
  List<String> backends;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the comparison JSON here.")
  Path report;

  @Override
  public Integer call() {
    new OutputChecks().input("--model", model.path()).output("--report", report).check();
    Graph graph = model.load();
    RunnerOptions options = RunnerOptions.builder().threads(common.threads).build();
    Map<String, Runner> runners = new LinkedHashMap<>();
    try {
      for (String name : backends) {
        runners.put(name, Backends.named(name).compile(graph, options));
      }
      ComparisonReport result = Comparison.builder()
          .dataset(data.open())
          .batchSize(data.batchSize)
          .progress(new Progress(spec.commandLine().getErr(), "compare")::update)
          .build()
          .run(runners);
      spec.commandLine().getOut().println(result.toSummary());
      if (report != null) {
        result.writeJson(report);
        spec.commandLine().getOut().println("report written to " + report);
      }
    } finally {
      runners.values().forEach(Runner::close);
    }
    return 0;
  }
}
