package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationListener;
import io.quantkit.quant.debug.QuantErrorReport;
import io.quantkit.report.HtmlReport;
import io.quantkit.report.QuantizationStudy;
import io.quantkit.report.StudyProgress;
import io.quantkit.report.StudyResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * {@code quantkit quantize} without {@code --out}: the whole job on the model (the embedded ResNet8
 * by default) with the quantize flags as the primary configuration and, for comparison, the same
 * flags with the other weight granularity. Writes the QDQ models, plans, accuracy and per-layer
 * JSON and {@code report.html} into {@code --out-dir}; prints the accuracy and per-layer SQNR.
 */
final class QuantizeJob implements Callable<Integer> {
  /** The job's own flags, mixed into {@code quantize}. */
  static final class Options {
    @Option(names = "--out-dir", defaultValue = "out/quantize", paramLabel = "DIR",
        description = "Without --out: where the models, plans, JSON and report.html go (default ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--backends", split = ",", defaultValue = "onnx,reference", paramLabel = "NAME",
        description = "Without --out: backends that evaluate FP32 and INT8 (default ${DEFAULT-VALUE}); calibration and the "
            + "per-layer error run on --calib-backend.")
    List<String> backends;

    @Option(names = "--eval-limit", paramLabel = "N", description = "Without --out: evaluate on the first N test images (default: all).")
    Integer evalLimit;

    @Option(names = "--compare", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Without --out: also quantize with the other weight granularity (per-tensor vs per-channel; default ${DEFAULT-VALUE}).")
    boolean compare;
  }

  private final QuantizeCommand cmd;

  QuantizeJob(QuantizeCommand cmd) {
    this.cmd = cmd;
  }

  @Override
  public Integer call() throws IOException {
    if (cmd.fromPlan != null || cmd.planFile != null) {
      throw new IllegalArgumentException("--plan and --from-plan go with --out; without --out, quantize runs the whole job "
          + "and writes every plan into --out-dir");
    }
    Options o = cmd.job;
    if (o.evalLimit != null && o.evalLimit <= 0) {
      throw new IllegalArgumentException("--eval-limit must be positive, not " + o.evalLimit);
    }
    PrintWriter out = cmd.spec.commandLine().getOut();
    PrintWriter err = cmd.spec.commandLine().getErr();
    Path modelPath = cmd.model.path();
    Graph fp32 = cmd.model.load();
    QuantizeCommand.QuantizationOptions.CalibrationSet calibSet = cmd.quant.calibrationSet(cmd.calibData, cmd.input, fp32,
        cmd.model.model == null);
    calibSet.warnings().forEach(w -> err.println("warning: " + w));
    Dataset calib = calibSet.dataset();
    // the test set is the CIFAR-10 test file, prepared as the calibration images were; --arrays
    // when given; for calibration arrays without --arrays, the calibration arrays themselves
    boolean numpyCalib = cmd.calibData != null && DataOptions.isNumpy(cmd.calibData);
    Dataset test = cmd.input.arrays != null ? new DataOptions().openAll(cmd.input, fp32.inputs(), null)
        : numpyCalib ? calibSet.dataset()
        : new DataOptions().openAll(cmd.input.preprocessing(fp32.inputs(), null));
    if (o.evalLimit != null) {
      test = test.limit(o.evalLimit);
    }
    RunnerOptions runnerOptions = RunnerOptions.builder().threads(cmd.common.threads).build();
    Set<String> backendNames = new LinkedHashSet<>();
    backendNames.add(cmd.calibBackend);
    backendNames.addAll(o.backends);

    Calibration primary = cmd.quant.calibration(runnerOptions, CalibrationListener.NONE);
    QuantizationStudy.Builder study = QuantizationStudy.builder().model(fp32).modelName(modelPath.getFileName().toString())
        .calibrationSet(calib).testSet(test).runnerOptions(runnerOptions).configuration(primary);
    if (o.compare) {
      boolean saved = cmd.quant.perChannel;
      cmd.quant.perChannel = !saved;
      study.configuration(cmd.quant.calibration(runnerOptions, CalibrationListener.NONE));
      cmd.quant.perChannel = saved;
    }
    for (String name : backendNames) {
      study.backend(Backends.named(name));
    }
    StepProgress progress = new StepProgress(err);
    StudyResult result = study.listener(progress::update).build().run();

    Path dir = o.outDir;
    Files.createDirectories(dir);
    String first = result.primaryBackend();
    result.fp32().get(first).writeJson(dir.resolve("fp32.report.json"));
    List<String> written = new ArrayList<>();
    for (StudyResult.Configuration c : result.configurations()) {
      Path model = dir.resolve(c.name() + ".qdq.onnx");
      io.quantkit.quant.QuantPlan plan = calibSet.preprocessing().equals("raw") ? c.quantization().plan()
          : c.quantization().plan().toBuilder().metadata("preprocessing", calibSet.preprocessing()).build();
      OnnxModel.save(InputOptions.record(c.quantization().graph(), plan), model);
      plan.save(dir.resolve(c.name() + ".plan.json"));
      c.int8().get(first).writeJson(dir.resolve(c.name() + ".report.json"));
      c.error().writeJson(dir.resolve(c.name() + ".layers.json"));
      written.add(String.format(Locale.ROOT, "%s (%,d bytes)", model, Files.size(model)));
    }
    Path report = dir.resolve("report.html");
    HtmlReport.Builder html = HtmlReport.builder(result);
    if (cmd.input.arrays == null && !numpyCalib) {
      // thumbnails show the images as decoded (0..255 NHWC), not as the model takes them
      Dataset raw = new DataOptions().openAll(io.quantkit.data.Preprocessing.none());
      html.thumbnails(o.evalLimit == null ? raw : raw.limit(o.evalLimit));
    }
    html.build().write(report);

    out.print(accuracyTable(result));
    out.println();
    out.print(sqnrTable(result));
    out.println();
    out.println("wrote " + String.join(", ", written) + " with their .plan.json, .report.json and .layers.json");
    out.println("report: " + report);
    return 0;
  }

  static String accuracyTable(StudyResult r) {
    StringBuilder sb = new StringBuilder();
    AccuracyReport any = r.fp32().values().iterator().next();
    sb.append(String.format(Locale.ROOT, "%s: top-1 on %d images of %s (calibration: %d images of %s)%n", r.model(),
        any.samples(), r.testSet(), r.calibrationImages(), r.calibrationSet()));
    int w = "configuration".length();
    for (StudyResult.Configuration c : r.configurations()) {
      w = Math.max(w, c.name().length());
    }
    String row = "  %-" + w + "s  %-10s  %8s  %7s  %5s%n";
    sb.append(String.format(Locale.ROOT, row, "configuration", "backend", "top-1", "change", "flips"));
    r.fp32().forEach((b, a) -> sb.append(String.format(Locale.ROOT, row, "fp32", b, pct(a.top1()), "", "")));
    for (StudyResult.Configuration c : r.configurations()) {
      c.int8().forEach((b, a) -> sb.append(String.format(Locale.ROOT, row, c.name(), b, pct(a.top1()),
          String.format(Locale.ROOT, "%+.2f", -a.dropPoints()), a.flips())));
    }
    return sb.toString();
  }

  /** Activation SQNR per tensor, one column per configuration. */
  static String sqnrTable(StudyResult r) {
    StringBuilder sb = new StringBuilder();
    QuantErrorReport p = r.primary().error();
    sb.append(String.format(Locale.ROOT, "per-layer SQNR in dB (FP32 vs INT8 activations, %d test images on %s; higher is better):%n",
        p.images(), p.backend()));
    int w = "tensor".length();
    for (QuantErrorReport.ActivationError a : p.activations()) {
      w = Math.max(w, a.tensor().length());
    }
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %-" + w + "s  %-10s", "tensor", "written by"));
    for (StudyResult.Configuration c : r.configurations()) {
      header.append(String.format(Locale.ROOT, "  %" + Math.max(8, c.name().length()) + "s", c.name()));
    }
    sb.append(header).append(System.lineSeparator());
    for (QuantErrorReport.ActivationError a : p.activations()) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-" + w + "s  %-10s", a.tensor(), a.opType()));
      for (StudyResult.Configuration c : r.configurations()) {
        Double db = c.error().activations().stream().filter(x -> x.tensor().equals(a.tensor())).findFirst()
            .map(QuantErrorReport.ActivationError::sqnrDb).orElse(null);
        String cell = db == null ? "—" : String.format(Locale.ROOT, "%.1f", db);
        line.append(String.format(Locale.ROOT, "  %" + Math.max(8, c.name().length()) + "s", cell));
      }
      sb.append(line).append(System.lineSeparator());
    }
    return sb.toString();
  }

  private static String pct(double x) {
    return String.format(Locale.ROOT, "%.2f %%", 100 * x);
  }

  /** One {@link Progress} line per step of the study on stderr. */
  private static final class StepProgress {
    private final PrintWriter err;
    private String step;
    private Progress current;

    StepProgress(PrintWriter err) {
      this.err = err;
    }

    void update(StudyProgress p) {
      if (!p.step().equals(step)) {
        step = p.step();
        current = new Progress(err, step);
      }
      current.update(p.stepDone(), p.stepTotal());
    }
  }
}
