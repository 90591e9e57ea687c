package io.quantkit.cli;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.internal.AtomicFiles;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationListener;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The README's accuracy sweep: every combination of activation type, weight granularity and
 * range estimator, calibrated on training images and evaluated on ONNX Runtime against the FP32
 * model, on the CIFAR-10 test file and (paired flips) on the 10,000 JPEG test images.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "Quantize with every configuration, evaluate each on ONNX Runtime, write a Markdown table.")
final class SweepCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--calib-size", defaultValue = "500", description = "Calibration images from the training split (default ${DEFAULT-VALUE}).")
  int calibSize;

  @Option(names = "--methods", split = ",", defaultValue = "minmax,percentile,entropy,mse", description = "Estimators (default ${DEFAULT-VALUE}).")
  List<String> methods;

  @Option(names = "--percentile", defaultValue = "99.99", description = "Percentile for the percentile method (default ${DEFAULT-VALUE}).")
  double percentile;

  @Option(names = "--activations", split = ",", defaultValue = "uint8,int8", description = "Activation types (default ${DEFAULT-VALUE}).")
  List<String> activations;

  @Option(names = "--jpeg", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Also measure agreement with FP32 on the 10,000 JPEG test images (default ${DEFAULT-VALUE}).")
  boolean jpeg;

  @Option(names = "--also-on", split = ",", defaultValue = "pytorch",
      description = "Also run each INT8 model on these backends: flips vs FP32 and agreement with ONNX Runtime (default "
          + "${DEFAULT-VALUE}; --also-on= for none).")
  List<String> alsoOn;

  @Option(names = "--calib-backend", defaultValue = "reference",
      description = "Backend that runs calibration (default ${DEFAULT-VALUE}: plans are then the same on every CPU).")
  String calibBackend;

  @Option(names = "--sensitivity",
      description = "Sensitivity scan instead of the grid: the first activation type and method, per-tensor, each Conv/Gemm "
          + "layer alone kept in FP32 (one row per layer).")
  boolean sensitivity;

  @Option(names = "--spark", paramLabel = "MASTER",
      description = "Run the calibrations and evaluations as Spark tasks (configuration x data shard) on this master, "
          + "e.g. local[2] or spark://host:7077; the table is the same.")
  String spark;

  @Option(names = "--out-dir", defaultValue = "out/sweep", description = "Where the .qdq.onnx files, plans and table go (default ${DEFAULT-VALUE}).")
  Path outDir;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    new OutputChecks().input("--model", model.path()).output("--out-dir", outDir.resolve("sweep.md"))
        .output("(fp32 model)", outDir.resolve("fp32.onnx")).check();
    Files.createDirectories(outDir);
    Graph fp32 = model.load();
    Backend ort = Backends.named("onnx");
    RunnerOptions runnerOptions = RunnerOptions.builder().threads(common.threads).build();
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Dataset test = io.quantkit.data.Cifar10.test(home);
    Dataset calib = io.quantkit.data.Cifar10.train(home).limit(calibSize);
    Dataset jpegTest = jpeg ? ImageFolderDataset.open(home.cifar10JpegTestDir()) : null;

    List<SweepConfig> configs = SweepConfig.grid(activations, methods, percentile, calibSize);
    if (sensitivity) {
      List<String> layers = fp32.nodes().stream().filter(n -> n.op().type().equals("Conv") || n.op().type().equals("Gemm"))
          .map(n -> n.name()).toList();
      configs = SweepConfig.sensitivity(configs.get(0), layers);
    }
    try (Engine engine = spark == null ? new LocalEngine(runnerOptions)
        : SparkRuns.sweepEngine(spark, model.path(), configs, calibBackend, common.threads, calibSize, err)) {
      return run(engine, fp32, configs, ort, test, calib, jpegTest, out, err);
    }
  }

  private Integer run(Engine engine, Graph fp32, List<SweepConfig> configs, Backend ort, Dataset test, Dataset calib,
      Dataset jpegTest, PrintWriter out, PrintWriter err) throws IOException {
    Path fp32File = outDir.resolve("fp32.onnx");
    OnnxModel.save(fp32, fp32File);
    long fp32Bytes = Files.size(fp32File);
    AccuracyReport base = engine.evaluate("fp32", fp32, ort.name(), test, null, "fp32", err);
    AccuracyReport jpegBase = jpegTest == null ? null : engine.evaluate("fp32", fp32, ort.name(), jpegTest, null, "fp32", err);
    base.save(outDir.resolve("fp32.report.json"));

    List<String> rows = new ArrayList<>();
    rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %.2f %% | — | — | %s | %,d B (100 %%) |",
        "fp32", "fp32", "—", 100 * base.top1(), jpegBase == null ? "—" : String.format(Locale.ROOT, "%.2f %% top-1", 100 * jpegBase.top1()), fp32Bytes)
        + " — | — |".repeat(extraBackends().size()));
    for (SweepConfig c : configs) {
      String config = c.name();
      err.println("== " + config);
      QuantPlan plan = engine.calibrate(c, fp32, calib);
      QuantizationResult q = Qdq.quantize(fp32, plan);
      Path file = outDir.resolve(config + ".qdq.onnx");
      OnnxModel.save(q.graph(), file);
      q.plan().save(outDir.resolve(config + ".plan.json"));
      long bytes = Files.size(file);
      AccuracyReport r = engine.evaluate(config, q.graph(), ort.name(), test, base, "int8", err);
      AccuracyReport rj = jpegTest == null ? null : engine.evaluate(config, q.graph(), ort.name(), jpegTest, jpegBase, "int8", err);
      r.save(outDir.resolve(config + ".report.json"));
      StringBuilder others = new StringBuilder();
      for (String other : extraBackends()) {
        AccuracyReport o = engine.evaluate(config, q.graph(), other, test, base, "int8", err);
        int agree = 0;
        for (int i = 0; i < o.samples(); i++) {
          agree += o.prediction(i) == r.prediction(i) ? 1 : 0;
        }
        others.append(String.format(Locale.ROOT, " %d | %.1f %% |", o.flips(), 100.0 * agree / o.samples()));
      }
      String jpegCell = rj == null ? "—" : String.format(Locale.ROOT, "%.2f %% (%d flips)",
          100.0 * (rj.samples() - rj.flips()) / rj.samples(), rj.flips());
      rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %.2f %% | %+.2f | %d | %s | %,d B (%.1f %%) |",
          c.activations(), c.perChannel() ? "per-channel" : "per-tensor",
          c.method() + (c.exclude().isEmpty() ? "" : ", " + String.join(", ", c.exclude()) + " in FP32"), 100 * r.top1(),
          0.0 - r.dropPoints(),
          r.flips(), jpegCell, bytes, 100.0 * bytes / fp32Bytes) + others);
    }
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT,
        "Calibration: first %d images of the training split on %s; evaluation: %d images of %s on ONNX Runtime%s.%n%n",
        calib.size(), calibBackend, test.size(), test.name(), jpegTest == null ? "" : "; JPEG: paired agreement with FP32 on " + jpegTest.size() + " images"));
    if (!extraBackends().isEmpty()) {
      table.append("The same QDQ models also run on ").append(String.join(", ", extraBackends()))
          .append(": flips vs FP32 and agreement with ONNX Runtime's INT8 predictions on the same images.\n\n");
    }
    StringBuilder header = new StringBuilder("| activations | weights | method | top-1 | change (pt) | flips | JPEG agreement | .onnx size |");
    StringBuilder rule = new StringBuilder("|---|---|---|---|---|---|---|---|");
    for (String other : extraBackends()) {
      header.append(' ').append(other).append(" flips | ").append(other).append(" = ORT |");
      rule.append("---|---|");
    }
    table.append(header).append('\n').append(rule).append('\n');
    rows.forEach(r -> table.append(r).append('\n'));
    Path tableFile = outDir.resolve("sweep.md");
    AtomicFiles.write(tableFile, table.toString().getBytes(StandardCharsets.UTF_8));
    out.print(table);
    out.println("table written to " + tableFile);
    return 0;
  }

  private List<String> extraBackends() {
    List<String> out = new ArrayList<>();
    for (String b : alsoOn == null ? List.<String>of() : alsoOn) {
      if (!b.isBlank() && !b.equals("onnx")) {
        out.add(b.strip());
      }
    }
    return out;
  }

  /**
   * Where the sweep's calibrations and evaluations run: {@link LocalEngine} here, or Spark tasks
   * ({@link SparkRuns#sweepEngine}); both give the same plans and reports.
   */
  interface Engine extends AutoCloseable {
    QuantPlan calibrate(SweepConfig config, Graph fp32, Dataset calib);

    /** {@code model} (named {@code key}: "fp32" or a configuration's name) on {@code backend}, labelled as the sweep labels it. */
    AccuracyReport evaluate(String key, Graph model, String backend, Dataset data, AccuracyReport baseline, String precision,
        PrintWriter err);

    @Override
    default void close() {}
  }

  /** Batch size of the sweep's evaluations. */
  static final int EVAL_BATCH = 100;

  private final class LocalEngine implements Engine {
    private final RunnerOptions runnerOptions;

    LocalEngine(RunnerOptions runnerOptions) {
      this.runnerOptions = runnerOptions;
    }

    @Override
    public QuantPlan calibrate(SweepConfig config, Graph fp32, Dataset calib) {
      return config.calibration(runnerOptions, CalibrationListener.NONE).calibrate(fp32, calib, Backends.named(calibBackend));
    }

    @Override
    public AccuracyReport evaluate(String key, Graph g, String backend, Dataset data, AccuracyReport baseline, String precision,
        PrintWriter err) {
      try (Runner runner = Backends.named(backend).compile(g, runnerOptions)) {
        Evaluation.Builder b = Evaluation.builder().dataset(data).batchSize(EVAL_BATCH).backend(runner.backendName())
            .precision(precision).model(model.path().getFileName().toString())
            .progress(new Progress(err, "eval " + data.name())::update);
        if (baseline != null) {
          b.baseline(baseline);
        }
        return b.build().run(runner);
      }
    }
  }
}
