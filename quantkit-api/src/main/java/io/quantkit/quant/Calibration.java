package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.google.common.util.concurrent.Uninterruptibles;
import io.quantkit.BackendException;
import io.quantkit.CalibrationException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.GraphSimplification;
import io.quantkit.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Static post-training calibration: runs calibration samples through the FP32 graph on any
 * {@link Backend}, observes every tensor the QDQ placement will quantize, and turns what it saw
 * into a {@link QuantPlan} with a {@link RangeEstimator}.
 *
 * <pre>{@code
 * QuantPlan plan = Calibration.builder()
 *     .method(CalibrationMethod.ENTROPY)          // or .estimator(myOwnEstimator)
 *     .perChannelWeights(true)
 *     .build()
 *     .calibrate(fp32, Cifar10.train().limit(500), Backends.named("onnx"));
 * }</pre>
 *
 * <p>The input is any {@link CalibrationData}: batches keyed by graph input name, so models with
 * several inputs or with inputs that are not images calibrate the same way; an image
 * {@link Dataset} is one adapter of it ({@link #calibrate(Graph, Dataset, Backend)}). Pass data
 * from the <em>training</em> split: calibrating on the test set leaks it into the model and
 * flatters the accuracy you then measure on it. Only the first {@code calibSize} samples are used.
 *
 * <p>One pass: the graph (BatchNorm folded, as {@link Qdq} will see it) is compiled once with all
 * observed tensors as extra outputs, each batch updates one {@link TensorStatistics} per tensor
 * (memory bounded by the histogram, activations are not stored), and the ranges are estimated
 * once at the end. Graph inputs always use min/max: clipping raw input data never helps, and
 * 0..255 pixels then map exactly onto UINT8. An estimator that needs no histogram (MINMAX) makes
 * calibration keep none.
 *
 * <p>Statistics and range estimation run on the calling thread plus {@code statisticsThreads - 1}
 * threads of the calibration's own (named {@code quantkit-calibration-*}, daemon), created for
 * each call and shut down before it returns; the common ForkJoinPool is never used, so
 * calibration neither competes with nor waits behind the application's parallel streams.
 *
 * <p>Immutable and reusable; one instance may calibrate from several threads at once.
 *
 * <p>Thread-safety: thread-safe; concurrent {@link #calibrate} calls keep their statistics apart. Its
 * {@link Builder} is not.
 */
public final class Calibration {
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final RangeEstimator estimator;
  private final int calibSize;
  private final int batchSize;
  private final int bins;
  private final int statisticsThreads;
  private final QuantOptions options;
  private final RunnerOptions runnerOptions;
  private final CalibrationListener listener;

  private Calibration(Builder b) {
    this.estimator = b.estimator != null ? b.estimator : RangeEstimators.of(b.method, b.percentile);
    this.calibSize = b.calibSize;
    this.batchSize = b.batchSize;
    this.bins = b.bins;
    this.statisticsThreads = b.statisticsThreads;
    this.options = b.options.build();
    this.runnerOptions = b.runnerOptions;
    this.listener = b.listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** How activation ranges are chosen. */
  public RangeEstimator estimator() {
    return estimator;
  }

  /** The built-in method of {@link #estimator()}; empty for an estimator of the caller's. */
  public Optional<CalibrationMethod> method() {
    return RangeEstimators.methodNamed(estimator.name()).filter(m -> isBuiltIn(estimator));
  }

  public int calibSize() {
    return calibSize;
  }

  public int batchSize() {
    return batchSize;
  }

  /** Threads gathering statistics and estimating ranges, the calling thread included. */
  public int statisticsThreads() {
    return statisticsThreads;
  }

  public QuantOptions options() {
    return options;
  }

  private static boolean isBuiltIn(RangeEstimator e) {
    return e instanceof RangeEstimators.MinMax || e instanceof RangeEstimators.Percentile
        || e instanceof RangeEstimators.Entropy || e instanceof RangeEstimators.Mse;
  }

  /**
   * Calibrates {@code fp32} on the first {@code calibSize} images of {@code calib}, fed to the
   * graph's single input in batches of {@code batchSize}, running them on {@code backend}. The
   * convenience form of {@link #calibrate(Graph, CalibrationData, Backend)} with
   * {@link CalibrationData#of(Dataset, String, int)}.
   *
   * @throws CalibrationException when the set is empty or a tensor shows NaN/infinity
   *     A graph with several inputs takes a dataset whose batches name them (a
   *     {@link io.quantkit.data.NumpyDataset}); a graph with a fixed batch dimension is fed batches of
   *     that size.
   */
  public QuantPlan calibrate(Graph fp32, Dataset calib, Backend backend) {
    Preconditions.checkNotNull(calib, "calib");
    // a model exported with a fixed batch (ONNX zoo models: 1) is fed batches of exactly that size
    io.quantkit.ir.ValueInfo first = fp32.inputs().get(0);
    int fixed = first.shape().rank() >= 1 && first.shape().dim(0) > 0 ? first.shape().dim(0) : 0;
    String input = fp32.inputs().size() == 1 ? first.name() : io.quantkit.data.Batch.UNNAMED;
    return calibrate(fp32, CalibrationData.of(calib, input, fixed > 0 ? fixed : batchSize), backend);
  }

  /**
   * Calibrates {@code fp32} on the first {@code calibSize} samples of {@code data}, running them on
   * {@code backend}.
   *
   * @throws CalibrationException when the data is empty, a batch lacks a graph input, names a
   *     tensor that is no graph input or mixes batch sizes, or a tensor shows NaN/infinity
   */
  public QuantPlan calibrate(Graph fp32, CalibrationData data, Backend backend) {
    Preconditions.checkNotNull(fp32, "fp32");
    Preconditions.checkNotNull(data, "data");
    Preconditions.checkNotNull(backend, "backend");
    Graph folded = GraphSimplification.forQuantization(fp32, options.simplifyGraph());
    Exclusions.check(fp32, folded, options);
    QdqPlacement placement = QdqPlacement.of(folded, options);
    try (Pool pool = new Pool(statisticsThreads)) {
      Gathered g = gather(folded, placement, data, backend, Map.of(), calibSize, pool);
      if (g.seen == 0) {
        throw new CalibrationException("calibration data '" + data.name() + "' is empty");
      }
      return plan(fp32.name(), placement, g.stats.values(), data.name(), g.seen, pool);
    }
  }

  /**
   * The statistics {@link #calibrate} gathers, for every sample of {@code data} (no
   * {@code calibSize} limit: the caller chose the samples), one per tensor of
   * {@link #tensorsToObserve}, in that order; {@link #plan} turns statistics of all samples into
   * the plan. For calibration split into shards gathered apart: pass each shard here with the
   * histogram ranges a single run had after the first batch ({@code initialRanges}, by tensor; see
   * {@link TensorStatistics#seedRange}), {@link TensorStatistics#merge} the shards' statistics in
   * any order, and the plan equals the single run's. Empty data gives statistics with no values.
   *
   * @throws CalibrationException as {@link #calibrate} does for bad batches or non-finite values
   */
  public List<TensorStatistics> statistics(Graph fp32, CalibrationData data, Backend backend,
      Map<String, Double> initialRanges) {
    Preconditions.checkNotNull(fp32, "fp32");
    Preconditions.checkNotNull(data, "data");
    Preconditions.checkNotNull(backend, "backend");
    Preconditions.checkNotNull(initialRanges, "initialRanges");
    Graph folded = GraphSimplification.forQuantization(fp32, options.simplifyGraph());
    Exclusions.check(fp32, folded, options);
    QdqPlacement placement = QdqPlacement.of(folded, options);
    try (Pool pool = new Pool(statisticsThreads)) {
      return new ArrayList<>(gather(folded, placement, data, backend, initialRanges, Integer.MAX_VALUE, pool).stats.values());
    }
  }

  /** Statistics by tensor (placement order) and the number of samples they saw. */
  private static final class Gathered {
    final Map<String, TensorStatistics> stats;
    final int seen;

    Gathered(Map<String, TensorStatistics> stats, int seen) {
      this.stats = stats;
      this.seen = seen;
    }
  }

  private Gathered gather(Graph folded, QdqPlacement placement, CalibrationData data, Backend backend,
      Map<String, Double> initialRanges, int limit, Pool pool) {
    Set<String> inputs = new LinkedHashSet<>();
    folded.inputs().forEach(v -> inputs.add(v.name()));
    List<String> tensors = placement.calibratedTensors();
    Map<String, TensorStatistics> stats = new LinkedHashMap<>();
    List<String> observed = new ArrayList<>();
    for (String t : tensors) {
      boolean input = inputs.contains(t);
      TensorStatistics s = new TensorStatistics(t, bins, estimator.needsHistogram() && !input);
      Double seed = initialRanges.get(t);
      if (seed != null && s.hasHistogram()) {
        s.seedRange(seed);
      }
      stats.put(t, s);
      if (!input) {
        observed.add(t);
      }
    }
    int total = data.samples().isPresent() ? Math.min(limit, data.samples().getAsInt()) : -1;
    int seen = 0;
    // The un-folded ReLUs stay in the calibrated graph: their outputs are what gets quantized.
    Graph probe = observed.isEmpty() ? null : folded.withOutputs(observed);
    // the backend's idle threads must not spin while this thread and its helpers gather statistics
    RunnerOptions probeOptions = runnerOptions.toBuilder().busyWait(false).build();
    try (Runner runner = probe == null ? null : backend.compile(probe, probeOptions)) {
      Iterator<Map<String, Tensor>> batches = data.iterator();
      for (int index = 0; seen < limit && batches.hasNext(); index++) {
        Map<String, Tensor> batch = checkBatch(batches.next(), inputs, data, index);
        int n = batch.values().iterator().next().shape().dim(0);
        if (seen + n > limit) {
          Map<String, Tensor> head = new LinkedHashMap<>();
          int keep = limit - seen;
          batch.forEach((k, v) -> head.put(k, v.sliceFirstAxis(0, keep)));
          batch = head;
          n = keep;
        }
        Map<String, Tensor> feed = batch;
        try {
          for (String in : inputs) {
            TensorStatistics s = stats.get(in);
            if (s != null) {
              s.add(feed.get(in));
            }
          }
          if (runner != null) {
            // scoped: the backend may hand out views of its own output buffers, read in place
            runner.runScoped(feed, out -> collect(backend, observed, stats, out, pool));
          }
        } catch (CalibrationException e) {
          throw new CalibrationException(e.getMessage() + " (calibration samples " + seen + ".." + (seen + n - 1) + " of '"
              + data.name() + "')", e);
        }
        seen += n;
        listener.onBatch(seen, total);
      }
    }
    return new Gathered(stats, seen);
  }

  /** The batch with its inputs in graph order, after checking names and batch sizes. */
  private static Map<String, Tensor> checkBatch(Map<String, Tensor> batch, Set<String> inputs, CalibrationData data, int index) {
    String where = "calibration batch " + index + " of '" + data.name() + "'";
    if (batch == null) {
      throw new CalibrationException(where + " is null");
    }
    for (String k : batch.keySet()) {
      if (!inputs.contains(k)) {
        throw new CalibrationException(where + " has tensor '" + k + "', which is not a graph input; inputs are " + inputs);
      }
    }
    Map<String, Tensor> ordered = new LinkedHashMap<>();
    int n = -1;
    for (String in : inputs) {
      Tensor t = batch.get(in);
      if (t == null) {
        throw new CalibrationException(where + " has no tensor for graph input '" + in + "' (it has " + batch.keySet() + ")");
      }
      if (t.shape().rank() == 0 || t.shape().dim(0) <= 0 || (n >= 0 && t.shape().dim(0) != n)) {
        throw new CalibrationException(where + ": input '" + in + "' has shape " + t.shape()
            + (n >= 0 ? ", other inputs a batch of " + n : "") + "; every input needs the same batch size first");
      }
      n = t.shape().dim(0);
      ordered.put(in, t);
    }
    return ordered;
  }

  private static void collect(Backend backend, List<String> observed, Map<String, TensorStatistics> stats,
      Map<String, Tensor> out, Pool pool) {
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
    Map<String, CalibrationException> failed = new ConcurrentHashMap<>();
    // every helper is joined before anything propagates: they read the backend's output buffers,
    // which are only valid inside this call
    pool.forEach(bySize, t -> {
      try {
        stats.get(t).add(out.get(t));
      } catch (CalibrationException e) {
        failed.put(t, e);
      }
    });
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
    Graph folded = GraphSimplification.forQuantization(fp32, options.simplifyGraph());
    try (Pool pool = new Pool(statisticsThreads)) {
      return plan(fp32.name(), QdqPlacement.of(folded, options), statistics, datasetName, samples, pool);
    }
  }

  /**
   * The tensors calibration observes for {@code fp32}, named as in the BatchNorm-folded graph
   * (which keeps BatchNorm output names); graph inputs are among them when they are quantized.
   */
  public ImmutableList<String> tensorsToObserve(Graph fp32) {
    return ImmutableList.copyOf(QdqPlacement.of(GraphSimplification.forQuantization(fp32, options.simplifyGraph()), options).calibratedTensors());
  }

  private QuantPlan plan(String graphName, QdqPlacement p, Collection<TensorStatistics> statistics, String datasetName,
      int samples, Pool pool) {
    Map<String, TensorStatistics> byName = new HashMap<>();
    statistics.forEach(s -> byName.put(s.tensor(), s));
    List<String> tensors = p.calibratedTensors();
    for (String t : tensors) {
      if (!byName.containsKey(t)) {
        throw new CalibrationException("no statistics for tensor '" + t + "'");
      }
    }
    Map<String, TensorRange> ranges = new ConcurrentHashMap<>();
    Map<String, RuntimeException> failed = new ConcurrentHashMap<>();
    Map<String, AutoRangeEstimator.Choice> choices = new ConcurrentHashMap<>();
    RangeEstimator.Target target = new RangeEstimator.Target(options.activationType(), options.symmetricActivations());
    // Estimators are independent per tensor and the histogram searches are the costly part.
    pool.forEach(tensors, t -> {
      TensorStatistics s = byName.get(t);
      boolean raw = p.isGraphInput(t) || !s.hasHistogram() && estimator.needsHistogram();
      try {
        TensorRange r;
        if (!raw && estimator instanceof AutoRangeEstimator auto) {
          AutoRangeEstimator.Choice c = auto.choose(s, target);
          choices.put(t, c);
          r = c.range();
        } else {
          r = raw ? RangeEstimators.minMax(s) : estimator.estimate(s, target);
        }
        if (r == null) {
          throw new CalibrationException("estimator '" + estimator.name() + "' returned no range for tensor '" + t + "'");
        }
        ranges.put(t, r);
      } catch (RuntimeException e) {
        failed.put(t, e);
      }
    });
    for (String t : tensors) {
      if (failed.containsKey(t)) {
        throw failed.get(t);
      }
    }
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
        .calibration(new QuantPlan.CalibrationInfo(estimator.name(), estimator.parameters(), samples, datasetName));
    layers.tensors.forEach(plan::put);
    for (String t : tensors) {
      TensorStatistics s = byName.get(t);
      TensorRange r = ranges.get(t);
      plan.observation(t, new QuantPlan.Observation(s.count(), s.min(), s.max(), r.min(), r.max()));
    }
    for (int i = 0; i < warnings.size(); i++) {
      plan.metadata("warning." + (i + 1), warnings.get(i));
    }
    // --method auto: which estimator each tensor got, and why
    for (String t : tensors) {
      if (choices.containsKey(t)) {
        plan.metadata("estimator." + t, choices.get(t).describe());
      }
    }
    return plan.build();
  }

  /**
   * The calibration's own threads: {@code threads - 1} named daemon workers beside the caller,
   * shut down on close. Bounded, and separate from the common ForkJoinPool.
   */
  private static final class Pool implements AutoCloseable {
    private final ExecutorService executor;
    private final int helpers;

    Pool(int threads) {
      this.helpers = threads - 1;
      this.executor = helpers == 0 ? null : Executors.newFixedThreadPool(helpers, new ThreadFactoryBuilder()
          .setNameFormat("quantkit-calibration-" + POOLS.incrementAndGet() + "-%d").setDaemon(true).build());
    }

    /**
     * Runs {@code action} on every item, the caller and up to {@code helpers} threads taking the
     * next item in list order, and returns once all of them have stopped, also when one failed
     * (the first failure is rethrown, later ones suppressed into it).
     */
    <T> void forEach(List<T> items, Consumer<T> action) {
      AtomicInteger next = new AtomicInteger();
      Runnable worker = () -> {
        for (int i = next.getAndIncrement(); i < items.size(); i = next.getAndIncrement()) {
          action.accept(items.get(i));
        }
      };
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < Math.min(helpers, items.size() - 1); i++) {
        running.add(executor.submit(worker));
      }
      RuntimeException failure = null;
      try {
        worker.run();
      } catch (RuntimeException e) {
        failure = e;
      }
      for (Future<?> helper : running) {
        try {
          // uninterruptibly: a helper may still be reading buffers that are only valid until we return
          Uninterruptibles.getUninterruptibly(helper);
        } catch (ExecutionException e) {
          RuntimeException cause = e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
              : new CalibrationException("calibration thread failed: " + e.getCause(), e.getCause());
          if (failure == null) {
            failure = cause;
          } else {
            failure.addSuppressed(cause);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    public void close() {
      if (executor != null) {
        // every task has been joined, so the idle workers stop at once
        MoreExecutors.shutdownAndAwaitTermination(executor, Duration.ofSeconds(10));
      }
    }
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
    private RangeEstimator estimator;
    private int statisticsThreads = Runtime.getRuntime().availableProcessors();
    private int calibSize = 500;
    private int batchSize = 50;
    private int bins = TensorStatistics.DEFAULT_BINS;
    private final QuantOptions.Builder options = QuantOptions.builder();
    private RunnerOptions runnerOptions = RunnerOptions.defaults();
    private CalibrationListener listener = CalibrationListener.NONE;

    private Builder() {}

    /**
     * One of the built-in estimators (default MINMAX); replaces an {@link #estimator} set before.
     * PERCENTILE uses {@link #percentile}.
     */
    public Builder method(CalibrationMethod value) {
      this.method = Preconditions.checkNotNull(value);
      this.estimator = null;
      return this;
    }

    /** For PERCENTILE: which percentile of the values (of |x| when symmetric) to keep, in (50, 100]; default 99.99. */
    public Builder percentile(double value) {
      Preconditions.checkArgument(value > 50 && value <= 100, "percentile must be in (50, 100], got %s", value);
      this.percentile = value;
      return this;
    }

    /**
     * Any {@link RangeEstimator}, the caller's own included; replaces {@link #method}. Its name and
     * parameters are recorded in the plan.
     */
    public Builder estimator(RangeEstimator value) {
      Preconditions.checkNotNull(value, "estimator");
      String name = value.name();
      Preconditions.checkArgument(name != null && name.matches("[a-z0-9][a-z0-9._-]*"),
          "estimator name must be lower case letters, digits, '-', '_' or '.', got '%s'", name);
      Preconditions.checkNotNull(value.parameters(), "estimator '%s' returned null parameters", name);
      this.estimator = value;
      return this;
    }

    /**
     * Threads that gather statistics and estimate ranges, the calling thread included (default:
     * the available processors). The backend's own threads are set with {@link #runnerOptions}.
     */
    public Builder statisticsThreads(int value) {
      Preconditions.checkArgument(value > 0, "statisticsThreads must be > 0, got %s", value);
      this.statisticsThreads = value;
      return this;
    }

    /** Number of calibration samples used (the first ones of the data); default 500. */
    public Builder calibSize(int value) {
      Preconditions.checkArgument(value > 0, "calibSize must be > 0, got %s", value);
      this.calibSize = value;
      return this;
    }

    /** Images per backend call when calibrating on a {@link Dataset}; default 50. */
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
          .saturationSafeInput(value.saturationSafeInput())
          .simplifyGraph(value.simplifyGraph())
          .padInputChannels(value.padInputChannels());
      return this;
    }

    /** See {@link QuantOptions#padInputChannels()} (default 0: off). */
    public Builder padInputChannels(int multiple) {
      options.padInputChannels(multiple);
      return this;
    }

    /** See {@link QuantOptions#simplifyGraph()} (default true). */
    public Builder simplifyGraph(boolean value) {
      options.simplifyGraph(value);
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
