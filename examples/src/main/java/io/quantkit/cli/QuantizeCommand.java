package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.data.Datasets;
import io.quantkit.data.Preprocessing;
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
  @Mixin InputOptions input = new InputOptions();

  @Option(names = "--calib-data", paramLabel = "DIR",
      description = "Calibration data: CIFAR-10 binary dir, image folder or .npz (default: CIFAR-10 training split in QUANTKIT_HOME).")
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
      QuantizationOptions.CalibrationSet calib = quant.calibrationSet(calibData, input, fp32, model.model == null);
      calib.warnings().forEach(w -> stdout.println("warning: " + w));
      RunnerOptions runnerOptions = RunnerOptions.builder().threads(common.threads).build();
      Calibration calibration = quant.calibration(runnerOptions, new Progress(spec.commandLine().getErr(), "calibrate")::update);
      if (spark != null && accuracy.equalize) {
        throw new IllegalArgumentException("--equalize calibrates the equalized graph on this machine; leave out --spark");
      }
      // validation images get the calibration data's preprocessing
      accuracy.opener = d -> d.openAll(input, fp32.inputs(), null);
      Graph target = accuracy.beforeCalibration(fp32, calibData, quant.calibSize, stdout);
      plan = spark == null ? calibration.calibrate(target, calib.dataset(), Backends.named(calibBackend))
          : SparkRuns.calibrate(spark, model.path(), quant, quant.calibrationSpec(calibData, input, fp32), calibBackend,
              common.threads);
      plan = accuracy.afterCalibration(fp32, plan, calib.dataset(), quant.calibSize, calibData, calibBackend, runnerOptions, stdout);
      QuantPlan.Builder withData = plan.toBuilder().metadata("calibration.sampling", calib.sampling());
      // raw pixels are the default: plans and models of the default stay as they were
      if (!calib.preprocessing().equals("raw")) {
        withData.metadata("preprocessing", calib.preprocessing());
      }
      plan = withData.build();
      stdout.printf("calibrated %s on %d images of %s (%s)%n", model.path().getFileName(), plan.calibration().samples(),
          calib.dataset().name(), quant.describe());
    }
    QuantizationResult result = Qdq.quantize(fp32, plan);
    OnnxModel.save(InputOptions.record(result.graph(), result.plan()), out);
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

    @Option(names = "--batch-size", defaultValue = "50", paramLabel = "N",
        description = "Calibration samples per inference call (default ${DEFAULT-VALUE}; a model with a fixed batch dimension gets its own).")
    int calibBatchSize = 50;

    @Option(names = "--seven-bit-input", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Quantize the model input with 7 of its 8 bits (default: safe from int16 saturation on x86 CPUs "
            + "without VNNI); --no-seven-bit-input uses all 8 bits (better accuracy on VNNI CPUs and other backends).")
    boolean sevenBitInput = true;

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
          .batchSize(calibBatchSize)
          .perChannelWeights(perChannel)
          .activations(activationType())
          .symmetricActivations(symmetricActivations)
          .reduceWeightRange(reduceWeightRange)
          .padInputChannels(padInputChannels)
          .saturationSafeInput(sevenBitInput)
          .excludeNodes(exclude)
          .excludeOpTypes(excludeOpTypes)
          .runnerOptions(runnerOptions)
          .listener(listener)
          .build();
    }

    /**
     * The calibration samples, how they were chosen (for the plan), the preprocessing they had
     * (its text form) and warnings: fewer samples than asked, no preprocessing stated.
     */
    record CalibrationSet(Dataset dataset, String sampling, String preprocessing, List<String> warnings) {}

    /**
     * CIFAR-10 binary batches are stored in random order, so their first N images are a fair
     * sample; an image folder is listed class by class, so the first N would all be one class:
     * there a seeded, class-balanced random sample is taken instead. {@code defaultModel}: the
     * embedded ResNet8, whose raw 0..255 input needs no warning.
     */
    CalibrationSet calibrationSet(Path dir, InputOptions input, io.quantkit.ir.Graph model, boolean defaultModel) {
      if (calibSize < 1) {
        throw new IllegalArgumentException("--calib-size must be at least 1, got " + calibSize);
      }
      if (calibBatchSize < 1) {
        throw new IllegalArgumentException("--batch-size must be at least 1, got " + calibBatchSize);
      }
      DataOptions data = new DataOptions();
      data.data = dir;
      data.split = "train";
      Dataset all = data.openAll(input, model.inputs(), null);
      List<String> warnings = new java.util.ArrayList<>();
      if (calibSize > all.size()) {
        warnings.add("--calib-size " + calibSize + " but " + all.name() + " has only " + all.size()
            + (input.arrays != null || (dir != null && DataOptions.isNumpy(dir)) ? " samples" : " images") + "; calibrating on all " + all.size());
      }
      boolean numpy = input.arrays != null || (dir != null && DataOptions.isNumpy(dir));
      String preprocessing = numpy ? "arrays " + (input.arrays != null ? input.arrays : dir).getFileName()
          : input.preprocessing(model.inputs(), null).format();
      Preprocessing.unstatedWarning(all, input.valuesStated() || numpy || defaultModel, 64).ifPresent(warnings::add);
      Dataset sample = sampleOf(all, data.isImageFolder() && !numpy);
      if (data.isImageFolder() && !numpy) {
        String how = sample == all ? "all " + all.size() + " images of the folder"
            : "class-balanced random sample of " + sample.size() + " of " + all.size() + " images (" + all.classNames().size()
                + " classes), seed " + calibSeed;
        return new CalibrationSet(sample, how, preprocessing, warnings);
      }
      return new CalibrationSet(sample, "first " + sample.size() + " images of " + all.name(), preprocessing, warnings);
    }

    /** The calibration samples of {@code all}: a class-balanced seeded sample of a folder, else the first ones. */
    Dataset sampleOf(Dataset all, boolean imageFolder) {
      return imageFolder ? Datasets.balancedSample(all, calibSize, calibSeed) : all.limit(calibSize);
    }

    /** What {@link #calibrationSet} opens, as values a Spark task can reopen. */
    DataOptions.Spec calibrationSpec(Path dir, InputOptions input, io.quantkit.ir.Graph model) {
      DataOptions data = new DataOptions();
      data.data = dir;
      data.split = "train";
      return data.spec(input, model.inputs(), null);
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
