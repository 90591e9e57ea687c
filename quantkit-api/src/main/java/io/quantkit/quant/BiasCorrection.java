package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.quantkit.BackendException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.GraphSimplification;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Empirical bias correction: quantizing a layer's weights (and its input) shifts the mean of its
 * output, per output channel, and the shift survives every later layer. This measures, on
 * calibration data, the per-channel mean of each quantized Conv/Gemm output in the QDQ model and in
 * the FP32 model, and adds the difference to that layer's bias (an ADD edit in the plan's
 * {@link GraphAdjustments}; the INT32 bias is then quantized from the corrected value).
 *
 * <p>The QDQ model's Conv/Gemm nodes keep their names and write their pre-activation float output
 * (a folded ReLU is applied by the QuantizeLinear after them), so the same node's output is read in
 * both models. Layers are corrected in order of depth, each measured with the corrections of the
 * layers before it in place (one pass over the data per level of depth), so a layer is corrected
 * for what remains after its inputs were corrected.
 *
 * <p>Layers without a bias input and Gemms whose output is a graph output's only producer still
 * get measured; the former are skipped (there is nothing to fold into).
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class BiasCorrection {
  private final int samples;
  private final RunnerOptions runnerOptions;

  private BiasCorrection(int samples, RunnerOptions runnerOptions) {
    this.samples = samples;
    this.runnerOptions = runnerOptions;
  }

  /** At most 500 samples. */
  public static BiasCorrection defaults() {
    return new BiasCorrection(500, RunnerOptions.defaults());
  }

  /** Samples used (the first ones of the data). */
  public BiasCorrection samples(int value) {
    Preconditions.checkArgument(value >= 1, "samples must be >= 1, got %s", value);
    return new BiasCorrection(value, runnerOptions);
  }

  public BiasCorrection runnerOptions(RunnerOptions value) {
    return new BiasCorrection(samples, Preconditions.checkNotNull(value));
  }

  /**
   * {@code plan} with bias corrections added to its adjustments, measured on {@code data} (pass
   * the calibration data: the correction is part of calibration) running on {@code backend}.
   * Metadata {@code biasCorrection.NODE} says how far each layer's mean moved (largest |shift|).
   */
  public QuantPlan apply(Graph fp32, QuantPlan plan, CalibrationData data, Backend backend) {
    Graph folded = plan.adjustments().apply(GraphSimplification.forQuantization(fp32, plan.options().simplifyGraph()));
    QdqPlacement placement = QdqPlacement.of(folded, plan.options());
    Map<String, String> biasOf = new LinkedHashMap<>();
    for (Node n : placement.graph.nodes()) {
      if (placement.roles.get(n.name()) == QdqPlacement.Role.WEIGHTED
          && (n.op() instanceof Op.Conv || n.op() instanceof Op.Gemm)
          && n.inputs().size() > 2 && !n.input(2).isEmpty() && folded.isInitializer(n.input(2))) {
        biasOf.put(n.name(), n.input(2));
      }
    }
    if (biasOf.isEmpty()) {
      return plan;
    }
    Map<String, String> fpTensor = new LinkedHashMap<>();
    for (String node : biasOf.keySet()) {
      fpTensor.put(node, folded.node(node).orElseThrow().output());
    }
    Map<String, double[]> fpMeans = means(folded, fpTensor, data, backend);
    // Layers are corrected level by level (a level: the layers with the same number of weighted
    // layers before them on the longest path), each level measured with the earlier levels'
    // corrections in place. Correcting everything from one measurement counts a shift twice: a
    // layer's measured shift includes what its inputs' shifts caused, which their own correction
    // removes. Iterating that all-at-once correction diverged on ResNet8.
    Map<String, Integer> level = new LinkedHashMap<>();
    for (Node n : placement.graph.nodes()) {
      int l = 0;
      for (String in : n.inputs()) {
        Node p = in.isEmpty() ? null : placement.graph.producer(in).orElse(null);
        if (p != null) {
          l = Math.max(l, level.getOrDefault(p.name(), 0));
        }
      }
      level.put(n.name(), l + (placement.roles.get(n.name()) == QdqPlacement.Role.WEIGHTED ? 1 : 0));
    }
    java.util.TreeMap<Integer, List<String>> byLevel = new java.util.TreeMap<>();
    biasOf.keySet().forEach(node -> byLevel.computeIfAbsent(level.get(node), k -> new ArrayList<>()).add(node));
    QuantPlan current = plan;
    Map<String, double[]> total = new LinkedHashMap<>();
    for (List<String> nodes : byLevel.values()) {
      Graph qdq = Qdq.quantize(fp32, current).graph();
      Map<String, String> qTensor = new LinkedHashMap<>();
      for (String node : nodes) {
        qTensor.put(node, qdq.node(node).orElseThrow(() -> new IllegalStateException("QDQ graph lost node " + node)).output());
      }
      Map<String, double[]> qMeans = means(qdq, qTensor, data, backend);
      List<GraphAdjustments.Edit> edits = new ArrayList<>();
      for (String node : nodes) {
        double[] f = fpMeans.get(node);
        double[] q = qMeans.get(node);
        int channels = folded.initializer(biasOf.get(node)).orElseThrow().size();
        if (f.length != channels) {
          continue; // output channels and bias disagree (not a per-channel bias): leave it
        }
        float[] delta = new float[channels];
        double[] sum = total.computeIfAbsent(node, k -> new double[channels]);
        for (int c = 0; c < channels; c++) {
          delta[c] = (float) (f[c] - q[c]);
          sum[c] += delta[c];
        }
        edits.add(new GraphAdjustments.Edit(biasOf.get(node), GraphAdjustments.Kind.ADD, 0, delta, "bias correction"));
      }
      current = current.toBuilder().adjustments(current.adjustments().then(GraphAdjustments.of(edits))).build();
    }
    QuantPlan.Builder out = current.toBuilder();
    total.forEach((node, sum) -> {
      double max = 0;
      for (double v : sum) {
        max = Math.max(max, Math.abs(v));
      }
      out.metadata("biasCorrection." + node, String.format(java.util.Locale.ROOT, "max |shift| %.3g over %d channels", max, sum.length));
    });
    return out.build();
  }

  /** Per tensor, the mean over every axis but 1 (channels of NCHW and of [N, C]). */
  private Map<String, double[]> means(Graph g, Map<String, String> tensorOf, CalibrationData data, Backend backend) {
    List<String> outs = new ArrayList<>(new java.util.LinkedHashSet<>(tensorOf.values()));
    Map<String, double[]> sums = new LinkedHashMap<>();
    Map<String, long[]> counts = new LinkedHashMap<>();
    int seen = 0;
    try (Runner runner = backend.compile(g.withOutputs(outs), runnerOptions)) {
      Iterator<Map<String, Tensor>> batches = data.iterator();
      while (seen < samples && batches.hasNext()) {
        Map<String, Tensor> batch = batches.next();
        int n = batch.values().iterator().next().shape().dim(0);
        if (seen + n > samples) {
          Map<String, Tensor> head = new LinkedHashMap<>();
          int keep = samples - seen;
          batch.forEach((k, v) -> head.put(k, v.sliceFirstAxis(0, keep)));
          batch = head;
          n = keep;
        }
        Map<String, Tensor> out = runner.run(batch);
        for (String t : outs) {
          Tensor v = out.get(t);
          if (v == null) {
            throw new BackendException("backend '" + backend.name() + "' did not return tensor '" + t + "' for bias correction");
          }
          int channels = v.shape().rank() >= 2 ? v.shape().dim(1) : 1;
          int inner = v.shape().rank() >= 2 ? v.size() / (v.shape().dim(0) * channels) : 1;
          double[] s = sums.computeIfAbsent(t, k -> new double[channels]);
          long[] c = counts.computeIfAbsent(t, k -> new long[1]);
          float[] x = v.toFloatArray();
          for (int i = 0; i < x.length; i++) {
            s[(i / inner) % channels] += x[i];
          }
          c[0] += x.length / channels;
        }
        seen += n;
      }
    }
    if (seen == 0) {
      throw new io.quantkit.CalibrationException("bias correction data '" + data.name() + "' is empty");
    }
    Map<String, double[]> means = new LinkedHashMap<>();
    tensorOf.forEach((node, t) -> {
      double[] s = sums.get(t).clone();
      long n = counts.get(t)[0];
      for (int i = 0; i < s.length; i++) {
        s[i] /= n;
      }
      means.put(node, s);
    });
    return ImmutableMap.copyOf(means);
  }
}
