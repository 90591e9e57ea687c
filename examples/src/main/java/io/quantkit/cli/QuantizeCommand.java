package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.onnx.OrtOptimizedModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"Static INT8 post-training quantization: calibrate on training images, write a QDQ .onnx and its plan.",
        "Without --out: the whole job (FP32 and INT8 accuracy, per-layer error, report.html in --out-dir)."})
final class QuantizeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();
  @Mixin QuantizationOptions quant = new QuantizationOptions();

  @Option(names = "--calib-data", paramLabel = "DIR",
      description = "Calibration images: CIFAR-10 binary dir or image folder (default: CIFAR-10 training split in QUANTKIT_HOME).")
  Path calibData;

  @Option(names = "--calib-backend", defaultValue = "onnx", description = "Backend that runs calibration (default ${DEFAULT-VALUE}).")
  String calibBackend;

  @Option(names = "--out", paramLabel = "FILE", description = "The quantized QDQ .onnx to write (without it: the whole job).")
  Path out;

  @Mixin QuantizeJob.Options job = new QuantizeJob.Options();

  @Option(names = "--plan", paramLabel = "FILE", description = "Also write the quantization plan JSON here.")
  Path planFile;

  @Option(names = "--from-plan", paramLabel = "FILE",
      description = "Skip calibration: apply a saved (possibly hand-edited) plan; its options override the flags above.")
  Path fromPlan;

  @Override
  public Integer call() throws Exception {
    if (out == null) {
      return new QuantizeJob(this).call();
    }
    PrintWriter stdout = spec.commandLine().getOut();
    Graph fp32 = model.load();
    QuantPlan plan;
    if (fromPlan != null) {
      plan = QuantPlan.load(fromPlan);
    } else {
      Dataset calib = quant.calibrationSet(calibData);
      Calibration calibration = quant.calibration(RunnerOptions.builder().threads(common.threads).build(),
          new Progress(spec.commandLine().getErr(), "calibrate")::update);
      plan = calibration.calibrate(fp32, calib, Backends.named(calibBackend));
      stdout.printf("calibrated %s on %d images of %s (%s)%n", model.path().getFileName(), plan.calibration().samples(),
          calib.name(), quant.describe());
    }
    QuantizationResult result = Qdq.quantize(fp32, plan);
    OnnxModel.save(result.graph(), out);
    if (planFile != null) {
      result.plan().save(planFile);
    }
    stdout.printf("wrote %s (%,d bytes)%s%n", out, Files.size(out), planFile == null ? "" : " and " + planFile);
    stdout.println("ONNX Runtime (all optimizations) runs: " + OrtOptimizedModel.opTypes(result.graph(),
        RunnerOptions.builder().threads(common.threads).build()));
    List<String> warnings = result.warnings();
    for (String w : warnings) {
      stdout.println("warning: " + w);
    }
    return 0;
  }

  /** The calibration and placement flags, shared with the sweep command. */
  static final class QuantizationOptions {
    @Option(names = "--calib-size", defaultValue = "500", description = "Calibration images (default ${DEFAULT-VALUE}).")
    int calibSize;

    @Option(names = "--method", defaultValue = "minmax", description = "minmax, percentile, entropy or mse (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--percentile", defaultValue = "99.99", description = "Percentile for --method percentile (default ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--per-channel", description = "Per-output-channel weight scales (default: per-tensor).")
    boolean perChannel;

    @Option(names = "--activations", defaultValue = "uint8", description = "uint8 or int8 activations (default ${DEFAULT-VALUE}).")
    String activations;

    @Option(names = "--symmetric-activations", description = "Symmetric activation ranges (zero point 0 for int8).")
    boolean symmetricActivations;

    @Option(names = "--reduce-weight-range",
        description = "Limit INT8 weights to [-64, 64] so UINT8 x INT8 kernels without VNNI cannot saturate.")
    boolean reduceWeightRange;

    @Option(names = "--exclude", split = ",", paramLabel = "NODE", description = "Nodes to keep in FP32.")
    List<String> exclude = List.of();

    @Option(names = "--exclude-op-types", split = ",", paramLabel = "OP", description = "Op types to keep in FP32, e.g. Add,Gemm.")
    List<String> excludeOpTypes = List.of();

    CalibrationMethod method() {
      try {
        return CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--method must be minmax, percentile, entropy or mse, not '" + method + "'");
      }
    }

    QuantType activationType() {
      switch (activations.toLowerCase(Locale.ROOT)) {
        case "uint8": return QuantType.UINT8;
        case "int8": return QuantType.INT8;
        default: throw new IllegalArgumentException("--activations must be uint8 or int8, not '" + activations + "'");
      }
    }

    Calibration calibration(RunnerOptions runnerOptions, io.quantkit.quant.CalibrationListener listener) {
      return Calibration.builder()
          .method(method())
          .percentile(percentile)
          .calibSize(calibSize)
          .perChannelWeights(perChannel)
          .activations(activationType())
          .symmetricActivations(symmetricActivations)
          .reduceWeightRange(reduceWeightRange)
          .excludeNodes(exclude)
          .excludeOpTypes(excludeOpTypes)
          .runnerOptions(runnerOptions)
          .listener(listener)
          .build();
    }

    Dataset calibrationSet(Path dir) {
      DataOptions data = new DataOptions();
      data.data = dir;
      data.split = "train";
      data.limit = calibSize;
      return data.open();
    }

    String describe() {
      return method().name().toLowerCase(Locale.ROOT) + (method() == CalibrationMethod.PERCENTILE ? " " + percentile : "")
          + ", " + activationType().name().toLowerCase(Locale.ROOT) + (symmetricActivations ? " symmetric" : "")
          + " activations, " + (perChannel ? "per-channel" : "per-tensor") + " int8 weights"
          + (reduceWeightRange ? " in [-64, 64]" : "");
    }
  }
}
