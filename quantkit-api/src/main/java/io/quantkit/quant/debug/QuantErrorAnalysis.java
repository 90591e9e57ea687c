package io.quantkit.quant.debug;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.GraphException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.eval.ProgressListener;
import io.quantkit.internal.Names;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.ir.passes.GraphSimplification;
import io.quantkit.quant.QuantParams;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.quant.debug.QuantErrorReport.ActivationError;
import io.quantkit.quant.debug.QuantErrorReport.Flip;
import io.quantkit.quant.debug.QuantErrorReport.WeightError;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-layer quantization error, on any {@link Backend}: runs the FP32 graph (BatchNorm folded, the
 * form the QDQ pass starts from) and the QDQ graph on the same images with every quantized tensor
 * exposed as an output, and compares them tensor by tensor.
 *
 * <pre>{@code
 * QuantErrorReport r = QuantErrorAnalysis.builder().dataset(Cifar10.test().limit(1000)).build()
 *     .analyze(fp32, Qdq.quantize(fp32, plan), Backends.named("onnx"));
 * r.activations().forEach(a -> System.out.println(a.tensor() + " " + a.sqnrDb()));
 * }</pre>
 *
 * <p>Tensors are matched by name, which {@link io.quantkit.quant.Qdq} keeps: each QuantizeLinear of
 * the QDQ graph quantizes a tensor of the FP32 graph. Its INT8 value is read through an extra
 * DequantizeLinear added beside the model's own, so the model's Q/DQ node units (and a backend's
 * fusion of them into integer kernels) stay as they are; the FP32 graph exposes the same tensors.
 * A QDQ graph made by another tool works too when its tensor names match the FP32 graph's.
 * Weights are compared as stored: the INT8 initializer dequantized with its own scales against the
 * FP32 (BatchNorm-folded) weight read by the node of the same name.
 *
 * <p>Predictions for the flipped images come from these same runs. Memory holds one batch of
 * activations of both graphs; statistics are accumulated, never stored.
 *
 * <p>Immutable and thread-safe: every {@link #analyze} call compiles its own runners. A progress
 * listener that throws (e.g. {@link java.util.concurrent.CancellationException}) stops the
 * analysis; the runners are closed.
 */
public final class QuantErrorAnalysis {
  private static final String DEBUG_PREFIX = "quantkit_debug/";

  private final Dataset dataset;
  private final int batchSize;
  private final int bins;
  private final RunnerOptions runnerOptions;
  private final ProgressListener progress;

  private QuantErrorAnalysis(Builder b) {
    this.dataset = b.dataset;
    this.batchSize = b.batchSize;
    this.bins = b.bins;
    this.runnerOptions = b.runnerOptions;
    this.progress = b.progress;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Analyzes the result of {@link io.quantkit.quant.Qdq#quantize}; its plan gives the histogram ranges. */
  public QuantErrorReport analyze(Graph fp32, QuantizationResult quantized, Backend backend) {
    return analyze(fp32, quantized.graph(), quantized.plan(), backend);
  }

  /**
   * Analyzes {@code qdq} against {@code fp32}. {@code plan} is optional: when given, its
   * calibration observations set the activation histograms' ranges and its options and
   * calibration are copied into the report.
   *
   * @throws GraphException when the QDQ graph quantizes no tensor of the FP32 graph, or a tensor's
   *     shape differs between the two
   */
  public QuantErrorReport analyze(Graph fp32, Graph qdq, QuantPlan plan, Backend backend) {
    Preconditions.checkNotNull(backend, "backend");
    Graph folded = GraphSimplification.forQuantization(fp32, plan == null || plan.options().simplifyGraph());
    List<String> warnings = new ArrayList<>();
    List<Probe> probes = probes(folded, qdq, warnings);
    if (probes.isEmpty()) {
      throw new GraphException("graph " + qdq.name() + " quantizes no tensor of " + fp32.name()
          + " (no QuantizeLinear reads a tensor of the FP32 graph)");
    }
    List<WeightError> weights = weights(folded, qdq, warnings);
    ValueInfo input = folded.input();
    Set<String> fp32Outputs = new LinkedHashSet<>(folded.outputs());
    List<String> qdqOutputs = new ArrayList<>(folded.outputs());
    for (Probe p : probes) {
      if (!p.isInput) {
        fp32Outputs.add(p.tensor);
      }
      qdqOutputs.add(p.debugOutput);
    }
    Graph fp32Probe = folded.withOutputs(new ArrayList<>(fp32Outputs));
    Graph.Builder qb = qdq.toBuilder().clearOutputs();
    for (Probe p : probes) {
      qb.node(p.debugNode);
    }
    qdqOutputs.forEach(qb::output);
    Graph qdqProbe = qb.build();

    int n = dataset.size();
    String scoresName = folded.outputs().get(0);
    int classes = dataset.classNames().size();
    Predictions predictions = new Predictions(folded.outputs().size() == 1, classes);
    progress.onProgress(0, n);
    try (Runner fp32Runner = backend.compile(fp32Probe, runnerOptions);
        Runner qdqRunner = backend.compile(qdqProbe, runnerOptions)) {
      for (int from = 0; from < n; from += batchSize) {
        int to = Math.min(n, from + batchSize);
        Batch batch = dataset.batch(from, to);
        Map<String, Tensor> feed = Map.of(input.name(), batch.images());
        boolean first = from == 0;
        int offset = from;
        // scoped: both backends may hand out views of their own output buffers, read in place
        fp32Runner.runScoped(feed, a -> qdqRunner.runScoped(feed, b -> {
          // errors are collected, not thrown, so that no probe still reads the scoped outputs
          // once this callback has returned
          Map<String, RuntimeException> failed = new ConcurrentHashMap<>();
          probes.parallelStream().forEach(p -> {
            try {
              Tensor x = p.isInput ? batch.images() : require(a, p.tensor, fp32Probe);
              Tensor y = require(b, p.debugOutput, qdqProbe);
              if (!x.shape().equals(y.shape())) {
                throw new GraphException("tensor '" + p.tensor + "' has shape " + x.shape() + " in the FP32 graph but "
                    + y.shape() + " in the QDQ graph");
              }
              if (first) {
                p.start(x, plan, bins);
              }
              p.add(x, y);
            } catch (RuntimeException e) {
              failed.put(p.tensor, e);
            }
          });
          for (Probe p : probes) {
            if (failed.containsKey(p.tensor)) {
              throw failed.get(p.tensor);
            }
          }
          predictions.add(a.get(scoresName), b.get(scoresName), batch, offset);
        }));
        progress.onProgress(to, n);
      }
    }
    boolean classifier = predictions.classifier;
    int fp32Correct = predictions.fp32Correct;
    int int8Correct = predictions.int8Correct;
    List<Flip> flips = predictions.flips;
    if (!classifier) {
      warnings.add("the model's output is not one row of " + classes + " class scores per image: no accuracy or flips");
    }
    List<ActivationError> activations = new ArrayList<>();
    for (Probe p : probes) {
      activations.add(p.result());
    }
    return new QuantErrorReport(fp32.name(), backend.name(), dataset.name(), n, ImmutableList.copyOf(dataset.classNames()),
        classifier ? fp32Correct : null, classifier ? int8Correct : null, plan == null ? null : plan.options(),
        plan == null ? null : plan.calibration(), ImmutableList.copyOf(activations), ImmutableList.copyOf(weights),
        classifier ? ImmutableList.copyOf(flips) : ImmutableList.of(), ImmutableList.copyOf(warnings));
  }

  private static Tensor require(Map<String, Tensor> out, String name, Graph g) {
    Tensor t = out.get(name);
    if (t == null) {
      throw new GraphException("the backend did not return tensor '" + name + "' of graph " + g.name());
    }
    if (t.type() != DataType.FLOAT32) {
      throw new GraphException("tensor '" + name + "' is " + t.type() + ", expected FLOAT32");
    }
    return t;
  }

  private static int argmax(FloatBuffer v, int offset, int n) {
    int best = 0;
    for (int c = 1; c < n; c++) {
      if (v.get(offset + c) > v.get(offset + best)) {
        best = c;
      }
    }
    return best;
  }

  /** Top-1 of both models per image, the flips among them; updated on the analyzing thread only. */
  private static final class Predictions {
    boolean classifier;
    final int classes;
    int fp32Correct;
    int int8Correct;
    final List<Flip> flips = new ArrayList<>();

    Predictions(boolean classifier, int classes) {
      this.classifier = classifier;
      this.classes = classes;
    }

    void add(Tensor sa, Tensor sb, Batch batch, int offset) {
      if (!classifier || sa == null || sb == null || sa.size() != batch.size() * classes || sb.size() != sa.size()) {
        classifier = false;
        return;
      }
      FloatBuffer fa = sa.floatBuffer();
      FloatBuffer fb = sb.floatBuffer();
      for (int i = 0; i < batch.size(); i++) {
        int pa = argmax(fa, i * classes, classes);
        int pb = argmax(fb, i * classes, classes);
        int label = batch.labels()[i];
        fp32Correct += pa == label ? 1 : 0;
        int8Correct += pb == label ? 1 : 0;
        if (pa != pb) {
          flips.add(new Flip(offset + i, label, pa, pb, fa.get(i * classes + pa), fb.get(i * classes + pb)));
        }
      }
    }
  }

  /** One probe per QuantizeLinear whose input is (or stands for) a tensor of the FP32 graph. */
  private static List<Probe> probes(Graph folded, Graph qdq, List<String> warnings) {
    Set<String> used = new HashSet<>();
    qdq.inputs().forEach(v -> used.add(v.name()));
    used.addAll(qdq.initializers().keySet());
    for (Node n : qdq.nodes()) {
      used.add(n.name());
      used.addAll(n.outputs());
    }
    Set<String> inputs = new HashSet<>();
    folded.inputs().forEach(v -> inputs.add(v.name()));
    List<Probe> probes = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Node n : qdq.nodes()) {
      if (!(n.op() instanceof Op.QuantizeLinear)) {
        continue;
      }
      String tensor = fp32Name(folded, n.input(0));
      if (tensor == null) {
        warnings.add("QuantizeLinear '" + n.name() + "' reads '" + n.input(0) + "', which the FP32 graph does not have");
        continue;
      }
      if (!seen.add(tensor)) {
        continue;
      }
      QuantParams params = params(qdq, n, ((Op.QuantizeLinear) n.op()).axis());
      String out = Names.unique(used, DEBUG_PREFIX + tensor);
      Node dq = Node.of(Names.unique(used, DEBUG_PREFIX + tensor + "/DequantizeLinear"),
          new Op.DequantizeLinear(((Op.QuantizeLinear) n.op()).axis()), List.of(n.output(), n.input(1), n.input(2)),
          List.of(out));
      String producer = qdq.producer(n.input(0)).map(Node::name).orElse("graph input");
      String opType = qdq.producer(n.input(0)).map(p -> p.op().type()).orElse("Input");
      probes.add(new Probe(tensor, producer, opType, params, inputs.contains(tensor), dq, out));
    }
    return probes;
  }

  /** The FP32 tensor a QuantizeLinear input stands for: itself, or T for the T_float a quantized graph output gets. */
  private static String fp32Name(Graph folded, String name) {
    if (hasTensor(folded, name)) {
      return name;
    }
    if (name.endsWith("_float")) {
      String base = name.substring(0, name.length() - "_float".length());
      if (folded.outputs().contains(base)) {
        return base;
      }
    }
    return null;
  }

  private static boolean hasTensor(Graph g, String name) {
    return g.producer(name).isPresent() || g.inputs().stream().anyMatch(v -> v.name().equals(name));
  }

  /** The parameters of a QuantizeLinear/DequantizeLinear node, read from its initializers. */
  private static QuantParams params(Graph g, Node n, int axis) {
    Tensor scale = g.initializer(n.input(1)).orElseThrow(() -> new GraphException(
        n.op().type() + " '" + n.name() + "': scale '" + n.input(1) + "' is not a constant"));
    Optional<Tensor> zp = n.input(2).isEmpty() ? Optional.empty() : g.initializer(n.input(2));
    QuantType type;
    if (zp.isPresent()) {
      type = QuantType.of(zp.get().type());
    } else if (n.op() instanceof Op.DequantizeLinear && g.initializer(n.input(0)).isPresent()) {
      type = QuantType.of(g.initializer(n.input(0)).get().type());
    } else {
      type = QuantType.UINT8; // ONNX: QuantizeLinear without a zero point outputs UINT8
    }
    float[] scales = scale.toFloatArray();
    int[] zps = zp.map(Tensor::toIntArray).orElse(new int[scales.length]);
    try {
      return scales.length == 1 ? QuantParams.perTensor(type, scales[0], zps[0])
          : QuantParams.perChannel(type, scales, zps, axis);
    } catch (IllegalArgumentException e) {
      throw new GraphException(n.op().type() + " '" + n.name() + "': " + e.getMessage(), e);
    }
  }

  /** Every INT8 constant read through a DequantizeLinear into the weight slot of a Conv/Gemm/MatMul. */
  private List<WeightError> weights(Graph folded, Graph qdq, List<String> warnings) {
    List<WeightError> out = new ArrayList<>();
    for (Node dq : qdq.nodes()) {
      if (!(dq.op() instanceof Op.DequantizeLinear) || !qdq.isInitializer(dq.input(0))) {
        continue;
      }
      Tensor q = qdq.initializer(dq.input(0)).orElseThrow();
      if (q.type() != DataType.INT8 && q.type() != DataType.UINT8) {
        continue; // INT32 biases
      }
      for (Node c : qdq.consumers(dq.output())) {
        if (!isWeighted(c.op()) || c.inputs().indexOf(dq.output()) != 1) {
          continue;
        }
        Optional<Node> f = folded.node(c.name());
        Optional<Tensor> w = f.flatMap(fn -> folded.initializer(fn.input(1)));
        if (w.isEmpty() || w.get().size() != q.size()) {
          warnings.add(c.op().type() + " '" + c.name() + "': no FP32 weight of " + q.shape() + " in the FP32 graph to compare with");
          continue;
        }
        QuantParams params = params(qdq, dq, ((Op.DequantizeLinear) dq.op()).axis());
        out.add(weightError(f.get(), f.get().input(1), w.get(), q, params));
      }
    }
    return out;
  }

  private static boolean isWeighted(Op op) {
    return op instanceof Op.Conv || op instanceof Op.Gemm || op instanceof Op.MatMul;
  }

  /** The output-channel axis of a weight: Conv OIHW axis 0, Gemm B [N,K] when transposed else [K,N], MatMul [K,N]. */
  private static int channelAxis(Node n, Tensor w) {
    if (n.op() instanceof Op.Conv) {
      return 0;
    }
    if (n.op() instanceof Op.Gemm) {
      return ((Op.Gemm) n.op()).transB() ? 0 : 1;
    }
    return w.shape().rank() - 1;
  }

  private WeightError weightError(Node node, String name, Tensor w, Tensor q, QuantParams params) {
    int rank = w.shape().rank();
    int axis = channelAxis(node, w);
    int channels = rank == 0 ? 1 : w.shape().dim(axis);
    int inner = rank == 0 ? 1 : w.shape().size(axis + 1, rank);
    int qInner = params.isPerChannel() ? w.shape().size(params.axis() + 1, rank) : 1;
    float[] x = w.toFloatArray();
    double[] signal = new double[channels];
    double[] noise = new double[channels];
    double sumAbs = 0;
    double maxAbs = 0;
    long clipped = 0;
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    float reprLo = Float.POSITIVE_INFINITY;
    float reprHi = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < params.channels(); c++) {
      reprLo = Math.min(reprLo, params.representableMin(c));
      reprHi = Math.max(reprHi, params.representableMax(c));
    }
    for (int i = 0; i < x.length; i++) {
      int qc = (i / qInner) % params.channels();
      float v = params.dequantize(q.getLong(i), qc);
      double d = x[i] - v;
      int c = (i / inner) % channels;
      signal[c] += (double) x[i] * x[i];
      noise[c] += d * d;
      sumAbs += Math.abs(d);
      maxAbs = Math.max(maxAbs, Math.abs(d));
      float half = params.scale(qc) / 2;
      if (x[i] < params.representableMin(qc) - half || x[i] > params.representableMax(qc) + half) {
        clipped++;
      }
      lo = Math.min(lo, x[i]);
      hi = Math.max(hi, x[i]);
    }
    double totalSignal = 0;
    double totalNoise = 0;
    List<Double> perChannel = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      totalSignal += signal[c];
      totalNoise += noise[c];
      perChannel.add(sqnr(signal[c], noise[c]));
    }
    Histogram.Builder h = new Histogram.Builder(Math.min(lo, reprLo), Math.max(hi, reprHi), bins);
    for (float v : x) {
      h.add(v);
    }
    return new WeightError(name, node.name(), node.op().type(), params, w.shape().toArray(), axis,
        sqnr(totalSignal, totalNoise), maxAbs, x.length == 0 ? 0 : sumAbs / x.length,
        x.length == 0 ? 0 : (double) clipped / x.length, perChannel, h.build());
  }

  /** SQNR in dB; null when there is no error (or no signal), where the ratio says nothing finite. */
  static Double sqnr(double signal, double noise) {
    if (noise <= 0 || signal <= 0) {
      return null;
    }
    return 10 * Math.log10(signal / noise);
  }

  /**
   * The statistics of one quantized activation. Updated by one thread at a time (tensors are
   * spread over threads, each tensor's batch stays on one), read after the last batch.
   */
  private static final class Probe {
    final String tensor;
    final String producer;
    final String opType;
    final QuantParams params;
    final boolean isInput;
    final Node debugNode;
    final String debugOutput;
    final float reprLo;
    final float reprHi;
    private int channels;
    private int inner;
    private Histogram.Builder histogram;
    private float[] xs;
    private float[] ys;
    private long count;
    private double signal;
    private double noise;
    private double localNoise;
    private double sumAbs;
    private double maxAbs;
    private long clipped;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;

    Probe(String tensor, String producer, String opType, QuantParams params, boolean isInput, Node debugNode,
        String debugOutput) {
      this.tensor = tensor;
      this.producer = producer;
      this.opType = opType;
      this.params = params;
      this.isInput = isInput;
      this.debugNode = debugNode;
      this.debugOutput = debugOutput;
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < params.channels(); c++) {
        lo = Math.min(lo, params.representableMin(c));
        hi = Math.max(hi, params.representableMax(c));
      }
      this.reprLo = lo;
      this.reprHi = hi;
    }

    /**
     * Fixes the histogram range on the first batch: the calibration's observed range when the plan
     * has one, else this batch's range with a quarter more room; always the representable range.
     */
    void start(Tensor x, QuantPlan plan, int bins) {
      channels = params.channels();
      inner = params.isPerChannel() ? x.shape().size(params.axis() + 1, x.shape().rank()) : 1;
      double lo = reprLo;
      double hi = reprHi;
      QuantPlan.Observation o = plan == null ? null : plan.observations().get(tensor);
      if (o != null) {
        lo = Math.min(lo, o.observedMin());
        hi = Math.max(hi, o.observedMax());
      } else {
        FloatBuffer v = x.floatBuffer();
        float bLo = Float.POSITIVE_INFINITY;
        float bHi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < v.limit(); i++) {
          bLo = Math.min(bLo, v.get(i));
          bHi = Math.max(bHi, v.get(i));
        }
        double room = 0.25 * (bHi - bLo);
        lo = Math.min(lo, bLo < 0 ? bLo - room : bLo);
        hi = Math.max(hi, bHi + room);
      }
      histogram = new Histogram.Builder(lo, hi, bins);
    }

    void add(Tensor fp32, Tensor int8) {
      // bulk copies into arrays this probe owns: the loop below then runs over plain arrays,
      // whatever kind of buffer (heap or a backend's direct memory) the tensors wrap
      int n = fp32.size();
      if (xs == null || xs.length < n) {
        xs = new float[n];
        ys = new float[n];
      }
      fp32.floatBuffer().get(xs, 0, n);
      int8.floatBuffer().get(ys, 0, n);
      float[] x = xs;
      float[] y = ys;
      double s = 0;
      double e = 0;
      double le = 0;
      double abs = 0;
      double maxA = maxAbs;
      long clip = 0;
      float lo = min;
      float hi = max;
      long qmin = params.type().qmin();
      long qmax = params.type().qmax();
      float scale = params.scale(0);
      int zp = params.zeroPoint(0);
      for (int i = 0; i < n; i++) {
        float v = x[i];
        if (channels > 1) {
          int c = (i / inner) % channels;
          scale = params.scale(c);
          zp = params.zeroPoint(c);
        }
        double d = v - y[i];
        s += (double) v * v;
        e += d * d;
        double ad = Math.abs(d);
        abs += ad;
        maxA = Math.max(maxA, ad);
        // ONNX QuantizeLinear then DequantizeLinear of the FP32 value (as QuantMath.quantize)
        double q = Math.rint(v / scale) + zp;
        q = Double.isNaN(q) ? zp : q < qmin ? qmin : q > qmax ? qmax : q;
        float local = (float) (q - zp) * scale;
        double dl = v - local;
        le += dl * dl;
        if (v < reprLo - scale / 2 || v > reprHi + scale / 2) {
          clip++;
        }
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        histogram.add(v);
      }
      count += n;
      signal += s;
      noise += e;
      localNoise += le;
      sumAbs += abs;
      maxAbs = maxA;
      clipped += clip;
      min = lo;
      max = hi;
    }

    ActivationError result() {
      return new ActivationError(tensor, producer, opType, params, reprLo, reprHi, count, sqnr(signal, noise),
          sqnr(signal, localNoise), maxAbs, count == 0 ? 0 : sumAbs / count, count == 0 ? 0 : (double) clipped / count,
          count == 0 ? 0 : min, count == 0 ? 0 : max, histogram == null ? null : histogram.build());
    }
  }

  /** Options; the dataset is required. */
  public static final class Builder {
    private Dataset dataset;
    private int batchSize = 50;
    private int bins = 128;
    private RunnerOptions runnerOptions = RunnerOptions.defaults();
    private ProgressListener progress = ProgressListener.NONE;

    private Builder() {}

    /** The images, all of them (use {@link Dataset#limit} for the first N); labelled, for flips and accuracy. */
    public Builder dataset(Dataset value) {
      this.dataset = Preconditions.checkNotNull(value);
      return this;
    }

    /** Images per backend call; default 50. */
    public Builder batchSize(int value) {
      Preconditions.checkArgument(value > 0, "batch size must be positive, got %s", value);
      this.batchSize = value;
      return this;
    }

    /** Bins of every histogram; default 128. */
    public Builder histogramBins(int value) {
      Preconditions.checkArgument(value >= 8, "need at least 8 bins, got %s", value);
      this.bins = value;
      return this;
    }

    public Builder runnerOptions(RunnerOptions value) {
      this.runnerOptions = Preconditions.checkNotNull(value);
      return this;
    }

    /** Called after each batch on the analyzing thread. */
    public Builder progress(ProgressListener value) {
      this.progress = Preconditions.checkNotNull(value);
      return this;
    }

    public QuantErrorAnalysis build() {
      Preconditions.checkState(dataset != null, "QuantErrorAnalysis needs a dataset");
      Preconditions.checkState(dataset.size() > 0, "dataset %s is empty", dataset.name());
      return new QuantErrorAnalysis(this);
    }
  }
}
