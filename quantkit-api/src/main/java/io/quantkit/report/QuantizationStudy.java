package io.quantkit.report;

import com.google.common.base.Preconditions;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.QdqInspector;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantOptions;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.quant.debug.QuantErrorAnalysis;
import io.quantkit.quant.debug.QuantErrorReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The whole post-training quantization job in one call: FP32 accuracy on every backend, then per
 * configuration calibration (on the first backend), the QDQ model, INT8 accuracy on every backend
 * against that backend's FP32 run, and the per-layer error ({@link QuantErrorAnalysis}, on the
 * first backend). The result feeds {@link HtmlReport}.
 *
 * <pre>{@code
 * StudyResult r = QuantizationStudy.builder()
 *     .model(fp32)
 *     .calibrationSet(Cifar10.train())
 *     .testSet(Cifar10.test())
 *     .configuration("uint8-perchannel-minmax", Calibration.builder().perChannelWeights(true).build())
 *     .backend(Backends.named("onnx"))
 *     .build()
 *     .run();
 * HtmlReport.builder(r).thumbnails(Cifar10.test()).build().write(Path.of("report.html"));
 * }</pre>
 *
 * <p>Every evaluation and calibration is exactly what {@link Evaluation} and {@link Calibration}
 * compute on their own (same batch sizes as the command line), so the figures are those of
 * {@code quantkit eval} and {@code quantkit quantize} for the same settings.
 *
 * <p>Immutable; {@link #run} may be called from several threads at once (each call compiles its
 * own runners). Cancel with {@link Builder#cancelled}, checked after every batch: {@link #run}
 * then throws {@link CancellationException}; so does a listener that throws it.
 */
public final class QuantizationStudy {
  /** Images per evaluation batch, as {@code quantkit sweep} uses. */
  public static final int EVAL_BATCH = 100;

  private final Graph fp32;
  private final String modelName;
  private final Dataset calibrationSet;
  private final Dataset testSet;
  private final int debugImages;
  private final List<String> names;
  private final List<Calibration> calibrations;
  private final List<Backend> backends;
  private final RunnerOptions runnerOptions;
  private final int evalBatchSize;
  private final StudyListener listener;
  private final BooleanSupplier cancelled;

  private QuantizationStudy(Builder b) {
    this.fp32 = b.fp32;
    this.modelName = b.modelName != null ? b.modelName : b.fp32.name();
    this.calibrationSet = b.calibrationSet;
    this.testSet = b.testSet;
    this.debugImages = b.debugImages == null ? b.testSet.size() : Math.min(b.debugImages, b.testSet.size());
    this.names = List.copyOf(b.names);
    this.calibrations = List.copyOf(b.calibrations);
    this.backends = List.copyOf(b.backends);
    this.runnerOptions = b.runnerOptions;
    this.evalBatchSize = b.evalBatchSize;
    this.listener = b.listener;
    this.cancelled = b.cancelled;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A short name for a calibration's settings, e.g. "uint8-perchannel-entropy". */
  public static String configurationName(Calibration c) {
    QuantOptions o = c.options();
    return o.activationType().name().toLowerCase(Locale.ROOT) + (o.symmetricActivations() ? "sym" : "") + "-"
        + (o.perChannelWeights() ? "perchannel" : "pertensor") + "-" + c.estimator().name();
  }

  /** The settings in words, e.g. "minmax calibration on 500 images, uint8 activations, per-channel int8 weights". */
  public static String describe(Calibration c, int images) {
    QuantOptions o = c.options();
    StringBuilder sb = new StringBuilder();
    sb.append(c.estimator().name());
    c.estimator().parameters().forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v));
    sb.append(" calibration on ").append(images).append(" images, ")
        .append(o.activationType().name().toLowerCase(Locale.ROOT))
        .append(o.symmetricActivations() ? " symmetric" : "").append(" activations, ")
        .append(o.perChannelWeights() ? "per-channel" : "per-tensor").append(" int8 weights");
    if (o.reduceWeightRange()) {
      sb.append(" in [-64, 64]");
    }
    if (!o.excludeNodes().isEmpty()) {
      sb.append(", FP32 nodes ").append(String.join(", ", o.excludeNodes()));
    }
    if (!o.excludeOpTypes().isEmpty()) {
      sb.append(", FP32 op types ").append(String.join(", ", o.excludeOpTypes()));
    }
    return sb.toString();
  }

  public StudyResult run() {
    long start = System.nanoTime();
    Tracker tracker = new Tracker(totalWork());
    Map<String, AccuracyReport> fp32Reports = new LinkedHashMap<>();
    for (Backend backend : backends) {
      try (Runner runner = backend.compile(fp32, runnerOptions)) {
        fp32Reports.put(backend.name(), evaluate(runner, backend, "fp32", null, tracker));
      }
    }
    Backend first = backends.get(0);
    List<StudyResult.Configuration> configurations = new ArrayList<>();
    int calibrated = 0;
    for (int i = 0; i < calibrations.size(); i++) {
      String name = names.get(i);
      Calibration c = calibrations.get(i);
      String step = "calibrate " + name;
      Calibration withProgress = Calibration.builder().estimator(c.estimator())
          .calibSize(c.calibSize()).batchSize(c.batchSize()).options(c.options()).runnerOptions(runnerOptions)
          .listener((done, total) -> tracker.update(step, done, total)).build();
      tracker.check();
      QuantPlan plan = withProgress.calibrate(fp32, calibrationSet, first);
      if (i == 0) {
        calibrated = plan.calibration().samples();
      }
      tracker.finish(Math.min(c.calibSize(), calibrationSet.size()));
      QuantizationResult q = Qdq.quantize(fp32, plan);
      Map<String, AccuracyReport> int8 = new LinkedHashMap<>();
      for (Backend backend : backends) {
        try (Runner runner = backend.compile(q.graph(), runnerOptions)) {
          int8.put(backend.name(), evaluate(runner, backend, "int8 " + name, fp32Reports.get(backend.name()), tracker));
        }
      }
      String debugStep = "per-layer error " + name;
      QuantErrorReport error = QuantErrorAnalysis.builder().dataset(testSet.limit(debugImages)).runnerOptions(runnerOptions)
          .progress((done, total) -> tracker.update(debugStep, done, total)).build().analyze(fp32, q, first);
      tracker.finish(debugImages);
      configurations.add(new StudyResult.Configuration(name, describe(c, plan.calibration().samples()), q,
          QdqInspector.inspect(q.graph()), int8, error));
    }
    List<String> backendNames = backends.stream().map(Backend::name).toList();
    return new StudyResult(modelName, calibrationSet.name(), calibrated, testSet.name(), backendNames, fp32Reports,
        configurations, Duration.ofNanos(System.nanoTime() - start));
  }

  private long totalWork() {
    long total = 0;
    for (Calibration c : calibrations) {
      total += Math.min(c.calibSize(), calibrationSet.size()) + debugImages + (long) backends.size() * testSet.size();
    }
    return total + (long) backends.size() * testSet.size();
  }

  private AccuracyReport evaluate(Runner runner, Backend backend, String what, AccuracyReport baseline, Tracker tracker) {
    String step = "evaluate " + what + " on " + backend.name();
    Evaluation.Builder e = Evaluation.builder().dataset(testSet).batchSize(evalBatchSize).model(modelName)
        .backend(backend.name()).precision(baseline == null ? "fp32" : "int8")
        .progress((done, total) -> tracker.update(step, done, total));
    if (baseline != null) {
      e.baseline(baseline);
    }
    tracker.check();
    AccuracyReport r = e.build().run(runner);
    tracker.finish(testSet.size());
    return r;
  }

  /** Turns per-step progress into the share of the whole study and checks for cancellation. */
  private final class Tracker {
    private final long total;
    private long finished;

    Tracker(long total) {
      this.total = Math.max(1, total);
    }

    void update(String step, int done, int stepTotal) {
      check();
      listener.onProgress(new StudyProgress(step, done, stepTotal, Math.min(1.0, (finished + done) / (double) total)));
    }

    void finish(int work) {
      finished += work;
    }

    void check() {
      if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) {
        throw new CancellationException("quantization study cancelled");
      }
    }
  }

  /** Options; model, calibration set, test set, at least one configuration and one backend are required. */
  public static final class Builder {
    private Graph fp32;
    private String modelName;
    private Dataset calibrationSet;
    private Dataset testSet;
    private Integer debugImages;
    private final List<String> names = new ArrayList<>();
    private final List<Calibration> calibrations = new ArrayList<>();
    private final List<Backend> backends = new ArrayList<>();
    private RunnerOptions runnerOptions = RunnerOptions.defaults();
    private int evalBatchSize = EVAL_BATCH;
    private StudyListener listener = StudyListener.NONE;
    private BooleanSupplier cancelled = () -> false;

    private Builder() {}

    /** The FP32 model. */
    public Builder model(Graph value) {
      this.fp32 = Preconditions.checkNotNull(value);
      return this;
    }

    /** The model's name in reports (default: the graph's name). */
    public Builder modelName(String value) {
      this.modelName = value;
      return this;
    }

    /** Training images; each configuration uses the first {@link Calibration#calibSize()} of them. */
    public Builder calibrationSet(Dataset value) {
      this.calibrationSet = Preconditions.checkNotNull(value);
      return this;
    }

    /** Evaluation images (all of them). */
    public Builder testSet(Dataset value) {
      this.testSet = Preconditions.checkNotNull(value);
      return this;
    }

    /** How many of the test images the per-layer error runs on (default: all). */
    public Builder debugImages(int value) {
      Preconditions.checkArgument(value > 0, "debugImages must be positive, got %s", value);
      this.debugImages = value;
      return this;
    }

    /**
     * Adds a configuration; the first one added is the primary one. The study uses the
     * calibration's method, percentile, size, batch size and options with its own runner options
     * and progress listener (and the default histogram bins).
     */
    public Builder configuration(String name, Calibration calibration) {
      Preconditions.checkArgument(name != null && !name.isBlank(), "configuration name is empty");
      Preconditions.checkArgument(!name.equals("fp32"), "'fp32' names the FP32 model in reports; choose another name");
      Preconditions.checkArgument(!names.contains(name), "configuration '%s' added twice", name);
      names.add(name);
      calibrations.add(Preconditions.checkNotNull(calibration));
      return this;
    }

    /** Adds a configuration named by {@link #configurationName}. */
    public Builder configuration(Calibration calibration) {
      return configuration(configurationName(calibration), calibration);
    }

    /** Adds a backend; the first one added calibrates and measures the per-layer error. */
    public Builder backend(Backend value) {
      backends.add(Preconditions.checkNotNull(value));
      return this;
    }

    /** Options for every runner the study compiles (calibration's included). */
    public Builder runnerOptions(RunnerOptions value) {
      this.runnerOptions = Preconditions.checkNotNull(value);
      return this;
    }

    /** Images per evaluation batch (default {@value QuantizationStudy#EVAL_BATCH}). */
    public Builder evalBatchSize(int value) {
      Preconditions.checkArgument(value > 0, "batch size must be positive, got %s", value);
      this.evalBatchSize = value;
      return this;
    }

    public Builder listener(StudyListener value) {
      this.listener = Preconditions.checkNotNull(value);
      return this;
    }

    /** Checked after every batch; when it says true, {@link #run} throws {@link CancellationException}. */
    public Builder cancelled(BooleanSupplier value) {
      this.cancelled = Preconditions.checkNotNull(value);
      return this;
    }

    public QuantizationStudy build() {
      Preconditions.checkState(fp32 != null, "QuantizationStudy needs a model");
      Preconditions.checkState(calibrationSet != null, "QuantizationStudy needs a calibration set");
      Preconditions.checkState(testSet != null && testSet.size() > 0, "QuantizationStudy needs a non-empty test set");
      Preconditions.checkState(!calibrations.isEmpty(), "QuantizationStudy needs at least one configuration");
      Preconditions.checkState(!backends.isEmpty(), "QuantizationStudy needs at least one backend");
      return new QuantizationStudy(this);
    }
  }
}
