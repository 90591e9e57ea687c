package io.quantkit.cli;

import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "convert", mixinStandardHelpOptions = true, description = "Convert a model to another format.")
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--to", required = true, description = "Target format: onnx.")
  String format;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (!format.equalsIgnoreCase("onnx")) {
      throw new ParameterException(spec.commandLine(), "--to " + format + " is not supported yet (supported: onnx)");
    }
    new OutputChecks().input("--model", model.path()).output("--out", out).check();
    Graph graph = model.load();
    OnnxModel.save(graph, out);
    spec.commandLine().getOut().printf("wrote %s (%d nodes, %d initializers, %,d bytes)%n",
        out, graph.nodes().size(), graph.initializers().size(), Files.size(out));
    return 0;
  }
}
