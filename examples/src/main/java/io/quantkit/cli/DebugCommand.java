package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.debug.QuantErrorAnalysis;
import io.quantkit.quant.debug.QuantErrorReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "debug", mixinStandardHelpOptions = true,
    description = {"Per-layer quantization error: FP32 vs INT8 activations of every quantized tensor (SQNR, abs error, "
        + "share clipped), weight SQNR per layer and output channel, flipped images.",
        "The INT8 model is the FP32 model (--model) quantized with --plan, or a QDQ .onnx (--qdq) whose tensor names match it."})
final class DebugCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin DataOptions data = new DataOptions();
  @Mixin InputOptions input = new InputOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Quantized quantized;

  static final class Quantized {
    @Option(names = "--plan", paramLabel = "FILE", description = "A quantization plan (from quantize --plan) applied to --model.")
    Path plan;

    @Option(names = "--qdq", paramLabel = "FILE", description = "A QDQ .onnx made from --model (by quantkit or another tool).")
    Path qdq;
  }

  @Option(names = "--backend", defaultValue = "onnx", description = "Backend that runs both models (default ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--json", description = "Print the report as JSON instead of tables.")
  boolean json;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the JSON report here.")
  Path outFile;

  @Override
  public Integer call() throws Exception {
    Graph fp32 = model.load();
    Dataset images = data.open(input, fp32);
    QuantErrorAnalysis analysis = QuantErrorAnalysis.builder().dataset(images).batchSize(data.batchSize)
        .runnerOptions(RunnerOptions.builder().threads(common.threads).build())
        .progress(new Progress(spec.commandLine().getErr(), "debug " + backend)::update).build();
    QuantErrorReport report;
    if (quantized.plan != null) {
      QuantPlan plan = QuantPlan.load(quantized.plan);
      report = analysis.analyze(fp32, Qdq.quantize(fp32, plan), Backends.named(backend));
    } else {
      report = analysis.analyze(fp32, ModelOptions.load(quantized.qdq), null, Backends.named(backend));
    }
    spec.commandLine().getOut().println(json ? report.toJson() : report.toText());
    if (outFile != null) {
      report.writeJson(outFile);
      if (!json) {
        spec.commandLine().getOut().println("report written to " + outFile);
      }
    }
    return 0;
  }
}
