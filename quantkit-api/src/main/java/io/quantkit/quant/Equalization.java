package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.GraphSimplification;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cross-layer equalization (Nagel et al., "Data-Free Quantization", 2019): for two consecutive
 * convolutions {@code conv1 -> [ReLU] -> conv2}, output channel c of conv1 is divided by
 * {@code s_c} (its weights and bias) and input channel c of conv2 multiplied by {@code s_c}, with
 * {@code s_c = sqrt(r1_c / r2_c)} ({@code r} the channel's largest absolute weight), so both
 * channels end with the same range {@code sqrt(r1_c r2_c)}. The FP32 function is unchanged because
 * ReLU is positively homogeneous ({@code relu(x / s) = relu(x) / s} for s greater than 0); per-tensor
 * weight quantization of depthwise convolutions, whose channel ranges differ by orders of magnitude
 * in MobileNets, gains the most.
 *
 * <p>Pairs are taken only where that identity holds: conv1's output (and its ReLU's) has conv2 as
 * its only consumer, and whatever sits between is nothing or a ReLU. A Clip (ReLU6) is skipped: its
 * upper bound is not scale-invariant ({@code min(x / s, 6)} differs from {@code min(x, 6) / s}), so
 * equalizing through it would change the FP32 model. conv2 may be a full convolution (groups 1) or
 * depthwise (groups = channels, any multiplier); conv1 any convolution with groups 1 or depthwise.
 * Chains (dw, pw, dw, pw, ...) are equalized pair by pair, repeated {@link #iterations()} times.
 *
 * <p>Two guards keep the activations quantizable: a dead channel (weights under 1e-4 of the
 * layer's largest on either side) keeps its scale, and a channel is never shrunk so far that its
 * bias exceeds the layer's largest bias. Without them, MobileNet's near-dead depthwise channels,
 * whose activation is their bias, were divided by ever smaller scales and one activation tensor of
 * the VWW model reached 1e13, ruining its per-tensor range (29 dB output SQNR fell to 4.7 dB).
 *
 * <p>The result is a {@link GraphAdjustments} for the graph the quantizer works on (BatchNorm folded, simplified): one SCALE edit per
 * weight tensor and axis, and one per bias. Calibrate the adjusted graph, then record the
 * adjustments in the plan ({@link QuantPlan.Builder#adjustments}); {@link #apply} does the first
 * half and returns both.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class Equalization {
  /** Below this fraction of the layer's largest channel range, a channel counts as dead. */
  private static final double DEAD = 1e-4;
  /** The most one pair's step rescales a channel by (either way). */
  private static final double MAX_STEP = 1e3;

  private final int iterations;

  private Equalization(int iterations) {
    this.iterations = iterations;
  }

  /** Twenty passes over the pairs; enough for the scales of a chain to settle. */
  public static Equalization defaults() {
    return new Equalization(20);
  }

  public static Equalization iterations(int value) {
    Preconditions.checkArgument(value >= 1, "iterations must be >= 1, got %s", value);
    return new Equalization(value);
  }

  public int iterations() {
    return iterations;
  }

  /** A pair of convolutions equalized together, and why another was skipped. */
  public record Pair(String first, String second) {}

  /**
   * The equalized graph and how it was made.
   *
   * @param graph the BatchNorm-folded graph with the adjustments applied: calibrate this one
   * @param adjustments the edits, to record in the plan
   * @param pairs the equalized pairs
   * @param skipped consecutive convolutions not equalized, with the reason
   */
  public record Result(Graph graph, GraphAdjustments adjustments, ImmutableList<Pair> pairs,
      ImmutableList<String> skipped) {}

  /**
   * Simplifies {@code fp32} as the quantizer does by default ({@link QuantOptions#simplifyGraph()}
   * true) and equalizes every eligible pair.
   */
  public Result apply(Graph fp32) {
    return apply(fp32, QuantOptions.defaults());
  }

  /**
   * Prepares {@code fp32} as the quantizer will with {@code options} (BatchNorm folded, simplified
   * when {@link QuantOptions#simplifyGraph()}) and equalizes every eligible pair; calibrate the
   * result with the same options.
   */
  public Result apply(Graph fp32, QuantOptions options) {
    Graph g = GraphSimplification.forQuantization(fp32, options.simplifyGraph());
    List<Pair> pairs = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (!(n.op() instanceof Op.Conv c1) || !g.isInitializer(n.input(1))) {
        continue;
      }
      String out = n.output();
      if (g.outputs().contains(out) || g.consumers(out).size() != 1) {
        continue;
      }
      Node next = g.consumers(out).get(0);
      if (next.op() instanceof Op.Relu) {
        out = next.output();
        if (g.outputs().contains(out) || g.consumers(out).size() != 1) {
          continue;
        }
        next = g.consumers(out).get(0);
      } else if (next.op() instanceof Op.Clip) {
        Node after = g.consumers(next.output()).size() == 1 ? g.consumers(next.output()).get(0) : null;
        if (after != null && after.op() instanceof Op.Conv) {
          skipped.add(n.name() + " -> " + after.name() + ": Clip '" + next.name() + "' between them is not scale-invariant");
        }
        continue;
      }
      if (!(next.op() instanceof Op.Conv c2) || !next.input(0).equals(out) || !g.isInitializer(next.input(1))) {
        continue;
      }
      int channels = g.initializer(n.input(1)).orElseThrow().shape().dim(0);
      boolean firstOk = c1.groups() == 1 || isDepthwise(g, n, c1);
      boolean secondOk = c2.groups() == 1 || (c2.groups() == channels && isDepthwise(g, next, c2));
      if (!firstOk || !secondOk) {
        skipped.add(n.name() + " -> " + next.name() + ": grouped convolution that is neither full nor depthwise");
        continue;
      }
      pairs.add(new Pair(n.name(), next.name()));
    }
    if (pairs.isEmpty()) {
      return new Result(g, GraphAdjustments.none(), ImmutableList.of(), ImmutableList.copyOf(skipped));
    }
    // working copies of the weights and the accumulated factor per (tensor, axis)
    Map<String, float[]> w = new HashMap<>();
    Map<String, float[]> factors = new LinkedHashMap<>();
    for (int it = 0; it < iterations; it++) {
      for (Pair p : pairs) {
        Node a = g.node(p.first()).orElseThrow();
        Node b = g.node(p.second()).orElseThrow();
        Tensor wa = g.initializer(a.input(1)).orElseThrow();
        Tensor wb = g.initializer(b.input(1)).orElseThrow();
        float[] va = w.computeIfAbsent(a.input(1), k -> wa.toFloatArray());
        float[] vb = w.computeIfAbsent(b.input(1), k -> wb.toFloatArray());
        int channels = wa.shape().dim(0);
        int perOutA = va.length / channels;
        boolean dwB = ((Op.Conv) b.op()).groups() > 1;
        int outB = wb.shape().dim(0);
        int perOutB = vb.length / outB;
        int inB = wb.shape().dim(1);
        int kB = perOutB / inB;
        double[] r1 = new double[channels];
        double[] r2 = new double[channels];
        for (int c = 0; c < channels; c++) {
          for (int i = c * perOutA; i < (c + 1) * perOutA; i++) {
            r1[c] = Math.max(r1[c], Math.abs(va[i]));
          }
          if (dwB) {
            int mult = outB / channels;
            for (int i = c * mult * perOutB; i < (c + 1) * mult * perOutB; i++) {
              r2[c] = Math.max(r2[c], Math.abs(vb[i]));
            }
          } else {
            for (int o = 0; o < outB; o++) {
              for (int k = 0; k < kB; k++) {
                r2[c] = Math.max(r2[c], Math.abs(vb[o * perOutB + c * kB + k]));
              }
            }
          }
        }
        double max1 = java.util.Arrays.stream(r1).max().orElse(0);
        double max2 = java.util.Arrays.stream(r2).max().orElse(0);
        float[] bias = !a.input(2).isEmpty() && g.isInitializer(a.input(2))
            ? w.computeIfAbsent(a.input(2), k -> g.initializer(k).orElseThrow().toFloatArray()) : null;
        double maxBias = 0;
        if (bias != null) {
          for (float v : bias) {
            maxBias = Math.max(maxBias, Math.abs(v));
          }
        }
        float[] s = new float[channels];
        for (int c = 0; c < channels; c++) {
          // A channel whose weights are (nearly) all zero on either side is dead: equalizing it
          // would divide it by a tiny scale, and its bias, which carries the whole activation,
          // would explode (MobileNet's depthwise layers have such channels).
          double sc = r1[c] > DEAD * max1 && r2[c] > DEAD * max2 ? Math.sqrt(r1[c] / r2[c]) : 1;
          // Never let the bias grow beyond the largest bias of the layer: the bias is the part
          // of the activation that weights' equalization does not see, and a channel whose bias
          // dominates would otherwise widen the whole tensor's per-tensor activation range.
          if (bias != null && maxBias > 0 && sc < 1) {
            sc = Math.max(sc, Math.abs(bias[c]) / maxBias);
          }
          s[c] = (float) Math.min(MAX_STEP, Math.max(1 / MAX_STEP, sc));
        }
        float[] inv = new float[channels];
        for (int c = 0; c < channels; c++) {
          inv[c] = 1 / s[c];
          for (int i = c * perOutA; i < (c + 1) * perOutA; i++) {
            va[i] *= inv[c];
          }
        }
        accumulate(factors, a.input(1) + "#0", inv);
        if (bias != null) {
          for (int c = 0; c < channels; c++) {
            bias[c] *= inv[c];
          }
          accumulate(factors, a.input(2) + "#0", inv);
        }
        if (dwB) {
          int mult = outB / channels;
          float[] sb = new float[outB];
          for (int o = 0; o < outB; o++) {
            sb[o] = s[o / mult];
            for (int i = o * perOutB; i < (o + 1) * perOutB; i++) {
              vb[i] *= sb[o];
            }
          }
          accumulate(factors, b.input(1) + "#0", sb);
        } else {
          for (int o = 0; o < outB; o++) {
            for (int c = 0; c < channels; c++) {
              for (int k = 0; k < kB; k++) {
                vb[o * perOutB + c * kB + k] *= s[c];
              }
            }
          }
          accumulate(factors, b.input(1) + "#1", s);
        }
      }
    }
    List<GraphAdjustments.Edit> edits = new ArrayList<>();
    factors.forEach((key, f) -> {
      int hash = key.lastIndexOf('#');
      edits.add(new GraphAdjustments.Edit(key.substring(0, hash), GraphAdjustments.Kind.SCALE,
          Integer.parseInt(key.substring(hash + 1)), f, "cross-layer equalization"));
    });
    GraphAdjustments adj = GraphAdjustments.of(edits);
    return new Result(adj.apply(g), adj, ImmutableList.copyOf(pairs), ImmutableList.copyOf(skipped));
  }

  private static boolean isDepthwise(Graph g, Node n, Op.Conv c) {
    Tensor wt = g.initializer(n.input(1)).orElseThrow();
    return c.groups() > 1 && wt.shape().dim(1) == 1 && wt.shape().dim(0) % c.groups() == 0;
  }

  private static void accumulate(Map<String, float[]> factors, String key, float[] f) {
    float[] acc = factors.get(key);
    if (acc == null) {
      factors.put(key, f.clone());
      return;
    }
    for (int i = 0; i < acc.length; i++) {
      acc[i] *= f[i];
    }
  }
}
