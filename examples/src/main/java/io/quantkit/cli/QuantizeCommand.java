package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.data.Datasets;
import io.quantkit.data.ImageFolderDataset;
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

  /**
   * The reference executor by default: pure Java float arithmetic is the same on every CPU, so the
   * plan (and the .qdq.onnx) is byte-identical on every machine. ONNX Runtime's FP32 kernels differ
   * in the last bits between CPUs (AVX2, AVX-512 VNNI), which moves scales by ~1e-7 and can flip
   * an image or two; --calib-backend onnx is 2-4x faster.
   */
  @Option(names = "--calib-backend", defaultValue = "reference",
      description = "Backend that runs calibration (default ${DEFAULT-VALUE}: the plan is byte-identical on every CPU; onnx is faster).")
  String calibBackend;

  @Option(names = "--spark", paramLabel = "MASTER",
      description = "With --out: gather the calibration statistics as Spark tasks on this master (local[2], spark://host:7077); "
          + "the plan is the one this machine makes.")
  String spark;

  @Option(names = "--out", paramLabel = "FILE", description = "The quantized QDQ .onnx to write (without it: the whole job).")
  Path out;

  @Mixin QuantizeJob.Options job = new QuantizeJob.Options();

  @Mixin AccuracyOptions accuracy = new AccuracyOptions();

  @Option(names = "--plan", paramLabel = "FILE", description = "Also write the quantization plan JSON here.")
  Path planFile;

  @Option(names = "--from-plan", paramLabel = "FILE",
      description = "Skip calibration: apply a saved (possibly hand-edited) plan; its options override the flags above.")
  Path fromPlan;

  @Override
  public Integer call() throws Exception {
    if (out == null) {
      if (spark != null) {
        throw new IllegalArgumentException("--spark calibrates for --out FILE; the whole job (without --out) runs on this machine");
      }
      if (accuracy.any()) {
        throw new IllegalArgumentException("--equalize, --bias-correction, --max-drop and --max-flips need --out");
      }
      return new QuantizeJob(this).call();
    }
    PrintWriter stdout = spec.commandLine().getOut();
    new OutputChecks().input("--model", model.path()).input("--from-plan", fromPlan)
        .output("--out", out).output("--plan", planFile).check();
    Graph fp32 = model.load();
    QuantPlan plan;
    if (fromPlan != null) {
      plan = QuantPlan.load(fromPlan);
    } else {
      QuantizationOptions.CalibrationSet calib = quant.calibrationSet(calibData);
      calib.warning().ifPresent(w -> stdout.println("warning: " + w));
      RunnerOptions runnerOptions = RunnerOptions.builder().threads(common.threads).build();
      Calibration calibration = quant.calibration(runnerOptions, new Progress(spec.commandLine().getErr(), "calibrate")::update);
      if (spark != null && accuracy.equalize) {
        throw new IllegalArgumentException("--equalize calibrates the equalized graph on this machine; leave out --spark");
      }
      Graph target = accuracy.beforeCalibration(fp32, calibData, quant.calibSize, stdout);
      plan = spark == null ? calibration.calibrate(target, calib.dataset(), Backends.named(calibBackend))
          : SparkRuns.calibrate(spark, model.path(), quant, calibData, calibBackend, common.threads);
      plan = accuracy.afterCalibration(fp32, plan, calib.dataset(), quant.calibSize, calibData, calibBackend, runnerOptions, stdout);
      plan = plan.toBuilder().metadata("calibration.sampling", calib.sampling()).build();
      stdout.printf("calibrated %s on %d images of %s (%s)%n", model.path().getFileName(), plan.calibration().samples(),
          calib.dataset().name(), quant.describe());
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
  static final class QuantizationOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Option(names = "--calib-size", defaultValue = "500", description = "Calibration images (default ${DEFAULT-VALUE}).")
    int calibSize;

    @Option(names = "--calib-seed", defaultValue = "0",
        description = "Seed of the class-balanced sample taken from an image folder (default ${DEFAULT-VALUE}).")
    long calibSeed;

    @Option(names = "--method", defaultValue = "minmax",
        description = "minmax, percentile, entropy, mse or auto (per tensor, the one with the best SQNR; default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--percentile", defaultValue = "99.99", description = "Percentile for --method percentile (default ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--per-channel", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Per-output-channel weight scales (default, as in the API); --no-per-channel: one scale per tensor.")
    boolean perChannel = true;

    @Option(names = "--activations", defaultValue = "uint8", description = "uint8 or int8 activations (default ${DEFAULT-VALUE}).")
    String activations;

    @Option(names = "--symmetric-activations", description = "Symmetric activation ranges (zero point 0 for int8).")
    boolean symmetricActivations;

    @Option(names = "--reduce-weight-range",
        description = "Limit INT8 weights to [-64, 64] so UINT8 x INT8 kernels without VNNI cannot saturate.")
    boolean reduceWeightRange;

    @Option(names = "--pad-input-channels", paramLabel = "N", defaultValue = "0",
        description = "Zero-pad the input channels of quantized convolutions reading the model input to a multiple of N "
            + "(0: off). Same outputs; ONNX Runtime's x86 integer convolution needs a multiple of 4 (ResNet8: INT8 1.58x -> 1.79x FP32).")
    int padInputChannels;

    @Option(names = "--exclude", split = ",", paramLabel = "NODE", description = "Nodes to keep in FP32.")
    List<String> exclude = List.of();

    @Option(names = "--exclude-op-types", split = ",", paramLabel = "OP", description = "Op types to keep in FP32, e.g. Add,Gemm.")
    List<String> excludeOpTypes = List.of();

    boolean auto() {
      return method.equalsIgnoreCase("auto");
    }

    CalibrationMethod method() {
      try {
        return CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--method must be minmax, percentile, entropy, mse or auto, not '" + method + "'");
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
      Calibration.Builder b = Calibration.builder();
      if (auto()) {
        b.estimator(new io.quantkit.quant.AutoRangeEstimator(percentile));
      } else {
        b.method(method()).percentile(percentile);
      }
      return b
          .calibSize(calibSize)
          .perChannelWeights(perChannel)
          .activations(activationType())
          .symmetricActivations(symmetricActivations)
          .reduceWeightRange(reduceWeightRange)
          .padInputChannels(padInputChannels)
          .excludeNodes(exclude)
          .excludeOpTypes(excludeOpTypes)
          .runnerOptions(runnerOptions)
          .listener(listener)
          .build();
    }

    /** The calibration images, how they were chosen (for the plan) and a warning if fewer than asked. */
    record CalibrationSet(Dataset dataset, String sampling, java.util.Optional<String> warning) {}

    /**
     * CIFAR-10 binary batches are stored in random order, so their first N images are a fair
     * sample; an image folder is listed class by class, so the first N would all be one class:
     * there a seeded, class-balanced random sample is taken instead.
     */
    CalibrationSet calibrationSet(Path dir) {
      if (calibSize < 1) {
        throw new IllegalArgumentException("--calib-size must be at least 1, got " + calibSize);
      }
      DataOptions data = new DataOptions();
      data.data = dir;
      data.split = "train";
      Dataset all = data.openAll();
      java.util.Optional<String> warning = calibSize > all.size()
          ? java.util.Optional.of("--calib-size " + calibSize + " but " + all.name() + " has only " + all.size()
              + " images; calibrating on all " + all.size())
          : java.util.Optional.empty();
      if (all instanceof ImageFolderDataset) {
        Dataset sample = Datasets.balancedSample(all, calibSize, calibSeed);
        String how = sample == all ? "all " + all.size() + " images of the folder"
            : "class-balanced random sample of " + sample.size() + " of " + all.size() + " images (" + all.classNames().size()
                + " classes), seed " + calibSeed;
        return new CalibrationSet(sample, how, warning);
      }
      Dataset first = all.limit(calibSize);
      return new CalibrationSet(first, "first " + first.size() + " images of " + all.name(), warning);
    }

    String describe() {
      return (auto() ? "auto" : method().name().toLowerCase(Locale.ROOT))
          + (!auto() && method() == CalibrationMethod.PERCENTILE ? " " + percentile : "")
          + ", " + activationType().name().toLowerCase(Locale.ROOT) + (symmetricActivations ? " symmetric" : "")
          + " activations, " + (perChannel ? "per-channel" : "per-tensor") + " int8 weights"
          + (reduceWeightRange ? " in [-64, 64]" : "");
    }
  }
}
