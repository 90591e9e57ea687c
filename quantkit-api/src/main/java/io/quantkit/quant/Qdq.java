package io.quantkit.quant;

import com.google.common.base.Preconditions;
import io.quantkit.CalibrationException;
import io.quantkit.internal.Names;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.BatchNormFolding;
import io.quantkit.ir.passes.GraphSimplification;
import io.quantkit.quant.QdqPlacement.Role;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The quantizer: an IR-to-IR pass that inserts QuantizeLinear/DequantizeLinear (QDQ format) where
 * ONNX Runtime's graph optimizer turns them into integer kernels (QLinearConv, QGemm,
 * QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool, QLinearGlobalAveragePool, and 8-bit
 * MaxPool/Reshape/Flatten/Transpose). Any backend that executes QuantizeLinear/DequantizeLinear
 * runs the result with the same numbers.
 *
 * <p>Placement (see also {@link QdqPlacement}):
 * <ul>
 *   <li>BatchNorm is folded into the Conv before it first ({@link BatchNormFolding}), and with
 *       {@link QuantOptions#simplifyGraph()} (default) the graph is simplified ({@link GraphSimplification}).
 *   <li>An activation tensor T read by a quantized op gets one QuantizeLinear ({@code T_quantized})
 *       and one DequantizeLinear per consuming node ({@code T_dequantized}, {@code T_dequantized_2},
 *       ...), so every integer op owns its DQ, the node-unit form ONNX Runtime fuses
 *       ({@link QuantOptions#dequantizePerConsumer()} false shares one DQ, like ORT's tool).
 *       FP32 consumers of a tensor whose producer is quantized read a DQ too (the FP32 value is
 *       never materialized once ORT fuses the producer); FP32 consumers of an FP32 tensor read it
 *       directly.
 *   <li>Weights become INT8 initializers {@code W_quantized} (symmetric, per output channel by
 *       default: axis 0 of OIHW conv weights, of Gemm B when transB, else axis 1) followed by a
 *       DequantizeLinear; biases INT32 {@code B_quantized} with scale = input scale x weight scale
 *       and zero point 0.
 *   <li>ReLU and Clip(0, max) right after a Conv/Gemm/Add/... are folded away with asymmetric
 *       activations, as ORT's tool does: the producer writes the ReLU's output tensor, whose
 *       range starts at 0, so saturation in QuantizeLinear is the ReLU.
 *   <li>The graph input is quantized where it enters the first quantized op; a layout Transpose
 *       right after the input runs on 8-bit data (quantize, then transpose bytes). Raw 0..255
 *       pixels always use min/max calibration, so UINT8 represents them exactly (scale 1).
 *   <li>Softmax stays FP32, and a Gemm feeding only FP32 ops keeps an FP32 output (QGemm without
 *       output quantization), so logits and probabilities are not rounded to 8 bits.
 *   <li>A graph output produced by a quantized op keeps its name: the op writes
 *       {@code T_float}, and {@code T} is the DequantizeLinear of its quantized value.
 * </ul>
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
public final class Qdq {
  private static final double INT32_LIMIT = 2147483647.0;

  private Qdq() {}

  /** Quantizes with the options recorded in the plan. */
  public static QuantizationResult quantize(Graph fp32, QuantPlan plan) {
    return quantize(fp32, plan, plan.options());
  }

  /**
   * Quantizes {@code fp32} with the activation parameters of {@code plan}. {@code options} may
   * differ from the plan's (e.g. more exclusions, shared DQs), but every activation it quantizes
   * must have parameters in the plan; weights and biases are recomputed when missing.
   *
   * @throws CalibrationException when the plan lacks parameters for a tensor the placement needs
   */
  public static QuantizationResult quantize(Graph fp32, QuantPlan plan, QuantOptions options) {
    Preconditions.checkNotNull(plan, "plan");
    // the plan's weight and activation parameters were computed on the adjusted graph
    Graph folded = plan.adjustments().apply(GraphSimplification.forQuantization(fp32, options.simplifyGraph()));
    Exclusions.check(fp32, folded, options);
    QdqPlacement p = QdqPlacement.of(folded, options);
    Map<String, QuantParams> activations = new HashMap<>();
    for (String t : p.calibratedTensors()) {
      QuantParams params = plan.params(t).orElseThrow(() -> new CalibrationException("the quantization plan has no "
          + "parameters for tensor '" + t + "'; calibrate with the same options (excluded nodes, activation type)"));
      QuantType expected = options.activationType();
      if (params.type() != expected || params.isPerChannel()) {
        throw new CalibrationException("tensor '" + t + "' has " + params + " in the plan, but it is quantized "
            + "per tensor to " + expected + " with these options");
      }
      activations.put(t, params);
    }
    List<String> warnings = new ArrayList<>(p.warnings);
    Layers layers = Layers.compute(p, activations, plan, options, warnings);
    checkFoldedRanges(p, layers.tensors);
    Graph graph = new Rewriter(p, layers, options).rewrite();
    if (options.padInputChannels() > 0) {
      graph = io.quantkit.ir.passes.ConvChannelPadding.apply(graph, options.padInputChannels());
    }
    QuantPlan.Builder used = QuantPlan.builder(fp32.name()).options(options).calibration(plan.calibration())
        .adjustments(plan.adjustments());
    layers.tensors.forEach(used::put);
    plan.observations().forEach((t, o) -> {
      if (layers.tensors.containsKey(t)) {
        used.observation(t, o);
      }
    });
    plan.metadata().forEach(used::metadata);
    return new QuantizationResult(graph, used.build(), p.floatNodes, p.foldedActivations, warnings);
  }

  private static void checkFoldedRanges(QdqPlacement p, Map<String, QuantParams> params) {
    p.foldedOutputs.forEach((t, upper) -> {
      QuantParams q = params.get(t);
      if (q == null) {
        return;
      }
      float lo = q.representableMin(0);
      if (q.zeroPoint(0) != q.type().qmin() && lo < 0) {
        throw new CalibrationException("tensor '" + t + "' is the output of a ReLU/Clip folded into its producer, so "
            + "its quantization must start at 0, but " + q + " represents down to " + lo);
      }
    });
  }

  /** Parameters of every tensor the rewrite touches, with per-node weight and bias parameters. */
  static final class Layers {
    /** Tensor name to parameters: activations (incl. passthrough copies), weights, biases, constants. */
    final Map<String, QuantParams> tensors = new LinkedHashMap<>();
    final Map<String, QuantParams> weightOf = new HashMap<>();
    /** Per WEIGHTED node with an INT32 bias. */
    final Map<String, QuantParams> biasOf = new HashMap<>();

    static Layers compute(QdqPlacement p, Map<String, QuantParams> activations, QuantPlan plan, QuantOptions o,
        List<String> warnings) {
      Layers l = new Layers();
      Graph g = p.graph;
      p.quantized.forEach((t, src) -> l.tensors.put(t, activations.get(src)));
      for (Node n : g.nodes()) {
        Role r = p.roles.get(n.name());
        if (r == Role.WEIGHTED) {
          l.weighted(g, n, activations.get(p.source(n.input(0))), plan, o, warnings);
        } else if (r == Role.ELEMENTWISE) {
          for (int i = 0; i < n.inputs().size(); i++) {
            String c = n.input(i);
            if (QdqPlacement.isFloatInit(g, c) && !l.tensors.containsKey(c)) {
              Tensor v = g.initializer(c).orElseThrow();
              l.tensors.put(c, QuantMath.params(minMax(v), o.activationType(), o.symmetricActivations()));
            }
          }
        }
      }
      return l;
    }

    private void weighted(Graph g, Node n, QuantParams input, QuantPlan plan, QuantOptions o, List<String> warnings) {
      String wName = n.input(1);
      Tensor w = g.initializer(wName).orElseThrow();
      int axis = o.perChannelWeights() ? QdqPlacement.weightAxis(g, n) : QuantParams.PER_TENSOR;
      QuantParams wp = plan == null ? null : plan.params(wName).orElse(null);
      if (wp == null || wp.type() != QuantType.INT8 || wp.axis() != axis
          || (axis >= 0 && wp.channels() != w.shape().dim(axis))) {
        wp = QuantMath.weightParams(w, axis, o.weightMethod() == CalibrationMethod.MSE, o.weightQmax());
      }
      String bName = n.input(2);
      QuantParams bp = null;
      if (!bName.isEmpty()) {
        int channels = axis >= 0 ? w.shape().dim(axis) : outputChannels(g, n, w);
        String problem = QdqPlacement.biasProblem(g, n, channels);
        if (problem != null) {
          warnings.add(n.op().type() + " '" + n.name() + "': bias '" + bName + "' kept FP32 (" + problem
              + "); ONNX Runtime may then not fuse this node");
        } else {
          float[] b = g.initializer(bName).orElseThrow().toFloatArray();
          wp = fitBias(n, b, input, wp, w, warnings);
          bp = QuantMath.biasParams(input, wp);
          biasOf.put(n.name(), bp);
        }
      }
      weightOf.put(n.name(), wp);
      tensors.putIfAbsent(wName, wp);
      if (bp != null) {
        tensors.putIfAbsent(bName, bp);
      }
    }

    /**
     * Makes every bias fit INT32: where |b| / (input scale x weight scale) would overflow, the
     * weight scale of that channel grows just enough. Happens only for channels whose weights are
     * nearly all zero, where the coarser weight scale costs nothing.
     */
    private static QuantParams fitBias(Node n, float[] b, QuantParams input, QuantParams wp, Tensor w,
        List<String> warnings) {
      float sx = input.scale();
      float[] scales = wp.scales();
      boolean changed = false;
      for (int i = 0; i < b.length; i++) {
        int c = wp.isPerChannel() ? i : 0;
        double needed = Math.abs((double) b[i]) / (sx * (INT32_LIMIT - 1024));
        if ((double) scales[c] < needed) {
          scales[c] = Math.nextUp((float) needed);
          changed = true;
        }
      }
      if (!changed) {
        return wp;
      }
      warnings.add(n.op().type() + " '" + n.name() + "': weight scale raised so the INT32 bias does not overflow");
      return wp.isPerChannel()
          ? QuantParams.perChannel(QuantType.INT8, scales, wp.zeroPoints(), wp.axis())
          : QuantParams.perTensor(QuantType.INT8, scales[0], 0);
    }

    private static int outputChannels(Graph g, Node n, Tensor w) {
      int axis = QdqPlacement.weightAxis(g, n);
      return axis >= 0 ? w.shape().dim(axis) : w.shape().dim(-1);
    }

    private static TensorRange minMax(Tensor v) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (float x : v.toFloatArray()) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      return v.size() == 0 ? new TensorRange(0, 0) : new TensorRange(lo, hi);
    }
  }

  /** Builds the QDQ graph from a placement and its parameters. */
  private static final class Rewriter {
    private final QdqPlacement p;
    private final Graph g;
    private final Layers layers;
    private final QuantOptions options;
    private final Graph.Builder b;
    private final Set<String> used = new HashSet<>();
    /** Activation tensor -> its QuantizeLinear output. */
    private final Map<String, String> quantizedName = new HashMap<>();
    /** Activation tensor -> shared DQ output (when not per consumer). */
    private final Map<String, String> sharedDq = new HashMap<>();
    /** Source tensor -> [scale, zero point] initializer names. */
    private final Map<String, String[]> qparamNames = new HashMap<>();
    /** Constant tensor + params -> quantized initializer + qparams names. */
    private final Map<List<Object>, String[]> constNames = new HashMap<>();

    Rewriter(QdqPlacement p, Layers layers, QuantOptions options) {
      this.p = p;
      this.g = p.graph;
      this.layers = layers;
      this.options = options;
      this.b = g.toBuilder().clearNodes();
      g.inputs().forEach(v -> used.add(v.name()));
      used.addAll(g.initializers().keySet());
      for (Node n : g.nodes()) {
        used.add(n.name());
        used.addAll(n.outputs());
      }
    }

    Graph rewrite() {
      for (Node n : g.nodes()) {
        Role r = p.roles.get(n.name());
        List<String> inputs = new ArrayList<>(n.inputs());
        for (int i = 0; i < inputs.size(); i++) {
          String t = inputs.get(i);
          if (t.isEmpty()) {
            continue;
          }
          if (r == Role.FLOAT) {
            if (p.quantized.containsKey(t) && producerQuantized(t)) {
              inputs.set(i, dequantized(t));
            }
          } else if (r == Role.WEIGHTED && i == 1) {
            inputs.set(i, constantDq(t, layers.weightOf.get(n.name())));
          } else if (r == Role.WEIGHTED && i == 2) {
            QuantParams bp = layers.biasOf.get(n.name());
            if (bp != null) {
              inputs.set(i, constantDq(t, bp));
            }
          } else if (p.quantized.containsKey(t)) {
            inputs.set(i, dequantized(t));
          } else if (QdqPlacement.isFloatInit(g, t) && layers.tensors.containsKey(t)) {
            inputs.set(i, constantDq(t, layers.tensors.get(t)));
          }
        }
        List<String> outputs = new ArrayList<>(n.outputs());
        if (r != Role.FLOAT) {
          for (int i = 0; i < outputs.size(); i++) {
            String o = outputs.get(i);
            if (p.quantized.containsKey(o) && g.outputs().contains(o)) {
              outputs.set(i, fresh(o + "_float"));
            }
          }
        }
        b.node(Node.of(n.name(), n.op(), inputs, outputs));
        for (int i = 0; i < outputs.size(); i++) {
          String o = n.outputs().get(i);
          if (p.quantized.containsKey(o)) {
            quantize(o, outputs.get(i));
            if (!outputs.get(i).equals(o)) {
              // graph output keeps its name as the dequantized value
              addDq(o, o);
            }
          }
        }
      }
      for (String in : p.quantized.keySet()) {
        if (p.isGraphInput(in)) {
          quantize(in, in);
        }
      }
      b.metadata("quantkit.quantization", "QDQ");
      b.metadata("quantkit.activations", options.activationType() + (options.symmetricActivations() ? " symmetric" : " asymmetric"));
      b.metadata("quantkit.weights", "INT8 symmetric " + (options.perChannelWeights() ? "per-channel" : "per-tensor"));
      return b.build();
    }

    private boolean producerQuantized(String t) {
      return g.producer(t).map(n -> p.roles.get(n.name()) != Role.FLOAT).orElse(false);
    }

    private String fresh(String base) {
      return Names.unique(used, base);
    }

    private String[] qparams(String source, QuantParams q) {
      return qparamNames.computeIfAbsent(source, s -> {
        String scale = fresh(s + "_scale");
        String zp = fresh(s + "_zero_point");
        b.initializer(scale, scaleTensor(q));
        b.initializer(zp, zeroPointTensor(q));
        return new String[] {scale, zp};
      });
    }

    /** QuantizeLinear of activation {@code t}, reading the float tensor {@code input}. */
    private void quantize(String t, String input) {
      if (quantizedName.containsKey(t)) {
        return;
      }
      String src = p.source(t);
      QuantParams q = layers.tensors.get(t);
      String[] qp = qparams(src, q);
      String out = fresh(t + "_quantized");
      b.node(Node.of(fresh(t + "_QuantizeLinear"), new Op.QuantizeLinear(1), List.of(input, qp[0], qp[1]), List.of(out)));
      quantizedName.put(t, out);
    }

    private String dequantized(String t) {
      if (!options.dequantizePerConsumer() && sharedDq.containsKey(t)) {
        return sharedDq.get(t);
      }
      String out = fresh(t + "_dequantized");
      addDq(t, out);
      sharedDq.put(t, out);
      return out;
    }

    private void addDq(String t, String out) {
      if (!quantizedName.containsKey(t)) {
        quantize(t, t); // graph inputs are quantized on first use
      }
      String[] qp = qparams(p.source(t), layers.tensors.get(t));
      b.node(Node.of(fresh(t + "_DequantizeLinear"), new Op.DequantizeLinear(1), List.of(quantizedName.get(t), qp[0], qp[1]),
          List.of(out)));
    }

    /** Quantized initializer + DequantizeLinear for a constant (weight, bias or Add operand). */
    private String constantDq(String t, QuantParams q) {
      String[] names = constNames.computeIfAbsent(List.of(t, q), k -> {
        Tensor v = g.initializer(t).orElseThrow();
        String qName = fresh(t + "_quantized");
        String scale = fresh(t + "_scale");
        String zp = fresh(t + "_zero_point");
        // biases are stored 1-D [N] (a Gemm C of shape [1, N] broadcasts the same way)
        Tensor flat = q.type() == QuantType.INT32 ? v.reshape(Shape.of(v.size())) : v;
        b.initializer(qName, QuantMath.quantize(flat, q));
        b.initializer(scale, scaleTensor(q));
        b.initializer(zp, zeroPointTensor(q));
        return new String[] {qName, scale, zp};
      });
      String out = fresh(t + "_dequantized");
      int axis = q.isPerChannel() ? q.axis() : 1;
      b.node(Node.of(fresh(t + "_DequantizeLinear"), new Op.DequantizeLinear(axis), List.of(names[0], names[1], names[2]),
          List.of(out)));
      return out;
    }

    private static Tensor scaleTensor(QuantParams q) {
      return q.isPerChannel() ? Tensor.ofFloats(Shape.of(q.channels()), q.scales()) : Tensor.scalar(q.scale());
    }

    private static Tensor zeroPointTensor(QuantParams q) {
      Shape shape = q.isPerChannel() ? Shape.of(q.channels()) : Shape.scalar();
      int[] zps = q.zeroPoints();
      if (q.type() == QuantType.INT32) {
        return Tensor.ofInts(shape, zps);
      }
      byte[] bytes = new byte[zps.length];
      for (int i = 0; i < zps.length; i++) {
        bytes[i] = (byte) zps[i];
      }
      return Tensor.wrapBytes(q.type().dataType(), shape, bytes);
    }
  }
}
