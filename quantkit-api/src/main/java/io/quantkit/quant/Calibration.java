package io.quantkit.quant;

import com.google.common.base.Preconditions;
import io.quantkit.BackendException;
import io.quantkit.CalibrationException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.BatchNormFolding;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Static post-training calibration: runs calibration images through the FP32 graph on any
 * {@link Backend}, observes every tensor the QDQ placement will quantize, and turns what it saw
 * into a {@link QuantPlan}.
 *
 * <pre>{@code
 * QuantPlan plan = Calibration.builder()
 *     .method(CalibrationMethod.ENTROPY)
 *     .perChannelWeights(true)
 *     .build()
 *     .calibrate(fp32, Cifar10.train().limit(500), Backends.named("onnx"));
 * }</pre>
 *
 * <p>Pass images from the <em>training</em> split: calibrating on the test set leaks it into the
 * model and flatters the accuracy you then measure on it. Only the first {@code calibSize} images
 * are used.
 *
 * <p>One pass: the graph (BatchNorm folded, as {@link Qdq} will see it) is compiled once with all
 * observed tensors as extra outputs, each batch updates one {@link TensorStatistics} per tensor
 * (memory bounded by the histogram, activations are not stored), and the ranges are estimated
 * once at the end. The graph input always uses min/max: clipping raw input data never helps, and
 * 0..255 pixels then map exactly onto UINT8. With MINMAX no histogram is kept at all.
 *
 * <p>Immutable and reusable.
 *
 * <p>Thread-safety: thread-safe; concurrent {@link #calibrate} calls keep their statistics apart. Its
 * {@link Builder} is not.
 */
public final class Calibration {
  private final CalibrationMethod method;
  private final double percentile;
  private final int calibSize;
  private final int batchSize;
  private final int bins;
  private final QuantOptions options;
  private final RunnerOptions runnerOptions;
  private final CalibrationListener listener;

  private Calibration(Builder b) {
    this.method = b.method;
    this.percentile = b.percentile;
    this.calibSize = b.calibSize;
    this.batchSize = b.batchSize;
    this.bins = b.bins;
    this.options = b.options.build();
    this.runnerOptions = b.runnerOptions;
    this.listener = b.listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  public CalibrationMethod method() {
    return method;
  }

  public double percentile() {
    return percentile;
  }

  public int calibSize() {
    return calibSize;
  }

  public int batchSize() {
    return batchSize;
  }

  public QuantOptions options() {
    return options;
  }

  /**
   * Calibrates {@code fp32} on the first {@code calibSize} images of {@code calib}, running them
   * on {@code backend}.
   *
   * @throws CalibrationException when the set is empty or a tensor shows NaN/infinity
   */
  public QuantPlan calibrate(Graph fp32, Dataset calib, Backend backend) {
    Preconditions.checkNotNull(backend, "backend");
    int n = Math.min(calibSize, calib.size());
    if (n == 0) {
      throw new CalibrationException("calibration set '" + calib.name() + "' is empty");
    }
    Graph folded = BatchNormFolding.apply(fp32);
    Exclusions.check(fp32, folded, options);
    QdqPlacement placement = QdqPlacement.of(folded, options);
    String input = folded.input().name();
    List<String> tensors = placement.calibratedTensors();
    Map<String, TensorStatistics> stats = new LinkedHashMap<>();
    List<String> observed = new ArrayList<>();
    for (String t : tensors) {
      boolean histogram = method != CalibrationMethod.MINMAX && !t.equals(input);
      stats.put(t, new TensorStatistics(t, bins, histogram));
      if (!t.equals(input)) {
        observed.add(t);
      }
    }
    // The un-folded ReLUs stay in the calibrated graph: their outputs are what gets quantized.
    Graph probe = observed.isEmpty() ? null : folded.withOutputs(observed);
    // the backend's idle threads must not spin while this thread and its helpers gather statistics
    RunnerOptions probeOptions = runnerOptions.toBuilder().busyWait(false).build();
    try (Runner runner = probe == null ? null : backend.compile(probe, probeOptions)) {
      for (int from = 0; from < n; from += batchSize) {
        int to = Math.min(n, from + batchSize);
        Batch batch = calib.batch(from, to);
        Tensor images = batch.images();
        try {
          TensorStatistics in = stats.get(input);
          if (in != null) {
            in.add(images);
          }
          if (runner != null) {
            // scoped: the backend may hand out views of its own output buffers, read in place
            runner.runScoped(Map.of(input, images), out -> collect(backend, observed, stats, out));
          }
        } catch (CalibrationException e) {
          throw new CalibrationException(e.getMessage() + " (calibration images " + from + ".." + (to - 1) + " of '"
              + calib.name() + "')", e);
        }
        listener.onBatch(to, n);
      }
    }
    return plan(fp32.name(), placement, stats.values(), calib.name(), n);
  }

  private static void collect(Backend backend, List<String> observed, Map<String, TensorStatistics> stats,
      Map<String, Tensor> out) {
    for (String t : observed) {
      if (out.get(t) == null) {
        throw new BackendException("backend '" + backend.name() + "' did not return tensor '" + t
            + "' requested as a calibration output");
      }
    }
    // One collector per tensor: tensors are independent, so they update in parallel. Activations
    // shrink with depth (the first stage's are 4x the last's), so a static split of the list
    // leaves one thread with most of the work; threads take the largest remaining tensor instead.
    // An error is reported for the first failing tensor in graph order, whatever the timing.
    List<String> bySize = new ArrayList<>(observed);
    bySize.sort(Comparator.comparingInt((String t) -> out.get(t).size()).reversed());
    AtomicInteger next = new AtomicInteger();
    Map<String, CalibrationException> failed = new ConcurrentHashMap<>();
    Runnable worker = () -> {
      for (int i = next.getAndIncrement(); i < bySize.size(); i = next.getAndIncrement()) {
        String t = bySize.get(i);
        try {
          stats.get(t).add(out.get(t));
        } catch (CalibrationException e) {
          failed.put(t, e);
        }
      }
    };
    int helpers = Math.min(ForkJoinPool.getCommonPoolParallelism(), bySize.size() - 1);
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (int i = 0; i < helpers; i++) {
      running.add(CompletableFuture.runAsync(worker));
    }
    // every helper is joined before anything propagates: they read the backend's output buffers,
    // which are only valid inside this call
    RuntimeException unexpected = null;
    try {
      worker.run();
    } catch (RuntimeException e) {
      unexpected = e;
    }
    for (CompletableFuture<Void> helper : running) {
      try {
        helper.join();
      } catch (CompletionException e) {
        RuntimeException cause = e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : e;
        if (unexpected == null) {
          unexpected = cause;
        } else {
          unexpected.addSuppressed(cause);
        }
      }
    }
    if (unexpected != null) {
      throw unexpected;
    }
    for (String t : observed) {
      if (failed.containsKey(t)) {
        throw failed.get(t);
      }
    }
  }

  /**
   * Builds the plan from statistics gathered elsewhere (one per tensor of
   * {@link #tensorsToObserve}); {@link #calibrate} ends with this.
   */
  public QuantPlan plan(Graph fp32, Collection<TensorStatistics> statistics, String datasetName, int samples) {
    Graph folded = BatchNormFolding.apply(fp32);
    return plan(fp32.name(), QdqPlacement.of(folded, options), statistics, datasetName, samples);
  }

  /**
   * The tensors calibration observes for {@code fp32}, named as in the BatchNorm-folded graph
   * (which keeps BatchNorm output names); the graph input is among them when it is quantized.
   */
  public List<String> tensorsToObserve(Graph fp32) {
    return QdqPlacement.of(BatchNormFolding.apply(fp32), options).calibratedTensors();
  }

  private QuantPlan plan(String graphName, QdqPlacement p, Collection<TensorStatistics> statistics, String datasetName,
      int samples) {
    Map<String, TensorStatistics> byName = new HashMap<>();
    statistics.forEach(s -> byName.put(s.tensor(), s));
    List<String> tensors = p.calibratedTensors();
    for (String t : tensors) {
      if (!byName.containsKey(t)) {
        throw new CalibrationException("no statistics for tensor '" + t + "'");
      }
    }
    Map<String, TensorRange> ranges = new ConcurrentHashMap<>();
    // Estimators are independent per tensor and the histogram searches are the costly part.
    tensors.parallelStream().forEach(t -> {
      TensorStatistics s = byName.get(t);
      boolean raw = p.isGraphInput(t) || !s.hasHistogram();
      ranges.put(t, raw ? RangeEstimators.minMax(s)
          : RangeEstimators.estimate(s, method, options.activationType(), options.symmetricActivations(), percentile));
    });
    List<String> warnings = new ArrayList<>(p.warnings);
    if (options.shareAddInputScales()) {
      shareAddRanges(p, ranges, warnings);
    }
    Map<String, QuantParams> activations = new LinkedHashMap<>();
    for (String t : tensors) {
      TensorRange range = ranges.get(t);
      if (p.isGraphInput(t) && options.saturationSafeInput() && options.activationType() == QuantType.UINT8) {
        // stretching the range by 255/127 makes the scale (max - min) / 127: values use 0..127
        float stretch = 255f / 127f;
        range = new TensorRange(range.min() * stretch, range.max() * stretch);
      }
      activations.put(t, QuantMath.params(range, options.activationType(), options.symmetricActivations()));
    }
    Qdq.Layers layers = Qdq.Layers.compute(p, activations, null, options, warnings);
    QuantPlan.Builder plan = QuantPlan.builder(graphName)
        .options(options)
        .calibration(new QuantPlan.CalibrationInfo(method, method == CalibrationMethod.PERCENTILE ? percentile : null,
            samples, datasetName));
    layers.tensors.forEach(plan::put);
    for (String t : tensors) {
      TensorStatistics s = byName.get(t);
      TensorRange r = ranges.get(t);
      plan.observation(t, new QuantPlan.Observation(s.count(), s.min(), s.max(), r.min(), r.max()));
    }
    for (int i = 0; i < warnings.size(); i++) {
      plan.metadata("warning." + (i + 1), warnings.get(i));
    }
    return plan.build();
  }

  /**
   * With {@link QuantOptions#shareAddInputScales()}: the inputs of each quantized Add (and,
   * transitively, of Adds sharing an input) get the union of their ranges. Outputs of folded
   * ReLUs must keep a range starting at 0 and stay out of groups that would go negative.
   */
  private static void shareAddRanges(QdqPlacement p, Map<String, TensorRange> ranges, List<String> warnings) {
    Map<String, String> parent = new HashMap<>();
    for (Node n : p.graph.nodes()) {
      if (!(n.op() instanceof Op.Add) || p.roles.get(n.name()) != QdqPlacement.Role.ELEMENTWISE) {
        continue;
      }
      String first = null;
      for (String in : n.inputs()) {
        if (!p.quantized.containsKey(in)) {
          continue; // a constant operand keeps its own parameters
        }
        String src = p.source(in);
        parent.putIfAbsent(src, src);
        if (first == null) {
          first = src;
        } else {
          parent.put(find(parent, src), find(parent, first));
        }
      }
    }
    Map<String, TensorRange> union = new HashMap<>();
    for (String t : parent.keySet()) {
      union.merge(find(parent, t), ranges.get(t), TensorRange::union);
    }
    for (String t : parent.keySet()) {
      TensorRange shared = union.get(find(parent, t));
      if (p.foldedOutputs.containsKey(t) && shared.min() < 0) {
        warnings.add("tensor '" + t + "' keeps its own scale: it is a folded ReLU output and the shared Add range ["
            + shared.min() + ", " + shared.max() + "] goes below 0");
        continue;
      }
      ranges.put(t, shared);
    }
  }

  private static String find(Map<String, String> parent, String t) {
    String r = t;
    while (!parent.get(r).equals(r)) {
      r = parent.get(r);
    }
    return r;
  }

  public static final class Builder {
    private CalibrationMethod method = CalibrationMethod.MINMAX;
    private double percentile = 99.99;
    private int calibSize = 500;
    private int batchSize = 50;
    private int bins = TensorStatistics.DEFAULT_BINS;
    private final QuantOptions.Builder options = QuantOptions.builder();
    private RunnerOptions runnerOptions = RunnerOptions.defaults();
    private CalibrationListener listener = CalibrationListener.NONE;

    private Builder() {}

    public Builder method(CalibrationMethod value) {
      this.method = Preconditions.checkNotNull(value);
      return this;
    }

    /** For PERCENTILE: which percentile of the values (of |x| when symmetric) to keep, in (50, 100]; default 99.99. */
    public Builder percentile(double value) {
      Preconditions.checkArgument(value > 50 && value <= 100, "percentile must be in (50, 100], got %s", value);
      this.percentile = value;
      return this;
    }

    /** Number of calibration images used (the first ones of the set); default 500. */
    public Builder calibSize(int value) {
      Preconditions.checkArgument(value > 0, "calibSize must be > 0, got %s", value);
      this.calibSize = value;
      return this;
    }

    /** Images per backend call; default 50. */
    public Builder batchSize(int value) {
      Preconditions.checkArgument(value > 0, "batchSize must be > 0, got %s", value);
      this.batchSize = value;
      return this;
    }

    /** Histogram bins per sign; default {@link TensorStatistics#DEFAULT_BINS}. */
    public Builder histogramBins(int value) {
      Preconditions.checkArgument(value >= 16, "need at least 16 bins, got %s", value);
      this.bins = value;
      return this;
    }

    /** Replaces all quantization options at once. */
    public Builder options(QuantOptions value) {
      options.activationType(value.activationType())
          .symmetricActivations(value.symmetricActivations())
          .perChannelWeights(value.perChannelWeights())
          .weightMethod(value.weightMethod())
          .excludeNodes(value.excludeNodes())
          .excludeOpTypes(value.excludeOpTypes())
          .dequantizePerConsumer(value.dequantizePerConsumer())
          .shareAddInputScales(value.shareAddInputScales())
          .reduceWeightRange(value.reduceWeightRange())
          .saturationSafeInput(value.saturationSafeInput());
      return this;
    }

    public Builder perChannelWeights(boolean value) {
      options.perChannelWeights(value);
      return this;
    }

    /** Activation type: UINT8 (default) or INT8. */
    public Builder activations(QuantType value) {
      options.activationType(value);
      return this;
    }

    public Builder symmetricActivations(boolean value) {
      options.symmetricActivations(value);
      return this;
    }

    public Builder weightMethod(CalibrationMethod value) {
      options.weightMethod(value);
      return this;
    }

    public Builder excludeNodes(Collection<String> names) {
      options.excludeNodes(names);
      return this;
    }

    public Builder excludeOpTypes(Collection<String> opTypes) {
      options.excludeOpTypes(opTypes);
      return this;
    }

    public Builder saturationSafeInput(boolean value) {
      options.saturationSafeInput(value);
      return this;
    }

    public Builder reduceWeightRange(boolean value) {
      options.reduceWeightRange(value);
      return this;
    }

    public Builder shareAddInputScales(boolean value) {
      options.shareAddInputScales(value);
      return this;
    }

    /** Options for compiling the calibration graph on the backend. */
    public Builder runnerOptions(RunnerOptions value) {
      this.runnerOptions = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder listener(CalibrationListener value) {
      this.listener = Preconditions.checkNotNull(value);
      return this;
    }

    public Calibration build() {
      return new Calibration(this);
    }
  }
}
