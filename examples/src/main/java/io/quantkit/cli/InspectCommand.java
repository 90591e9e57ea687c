package io.quantkit.cli;

import io.quantkit.ir.Graph;
import io.quantkit.quant.InspectionReport;
import io.quantkit.quant.QdqInspector;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Q/DQ node counts, per-tensor scales and zero points, residual Add scale ratios and weight bytes of a QDQ model.")
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common = new CommonOptions();

  @Parameters(index = "0", paramLabel = "MODEL", description = "A QDQ .onnx (or any model quantkit reads).")
  Path model;

  @Option(names = "--json", description = "Print JSON instead of tables.")
  boolean json;

  @Override
  public Integer call() {
    Graph graph = ModelOptions.load(model);
    InspectionReport report = QdqInspector.inspect(graph);
    spec.commandLine().getOut().println(json ? report.toJson() : report.toText());
    return 0;
  }
}
