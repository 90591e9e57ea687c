package io.quantkit.cli;

import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.pytorch.TorchScriptExport;
import io.quantkit.pytorch.TorchScriptModel;
import io.quantkit.tf.SavedModels;
import java.io.PrintWriter;
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

  @Option(names = "--to", required = true, description = "Target format: onnx, savedmodel (a TensorFlow SavedModel directory) "
      + "or torchscript (a .pt that torch.jit.load and DJL open; a QDQ .onnx becomes INT8 TorchScript on PyTorch's "
      + "quantized operators).")
  String format;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file (a directory for savedmodel).")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (format.equalsIgnoreCase("torchscript")) {
      return torchScript(model.load());
    }
    if (format.equalsIgnoreCase("savedmodel")) {
      Graph graph = model.load();
      SavedModels.save(graph, out);
      spec.commandLine().getOut().printf("wrote TensorFlow SavedModel %s (signature serving_default: %s -> %s)%n", out,
          graph.inputs().stream().map(v -> v.name() + " " + v.type() + " " + v.shape()).toList(), graph.outputs());
      return 0;
    }
    if (!format.equalsIgnoreCase("onnx")) {
      throw new ParameterException(spec.commandLine(), "--to " + format + " is not supported (supported: onnx, savedmodel, "
          + "torchscript)");
    }
    new OutputChecks().input("--model", model.path()).output("--out", out).check();
    Graph graph = model.load();
    OnnxModel.save(graph, out);
    spec.commandLine().getOut().printf("wrote %s (%d nodes, %d initializers, %,d bytes)%n",
        out, graph.nodes().size(), graph.initializers().size(), Files.size(out));
    return 0;
  }

  private int torchScript(Graph graph) throws java.io.IOException {
    TorchScriptExport e = TorchScriptModel.save(graph, out);
    PrintWriter w = spec.commandLine().getOut();
    w.printf("wrote %s (TorchScript, %s, %,d bytes)%n", out, e.quantized() ? "INT8" : "FP32", Files.size(out));
    if (e.quantized()) {
      w.printf("PyTorch kernels: %s%n", e.kernels());
      for (String warning : e.warnings()) {
        w.println("warning: " + warning);
      }
    }
    w.printf("load it in Python: m = torch.jit.load(\"%s\"); y = m(x)  # x: %s %s%n", out.getFileName(),
        e.signature().input().type(), e.signature().input().shape());
    return 0;
  }
}
