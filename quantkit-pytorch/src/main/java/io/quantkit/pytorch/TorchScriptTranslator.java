package io.quantkit.pytorch;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.GraphException;
import io.quantkit.QuantkitException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.ir.passes.QuantizedOpGroup;
import io.quantkit.ir.passes.QuantizedOpGroups;
import io.quantkit.pytorch.TorchTensor.ScalarType;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns an IR graph into a TorchScript module: one {@code forward} in the root module calling
 * PyTorch's own operators, and one submodule per layer that holds constants, named after the IR
 * node, whose parameters carry PyTorch's usual names ({@code model.conv2d_1.weight},
 * {@code .bias}, {@code .running_mean}, ...).
 *
 * <p>A QDQ graph (QuantizeLinear/DequantizeLinear, as {@code Qdq.quantize} writes it) becomes
 * code on PyTorch's quantized tensors: every quantized op group (DequantizeLinear inputs -> op ->
 * one QuantizeLinear) whose op has a PyTorch integer kernel runs on it
 * ({@code quantized::conv2d}, {@code quantized::linear}, {@code quantized::add},
 * {@code quantized::mul}, {@code quantized::cat}, and max/average pooling, ReLU and layout ops on
 * quantized tensors). Activations become quint8 (INT8 activations with zero point z are the same
 * numbers as quint8 with z + 128), weights qint8 per tensor or per output channel, INT32 biases
 * the float values they stand for (PyTorch adds them at scale input x weight). Everything else runs
 * in FP32 on the dequantized values and is quantized again where the plan says so, which is the
 * QDQ arithmetic itself; each such op is listed in {@link Result#warnings()}.
 *
 * <p>One translation per instance; not thread-safe.
 */
final class TorchScriptTranslator {
  /** c10 ScalarType code of quint8, the dtype argument of quantize_per_tensor. */
  private static final int QUINT8 = 13;
  private static final String CONV_PACKED = "__torch__.torch.classes.quantized.Conv2dPackedParamsBase";
  private static final String LINEAR_PACKED = "__torch__.torch.classes.quantized.LinearPackedParamsBase";

  /** What the translation made, for the archive and for the caller's report. */
  record Result(TorchModule root, List<String> warnings, Map<String, Integer> kernels, boolean quantized) {}

  /** Quantization of an activation as PyTorch holds it: quint8 with this scale and zero point. */
  private record QParams(double scale, long zeroPoint) {
    String args() {
      return pyFloat(scale) + ", " + zeroPoint;
    }
  }

  /** The value of an IR tensor in the generated code. */
  private sealed interface Val permits Plain, Quant, Dq, Const, ConstDq {}

  /** A float (or other unquantized) tensor held in variable {@code var}. */
  private record Plain(String var) implements Val {}

  /** A quint8 tensor held in variable {@code var}. */
  private record Quant(String var, QParams q) implements Val {}

  /** DequantizeLinear of a quantized value: used quantized by integer kernels, materialized on demand. */
  private record Dq(Quant src) implements Val {}

  /** An initializer. */
  private record Const(String name, Tensor value) implements Val {}

  /** DequantizeLinear of a quantized initializer (weights, biases). */
  private record ConstDq(String name, Tensor q, float[] scales, long[] zeroPoints, int axis, DataType type) implements Val {
    /** The exact DequantizeLinear values: (q - zp) * scale in float, as the reference executor computes them. */
    Tensor dequantized() {
      int n = q.size();
      float[] out = new float[n];
      Shape s = q.shape();
      int inner = axis >= 0 && scales.length > 1 ? s.size(axis + 1, s.rank()) : n;
      int channels = scales.length;
      for (int i = 0; i < n; i++) {
        int c = channels > 1 ? (i / inner) % channels : 0;
        out[i] = (float) (q.getLong(i) - zeroPoints[c]) * scales[c];
      }
      return Tensor.wrapFloats(s, out);
    }
  }

  private final Graph g;
  private final Map<String, ValueInfo> infos;
  private final Map<String, Val> values = new HashMap<>();
  /** The quantized op groups of the graph, by compute node name. */
  private final Map<String, QuantizedOpGroup> groups = new HashMap<>();
  private final Map<String, String> materialized = new HashMap<>();
  private final Set<String> absorbed = new HashSet<>();
  private final PyNames vars = new PyNames();
  private final PyNames attrs = new PyNames();
  private final PyNames classes = new PyNames();
  private final List<String> body = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final Map<String, Integer> kernels = new LinkedHashMap<>();
  private final TorchModule root;
  private boolean quantized;

  private TorchScriptTranslator(Graph g) {
    this.g = g;
    Map<String, ValueInfo> inferred;
    try {
      inferred = ShapeInference.infer(g);
    } catch (QuantkitException e) {
      inferred = Map.of();
    }
    this.infos = inferred;
    for (QuantizedOpGroup group : QuantizedOpGroups.find(g)) {
      groups.put(group.node().name(), group);
    }
    this.root = new TorchModule(classes.fresh(PyNames.className(g.name().isEmpty() ? "Model" : g.name())));
  }

  static Result translate(Graph graph) {
    return new TorchScriptTranslator(graph).run();
  }

  private Result run() {
    List<String> params = new ArrayList<>();
    for (ValueInfo in : g.inputs()) {
      String var = vars.fresh(in.name());
      values.put(in.name(), new Plain(var));
      params.add(var + ": Tensor");
    }
    g.initializers().forEach((name, t) -> values.put(name, new Const(name, t)));
    for (Node n : g.nodes()) {
      if (!absorbed.contains(n.name())) {
        translate(n);
      }
    }
    List<String> outs = new ArrayList<>();
    for (String o : g.outputs()) {
      outs.add(output(o));
    }
    String returnType = outs.size() == 1 ? "Tensor" : "Tuple[" + String.join(", ", java.util.Collections.nCopies(outs.size(), "Tensor")) + "]";
    StringBuilder m = new StringBuilder();
    m.append("  def forward(self: ").append(root.qualifiedName()).append(",\n    ").append(String.join(",\n    ", params))
        .append(") -> ").append(returnType).append(":\n");
    for (String line : body) {
      m.append("    ").append(line).append('\n');
    }
    m.append("    return ").append(outs.size() == 1 ? outs.get(0) : "(" + String.join(", ", outs) + ")").append('\n');
    root.method(m.toString());
    return new Result(root, List.copyOf(warnings), Map.copyOf(kernels), quantized);
  }

  // ---------------------------------------------------------------------------------------------
  // dispatch: one method per op type (a visitor once Op is sealed)

  private void translate(Node n) {
    Op op = n.op();
    if (op instanceof Op.QuantizeLinear q) {
      quantizeLinear(n, q);
    } else if (op instanceof Op.DequantizeLinear dq) {
      dequantizeLinear(n, dq);
    } else if (!tryQuantized(n)) {
      floatOp(n);
    }
  }

  private void quantizeLinear(Node n, Op.QuantizeLinear op) {
    quantized = true;
    Val in = value(n.input(0));
    String out = n.output();
    if (constant(n, n.input(1)).size() != 1) {
      warnings.add("QuantizeLinear '" + n.name() + "' of '" + n.input(0) + "': per-axis quantization of an activation has "
          + "no PyTorch quantized tensor kernels behind it; computed in FP32 with ONNX's arithmetic (x / scale, round half "
          + "to even, + zero point, saturate)");
      values.put(out, new Plain(emulated(n, floatOf(in, n), true, op.axis())));
      count("QuantizeLinear in FP32 arithmetic");
      return;
    }
    QParams q = activationParams(n, op.axis());
    if (in instanceof Dq d && d.src().q().equals(q)) {
      // DequantizeLinear then QuantizeLinear with the same parameters gives back the same integers
      values.put(out, d.src());
      return;
    }
    String var = vars.fresh(out);
    let(var, "torch.quantize_per_tensor(" + floatOf(in, n) + ", " + q.args() + ", " + QUINT8 + ")");
    count("aten::quantize_per_tensor");
    values.put(out, new Quant(var, q));
  }

  private void dequantizeLinear(Node n, Op.DequantizeLinear op) {
    quantized = true;
    String x = n.input(0);
    Val in = value(x);
    if (in instanceof Const c) {
      Tensor scale = constant(n, n.input(1));
      Optional<Tensor> zp = n.input(2).isEmpty() ? Optional.empty() : Optional.of(constant(n, n.input(2)));
      float[] scales = scale.toFloatArray();
      long[] zps = zp.map(Tensor::toLongArray).orElse(new long[scales.length]);
      int axis = scales.length > 1 ? normAxis(op.axis(), c.value().shape().rank()) : -1;
      values.put(n.output(), new ConstDq(x, c.value(), scales, zps, axis, c.value().type()));
    } else if (in instanceof Quant q) {
      values.put(n.output(), new Dq(q));
    } else if (in instanceof Plain p) {
      // integers that are not a quantized tensor of PyTorch's (a graph input, INT32, per-axis data)
      values.put(n.output(), new Plain(emulated(n, p.var(), false, op.axis())));
      count("DequantizeLinear in FP32 arithmetic");
    } else {
      throw new UnsupportedOpException(n.name(), n.op().type(), "input '" + x + "' is in an unexpected form");
    }
  }

  /**
   * QuantizeLinear ({@code quantize}) or DequantizeLinear in float arithmetic, exactly as ONNX
   * defines them: a submodule named after the node holds the scale and zero point, shaped to
   * broadcast along the node's axis.
   */
  private String emulated(Node n, String x, boolean quantize, int axisAttribute) {
    Tensor scale = constant(n, n.input(1));
    Tensor zp = n.input(2).isEmpty() ? null : constant(n, n.input(2));
    DataType type = quantize ? (zp == null ? DataType.UINT8 : zp.type()) : null;
    long[] shape;
    if (scale.size() == 1) {
      shape = new long[0];
    } else {
      int rank = rankOf(n, 0);
      int axis = normAxis(axisAttribute, rank);
      shape = new long[rank];
      java.util.Arrays.fill(shape, 1);
      shape[axis] = scale.size();
    }
    float[] zeros = new float[scale.size()];
    for (int i = 0; zp != null && i < zeros.length; i++) {
      zeros[i] = zp.getLong(i);
    }
    TorchModule m = new TorchModule(classes.fresh(PyNames.className(n.name())));
    m.buffer("scale", TorchTensor.floats(shape, scale.toFloatArray()));
    m.buffer("zero_point", TorchTensor.floats(shape, zeros));
    String body;
    if (quantize) {
      QuantTypeRange r = QuantTypeRange.of(type, n);
      body = "torch.to(torch.clamp(torch.add(torch.round(torch.div(x, self.scale)), self.zero_point), " + r.min + ", " + r.max
          + "), " + r.code + ")";
    } else {
      body = "torch.mul(torch.sub(torch.to(x, 6), self.zero_point), self.scale)";
    }
    m.method(methodHeader(m, "forward", List.of("x: Tensor"), "Tensor") + "    return " + body + "\n");
    String attr = attrs.fresh(n.name());
    root.submodule(attr, m);
    String var = vars.fresh(n.output());
    let(var, "(self." + attr + ").forward(" + x + ")");
    return var;
  }

  /** Range and c10 dtype code of a QuantizeLinear output type. */
  private record QuantTypeRange(int min, int max, int code) {
    static QuantTypeRange of(DataType type, Node n) {
      switch (type) {
        case UINT8: return new QuantTypeRange(0, 255, 0);
        case INT8: return new QuantTypeRange(-128, 127, 1);
        default: throw new UnsupportedOpException(n.name(), n.op().type(), "quantization to " + type);
      }
    }
  }

  /** Parameters of a QuantizeLinear/DequantizeLinear on an activation, as quint8. */
  private QParams activationParams(Node n, int axis) {
    Tensor scale = constant(n, n.input(1));
    if (scale.size() != 1) {
      throw new UnsupportedOpException(n.name(), n.op().type(), "per-axis quantization of activation '" + n.input(0)
          + "' (" + scale.size() + " scales): PyTorch's quantized kernels take per-tensor activations only");
    }
    long zp = 0;
    DataType type = DataType.UINT8;
    if (!n.input(2).isEmpty()) {
      Tensor z = constant(n, n.input(2));
      zp = z.getLong(0);
      type = z.type();
    }
    if (type == DataType.INT8) {
      // int8 with zero point z represents exactly the numbers of quint8 with z + 128
      zp += 128;
    } else if (type != DataType.UINT8) {
      throw new UnsupportedOpException(n.name(), n.op().type(), "activation '" + n.input(0) + "' quantized to " + type
          + "; PyTorch's quantized kernels take 8-bit activations");
    }
    return new QParams(scale.getFloat(0), zp);
  }

  // ---------------------------------------------------------------------------------------------
  // quantized op groups: DequantizeLinear inputs -> op -> one QuantizeLinear

  private boolean tryQuantized(Node n) {
    QuantizedOpGroup group = groups.get(n.name());
    if (group == null || n.outputs().size() != 1 || group.output().isEmpty() || group.output().get().alsoReadAsFloat()) {
      return false;
    }
    boolean anyQuantActivation = false;
    for (QuantizedOpGroup.Input in : group.inputs()) {
      anyQuantActivation |= quantized(in) != null;
    }
    if (!anyQuantActivation) {
      return false;
    }
    Node qNode = group.output().get().quantize();
    QParams out = activationParams(qNode, ((Op.QuantizeLinear) qNode.op()).axis());
    String reason = n.op().accept(new QuantizedKernel(n, group, qNode, out));
    if (reason == null) {
      absorbed.add(qNode.name());
      quantized = true;
      return true;
    }
    warnings.add(n.op().type() + " '" + n.name() + "' -> '" + qNode.output() + "': runs in FP32 on the dequantized "
        + "input and is quantized again (the plan's QDQ arithmetic), because " + reason);
    return false;
  }

  /** The quantized activation a group input dequantizes, or null (a float input, a constant). */
  private Quant quantized(QuantizedOpGroup.Input in) {
    Optional<String> q = in.quantizedTensor();
    if (q.isEmpty() || in.constant().isPresent()) {
      return null;
    }
    return values.get(q.get()) instanceof Quant quant ? quant : null;
  }

  /**
   * Emits a quantized op group on PyTorch's integer kernels: null when it did, else why it cannot.
   * One method per op that has such a kernel; every other op falls back to FP32.
   */
  private final class QuantizedKernel extends Op.FallbackVisitor<String> {
    private final Node n;
    private final QuantizedOpGroup group;
    private final Node qNode;
    private final QParams out;

    QuantizedKernel(Node n, QuantizedOpGroup group, Node qNode, QParams out) {
      this.n = n;
      this.group = group;
      this.qNode = qNode;
      this.out = out;
    }

    @Override
    protected String fallback(Op op) {
      return "PyTorch has no quantized kernel for " + op.type() + " in this backend";
    }

    private Quant in(int slot) {
      return slot < group.inputs().size() ? quantized(group.input(slot)) : null;
    }

    @Override
    public String conv(Op.Conv c) {
      if (c.kernel().length() != 2) {
        return "only 2-D convolutions have a quantized kernel here (kernel " + c.kernel() + ")";
      }
      Quant x = in(0);
      if (x == null) {
        return "its input '" + n.input(0) + "' is not quantized";
      }
      String wProblem = weightProblem(group.input(1), 0);
      if (wProblem != null) {
        return wProblem;
      }
      TorchTensor bias = biasOf(n, 2);
      int[] inSpatial = spatial(n.input(0));
      if (inSpatial == null && c.padding() instanceof Padding.Same) {
        return "'same' padding needs the input's spatial size, which is unknown";
      }
      Padding.Explicit pads = c.padding().resolve(inSpatial == null ? new int[2] : inSpatial, c.kernel(), c.strides(),
          c.dilations());
      String attr = attrs.fresh(n.name());
      TorchModule m = new TorchModule(classes.fresh(PyNames.className(n.name())));
      m.attribute("weight", "Tensor", qint8Weight(group.input(1), false));
      m.attribute("bias", "Optional[Tensor]", bias);
      m.attribute("_packed_params", CONV_PACKED, null);
      m.pickleStateAs(List.of("weight", "bias", "training"));
      boolean symmetric = pads.begins().equals(pads.ends());
      String padding = symmetric ? list(pads.begins()) : list(new int[] {0, 0});
      m.method(getState(m, "weight", "bias"));
      m.method(setState(m, "self._packed_params = ops.quantized.conv2d_prepack(state[0], state[1], " + list(c.strides())
          + ", " + padding + ", " + list(c.dilations()) + ", " + c.groups() + ")"));
      StringBuilder f = new StringBuilder(methodHeader(m, "forward", List.of("x: Tensor"), "Tensor"));
      String input = "x";
      if (!symmetric) {
        // a quantized tensor pads with its zero point, the quantized 0.0
        f.append("    x0 = torch.constant_pad_nd(x, ").append(padList(pads)).append(", 0.)\n");
        input = "x0";
      }
      f.append("    return ops.quantized.conv2d(").append(input).append(", self._packed_params, ").append(out.args())
          .append(")\n");
      m.method(f.toString());
      root.submodule(attr, m);
      return emit("(self." + attr + ").forward(" + x.var() + ")", "quantized::conv2d");
    }

    @Override
    public String gemm(Op.Gemm gemm) {
      if (!linearLike(gemm)) {
        return "only Gemm with alpha = beta = 1 and no transposed A maps to quantized::linear";
      }
      Quant x = in(0);
      if (x == null) {
        return "its input '" + n.input(0) + "' is not quantized";
      }
      String wProblem = weightProblem(group.input(1), gemm.transB() ? 0 : 1);
      if (wProblem != null) {
        return wProblem;
      }
      TorchTensor bias = biasOf(n, 2);
      if (bias != null && bias.shape().length != 1) {
        return "its bias '" + n.input(2) + "' is not a vector";
      }
      String attr = attrs.fresh(n.name());
      TorchModule m = new TorchModule(classes.fresh(PyNames.className(n.name())));
      m.attribute("weight", "Tensor", qint8Weight(group.input(1), !gemm.transB()));
      m.attribute("bias", "Optional[Tensor]", bias);
      m.attribute("_packed_params", LINEAR_PACKED, null);
      m.pickleStateAs(List.of("weight", "bias", "training"));
      m.method(getState(m, "weight", "bias"));
      m.method(setState(m, "self._packed_params = ops.quantized.linear_prepack(state[0], state[1])"));
      m.method(methodHeader(m, "forward", List.of("x: Tensor"), "Tensor")
          + "    return ops.quantized.linear(x, self._packed_params, " + out.args() + ")\n");
      root.submodule(attr, m);
      return emit("(self." + attr + ").forward(" + x.var() + ")", "quantized::linear");
    }

    @Override
    public String add(Op.Add op) {
      return binary("add");
    }

    @Override
    public String mul(Op.Mul op) {
      return binary("mul");
    }

    private String binary(String kernel) {
      Quant a = in(0);
      Quant b = in(1);
      if (a == null || b == null) {
        return "not both inputs are quantized activations";
      }
      Shape sa = shape(n.input(0));
      Shape sb = shape(n.input(1));
      if (sa == null || !sa.equals(sb)) {
        return "its inputs' shapes " + sa + " and " + sb + " are not known to be equal (quantized::" + kernel
            + " is used without broadcasting)";
      }
      return emit("ops.quantized." + kernel + "(" + a.var() + ", " + b.var() + ", " + out.args() + ")", "quantized::" + kernel);
    }

    @Override
    public String concat(Op.Concat c) {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < n.inputs().size(); i++) {
        Quant q = in(i);
        if (q == null) {
          return "input '" + n.input(i) + "' is not a quantized activation";
        }
        parts.add(q.var());
      }
      return emit("ops.quantized.cat([" + String.join(", ", parts) + "], " + c.axis() + ", " + out.args() + ")",
          "quantized::cat");
    }

    @Override
    public String averagePool(Op.AveragePool p) {
      if (p.kernel().length() != 2) {
        return "only 2-D pooling has a quantized kernel here";
      }
      String why = symmetricPadding(p.padding(), p.kernel(), p.strides(), ones(2), "average-pool");
      return why != null ? why : averaging("avg_pool2d");
    }

    @Override
    public String globalAveragePool(Op.GlobalAveragePool op) {
      Shape s = shape(n.input(0));
      if (s == null || s.rank() != 4) {
        return "only 4-D global average pooling has a quantized kernel here";
      }
      return averaging("adaptive_avg_pool2d");
    }

    @Override
    public String maxPool(Op.MaxPool p) {
      if (p.kernel().length() != 2) {
        return "only 2-D pooling has a quantized kernel here";
      }
      String why = symmetricPadding(p.padding(), p.kernel(), p.strides(), p.dilations(), "max-pool");
      return why != null ? why : passThrough();
    }

    @Override
    public String relu(Op.Relu op) {
      return passThrough();
    }

    @Override
    public String flatten(Op.Flatten op) {
      return passThrough();
    }

    @Override
    public String reshape(Op.Reshape op) {
      return passThrough();
    }

    @Override
    public String transpose(Op.Transpose op) {
      return passThrough();
    }

    private String symmetricPadding(Padding p, ImmutableIntArray kernel, ImmutableIntArray strides,
        ImmutableIntArray dilations, String what) {
      int[] sp = spatial(n.input(0));
      if (sp == null && p instanceof Padding.Same) {
        return "'same' padding needs the input's spatial size";
      }
      Padding.Explicit pads = p.resolve(sp == null ? new int[2] : sp, kernel, strides, dilations);
      return pads.begins().equals(pads.ends()) ? null : "asymmetric " + what + " padding";
    }

    /** Averaging on a quantized tensor keeps its scale; quantizing again would round twice. */
    private String averaging(String kernel) {
      Quant x = in(0);
      if (x == null) {
        return "its input '" + n.input(0) + "' is not quantized";
      }
      if (!x.q().equals(out)) {
        return "PyTorch's quantized " + kernel + " keeps its input's scale and zero point (" + (float) x.q().scale() + ", "
            + x.q().zeroPoint() + ") and the plan gives '" + qNode.output() + "' its own (" + (float) out.scale() + ", "
            + out.zeroPoint() + ")";
      }
      return onQuantized(x);
    }

    /**
     * Ops that move or select values exactly (max pooling, ReLU, layout) run on the quantized
     * tensor and are quantized again when the plan gives the output other parameters.
     */
    private String passThrough() {
      Quant x = in(0);
      if (x == null) {
        return "its input '" + n.input(0) + "' is not quantized";
      }
      return onQuantized(x);
    }

    private String onQuantized(Quant x) {
      String expr = n.op().accept(new FloatExpr(n, List.of(x.var()), List.of(), body, vars));
      String name = "aten::" + kernelName(n.op()) + " (quint8)";
      if (x.q().equals(out)) {
        return emit(expr, name);
      }
      String tmp = vars.fresh(n.output());
      let(tmp, expr);
      return emit("torch.quantize_per_tensor(torch.dequantize(" + tmp + "), " + out.args() + ", " + QUINT8 + ")",
          name + " + requantize");
    }

    private String emit(String expr, String kernel) {
      String var = vars.fresh(qNode.output());
      let(var, expr);
      count(kernel);
      values.put(qNode.output(), new Quant(var, out));
      return null;
    }
  }

  private static String kernelName(Op op) {
    if (op instanceof Op.AveragePool) {
      return "avg_pool2d";
    } else if (op instanceof Op.GlobalAveragePool) {
      return "adaptive_avg_pool2d";
    } else if (op instanceof Op.MaxPool) {
      return "max_pool2d";
    } else if (op instanceof Op.Transpose) {
      return "permute";
    } else if (op instanceof Op.Gemm gemm) {
      return linearLike(gemm) ? "linear" : "matmul";
    } else if (op instanceof Op.Conv c) {
      return "conv" + c.kernel().length() + "d";
    }
    return op.type().toLowerCase(java.util.Locale.ROOT);
  }

  /** Why PyTorch's kernels cannot take this weight, or null. */
  private static String weightProblem(QuantizedOpGroup.Input w, int outAxis) {
    if (w.constant().isEmpty() || w.params().isEmpty()) {
      return "its weight '" + w.tensor() + "' is not the DequantizeLinear of a constant";
    }
    QuantizedOpGroup.QdqParams p = w.params().get();
    if (w.constant().get().type() != DataType.INT8 || p.type() != DataType.INT8) {
      return "its weight '" + w.tensor() + "' is " + w.constant().get().type() + ", not INT8 (PyTorch's kernels take qint8 "
          + "weights)";
    }
    if (p.isPerAxis() && p.axis(w.constant().get().shape().rank()) != outAxis) {
      return "its weight '" + w.tensor() + "' is quantized per channel along axis " + p.axis() + ", not the output channels";
    }
    for (int z : p.zeroPoints()) {
      if (z != 0) {
        return "its weight '" + w.tensor() + "' has a non-zero zero point (PyTorch's x86/oneDNN kernels need symmetric "
            + "weights)";
      }
    }
    return null;
  }

  /** The weight as a qint8 tensor, output channels first (transposed from [K, N] when asked). */
  private static TorchTensor qint8Weight(QuantizedOpGroup.Input w, boolean transpose) {
    Tensor q = w.constant().orElseThrow();
    QuantizedOpGroup.QdqParams p = w.params().orElseThrow();
    long[] shape = q.shape().toLongArray();
    byte[] data = q.toByteArray();
    if (transpose) {
      int rows = (int) shape[0];
      int cols = (int) shape[1];
      byte[] t = new byte[data.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          t[c * rows + r] = data[r * cols + c];
        }
      }
      data = t;
      shape = new long[] {cols, rows};
    }
    float[] fs = p.scales();
    double[] scales = new double[fs.length];
    long[] zps = new long[fs.length];
    for (int i = 0; i < scales.length; i++) {
      scales[i] = fs[i];
      zps[i] = p.zeroPoint(i);
    }
    TorchTensor.Quantizer quantizer = new TorchTensor.Quantizer(p.isPerAxis() ? 0 : -1, scales, zps);
    return TorchTensor.quantized(ScalarType.QINT8, shape, data, quantizer);
  }

  /** The bias as the float values it stands for (INT32 x scale, exactly as DequantizeLinear), or null. */
  private TorchTensor biasOf(Node n, int slot) {
    String b = n.input(slot);
    if (b.isEmpty()) {
      return null;
    }
    Val v = value(b);
    Tensor f;
    if (v instanceof ConstDq c) {
      f = c.dequantized();
    } else if (v instanceof Const c) {
      f = c.value();
    } else {
      throw new UnsupportedOpException(n.name(), n.op().type(), "bias '" + b + "' is computed, not a constant");
    }
    return TorchTensor.floats(new long[] {f.size()}, f.toFloatArray());
  }

  private static String getState(TorchModule m, String... names) {
    StringBuilder types = new StringBuilder();
    StringBuilder vals = new StringBuilder();
    for (String name : names) {
      types.append(m.attribute(name).type()).append(", ");
      vals.append("self.").append(name).append(", ");
    }
    return "  def __getstate__(self: " + m.qualifiedName() + ") -> Tuple[" + types + "bool]:\n"
        + "    return (" + vals + "self.training)\n";
  }

  /** {@code __setstate__} for the state (weight, bias, training): stores them, then {@code prepack}. */
  private static String setState(TorchModule m, String prepack) {
    String types = m.attribute("weight").type() + ", " + m.attribute("bias").type() + ", bool";
    return "  def __setstate__(self: " + m.qualifiedName() + ",\n    state: Tuple[" + types + "]) -> NoneType:\n"
        + "    self.weight = state[0]\n"
        + "    self.bias = state[1]\n"
        + "    " + prepack + "\n"
        + "    self.training = state[2]\n"
        + "    return None\n";
  }

  // ---------------------------------------------------------------------------------------------
  // FP32 ops

  private void floatOp(Node n) {
    if (n.outputs().size() != 1) {
      throw new UnsupportedOpException(n.name(), n.op().type(), n.outputs().size() + " outputs; only single-output ops are supported");
    }
    if (n.inputs().stream().anyMatch(i -> !i.isEmpty() && value(i) instanceof Dq)) {
      count("aten::" + kernelName(n.op()) + " on dequantized values");
    }
    boolean hasConstants = n.inputs().stream().anyMatch(i -> !i.isEmpty() && isConstant(value(i)));
    String var = vars.fresh(n.output());
    if (!hasConstants) {
      List<String> operands = new ArrayList<>();
      for (String i : n.inputs()) {
        operands.add(i.isEmpty() ? "None" : floatOf(value(i), n));
      }
      let(var, n.op().accept(new FloatExpr(n, operands, List.of(), body, vars)));
      values.put(n.output(), new Plain(var));
      return;
    }
    // a layer with constants: a submodule named after the node holds them as parameters / buffers
    TorchModule m = new TorchModule(classes.fresh(PyNames.className(n.name())));
    PyNames local = new PyNames("x");
    List<String> operands = new ArrayList<>();
    List<String> params = new ArrayList<>();
    List<String> args = new ArrayList<>();
    List<Integer> transposedSlots = new ArrayList<>();
    for (int slot = 0; slot < n.inputs().size(); slot++) {
      String i = n.input(slot);
      if (i.isEmpty()) {
        operands.add("None");
        continue;
      }
      Val v = value(i);
      if (isConstant(v)) {
        Tensor t = v instanceof Const c ? c.value() : ((ConstDq) v).dequantized();
        String attrName = parameterName(n, slot, m);
        boolean asLinear = n.op() instanceof Op.Gemm gemm && linearLike(gemm) && slot == 1 && !gemm.transB() && t.shape().rank() == 2;
        if (asLinear) {
          t = transpose2d(t);
          transposedSlots.add(slot);
        }
        TorchTensor tt = TorchTensor.of(t);
        if (attrName.equals("weight") || attrName.equals("bias")) {
          m.parameter(attrName, tt);
        } else {
          m.buffer(attrName, tt);
        }
        operands.add("self." + attrName);
      } else {
        String p = slot == 0 ? "x" : local.fresh("x" + slot);
        params.add(p + ": Tensor");
        operands.add(p);
        args.add(floatOf(v, n));
      }
    }
    List<String> lines = new ArrayList<>();
    String expr = n.op().accept(new FloatExpr(n, operands, transposedSlots, lines, local));
    StringBuilder f = new StringBuilder(methodHeader(m, "forward", params, "Tensor"));
    for (String line : lines) {
      f.append("    ").append(line).append('\n');
    }
    f.append("    return ").append(expr).append('\n');
    m.method(f.toString());
    String attr = attrs.fresh(n.name());
    root.submodule(attr, m);
    let(var, "(self." + attr + ").forward(" + String.join(", ", args) + ")");
    values.put(n.output(), new Plain(var));
  }

  private static boolean isConstant(Val v) {
    return v instanceof Const || v instanceof ConstDq;
  }

  private static boolean linearLike(Op.Gemm gemm) {
    return !gemm.transA() && gemm.alpha() == 1f && gemm.beta() == 1f;
  }

  /** PyTorch's usual attribute name for input {@code slot} of {@code n}. */
  private static String parameterName(Node n, int slot, TorchModule m) {
    Op op = n.op();
    String name;
    if (op instanceof Op.Conv || op instanceof Op.Gemm || op instanceof Op.MatMul && slot == 1) {
      name = slot == 1 ? "weight" : slot == 2 ? "bias" : "input";
    } else if (op instanceof Op.BatchNorm) {
      name = new String[] {"input", "weight", "bias", "running_mean", "running_var"}[slot];
    } else {
      name = "const_" + slot;
    }
    String unique = name;
    for (int i = 2; m.has(unique); i++) {
      unique = name + "_" + i;
    }
    return unique;
  }

  /**
   * The TorchScript expression computing a node from its operands (variables or
   * {@code self.attr}); statements it needs first go to {@code pre}, temporaries are named from
   * {@code names}. One method per op of the IR. The same code serves float tensors and, for
   * pooling, ReLU and layout ops, quantized ones.
   */
  private final class FloatExpr implements Op.Visitor<String> {
    private final Node n;
    private final List<String> in;
    private final List<Integer> transposedSlots;
    private final List<String> pre;
    private final PyNames names;

    FloatExpr(Node n, List<String> in, List<Integer> transposedSlots, List<String> pre, PyNames names) {
      this.n = n;
      this.in = in;
      this.transposedSlots = transposedSlots;
      this.pre = pre;
      this.names = names;
    }

    private String x() {
      return in.get(0);
    }

    @Override
    public String conv(Op.Conv c) {
      return TorchScriptTranslator.this.conv(n, c, in, pre, names);
    }

    @Override
    public String batchNorm(Op.BatchNorm bn) {
      return "torch.batch_norm(" + x() + ", " + in.get(1) + ", " + in.get(2) + ", " + in.get(3) + ", " + in.get(4)
          + ", False, 0.10000000000000001, " + pyFloat(bn.epsilon()) + ", True)";
    }

    @Override
    public String relu(Op.Relu op) {
      return "torch.relu(" + x() + ")";
    }

    @Override
    public String clip(Op.Clip c) {
      return "torch.clamp(" + x() + ", " + bound(c.min()) + ", " + bound(c.max()) + ")";
    }

    @Override
    public String add(Op.Add op) {
      return "torch.add(" + x() + ", " + in.get(1) + ")";
    }

    @Override
    public String mul(Op.Mul op) {
      return "torch.mul(" + x() + ", " + in.get(1) + ")";
    }

    @Override
    public String maxPool(Op.MaxPool p) {
      return TorchScriptTranslator.this.maxPool(n, p, x(), pre, names);
    }

    @Override
    public String averagePool(Op.AveragePool p) {
      return TorchScriptTranslator.this.averagePool(n, p, x(), pre, names);
    }

    @Override
    public String globalAveragePool(Op.GlobalAveragePool op) {
      int rank = rankOf(n, 0);
      if (rank == 4) {
        return "torch.adaptive_avg_pool2d(" + x() + ", [1, 1])";
      }
      int[] dims = new int[rank - 2];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = i + 2;
      }
      return "torch.mean(" + x() + ", " + list(dims) + ", True)";
    }

    @Override
    public String flatten(Op.Flatten f) {
      int rank = rankOf(n, 0);
      int axis = f.axis() < 0 ? f.axis() + rank : f.axis();
      if (axis == 0) {
        return "torch.reshape(" + x() + ", [1, -1])";
      }
      if (axis == rank) {
        return "torch.reshape(" + x() + ", [-1, 1])";
      }
      String inner = "torch.flatten(" + x() + ", " + axis + ", -1)";
      return axis == 1 ? inner : "torch.flatten(" + inner + ", 0, " + (axis - 1) + ")";
    }

    @Override
    public String reshape(Op.Reshape r) {
      List<String> dims = new ArrayList<>();
      for (int i = 0; i < r.shape().length(); i++) {
        int d = r.shape().get(i);
        dims.add(d == 0 ? "torch.size(" + x() + ", " + i + ")" : Integer.toString(d));
      }
      return "torch.reshape(" + x() + ", [" + String.join(", ", dims) + "])";
    }

    @Override
    public String gemm(Op.Gemm gemm) {
      return TorchScriptTranslator.gemm(gemm, in, transposedSlots);
    }

    @Override
    public String matMul(Op.MatMul op) {
      return "torch.matmul(" + x() + ", " + in.get(1) + ")";
    }

    @Override
    public String softmax(Op.Softmax s) {
      return "torch.softmax(" + x() + ", " + s.axis() + ")";
    }

    @Override
    public String concat(Op.Concat c) {
      return "torch.cat([" + String.join(", ", in) + "], " + c.axis() + ")";
    }

    @Override
    public String transpose(Op.Transpose t) {
      int[] perm = t.perm().toArray();
      if (perm.length == 0) {
        int rank = rankOf(n, 0);
        perm = new int[rank];
        for (int i = 0; i < rank; i++) {
          perm[i] = rank - 1 - i;
        }
      }
      return "torch.permute(" + x() + ", " + list(perm) + ")";
    }

    @Override
    public String quantizeLinear(Op.QuantizeLinear op) {
      throw new AssertionError("QuantizeLinear '" + n.name() + "' is translated before operators");
    }

    @Override
    public String dequantizeLinear(Op.DequantizeLinear op) {
      throw new AssertionError("DequantizeLinear '" + n.name() + "' is translated before operators");
    }

    @Override
    public String sigmoid(Op.Sigmoid op) {
      return "torch.sigmoid(" + x() + ")";
    }

    @Override
    public String sum(Op.Sum op) {
      String acc = x();
      for (int i = 1; i < in.size(); i++) {
        acc = "torch.add(" + acc + ", " + in.get(i) + ")";
      }
      return acc;
    }

    @Override
    public String hardSwish(Op.HardSwish op) {
      // x * relu6(x + 3) / 6, which is ONNX's x * max(0, min(1, x / 6 + 1/2))
      return "torch.hardswish(" + x() + ")";
    }

    @Override
    public String lrn(Op.Lrn op) {
      return TorchScriptTranslator.this.lrn(n, op, x(), pre, names);
    }

    @Override
    public String sub(Op.Sub op) {
      return "torch.sub(" + x() + ", " + in.get(1) + ")";
    }

    @Override
    public String div(Op.Div op) {
      return "torch.div(" + x() + ", " + in.get(1) + ")";
    }

    @Override
    public String tanh(Op.Tanh op) {
      return "torch.tanh(" + x() + ")";
    }

    @Override
    public String leakyRelu(Op.LeakyRelu op) {
      return "torch.where(torch.ge(" + x() + ", 0.), " + x() + ", torch.mul(" + x() + ", " + pyFloat(op.alpha()) + "))";
    }

    @Override
    public String hardSigmoid(Op.HardSigmoid op) {
      return "torch.clamp(torch.add(torch.mul(" + x() + ", " + pyFloat(op.alpha()) + "), " + pyFloat(op.beta())
          + "), 0., 1.)";
    }

    @Override
    public String pRelu(Op.PRelu op) {
      return "torch.where(torch.ge(" + x() + ", 0.), " + x() + ", torch.mul(" + x() + ", " + in.get(1) + "))";
    }

    @Override
    public String globalMaxPool(Op.GlobalMaxPool op) {
      int rank = rankOf(n, 0);
      int[] dims = new int[rank - 2];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = i + 2;
      }
      return "torch.amax(" + x() + ", " + list(dims) + ", True)";
    }

    @Override
    public String pad(Op.Pad op) {
      if (!op.mode().equals("constant")) {
        throw new UnsupportedOpException(n.name(), op.type(), "the pytorch backend translates constant Pad only");
      }
      // torch lists (begin, end) pairs from the last axis backwards.
      int r = op.pads().length() / 2;
      int[] p = new int[2 * r];
      for (int i = 0; i < r; i++) {
        p[2 * i] = op.pads().get(r - 1 - i);
        p[2 * i + 1] = op.pads().get(2 * r - 1 - i);
      }
      return "torch.constant_pad_nd(" + x() + ", " + list(p) + ", " + pyFloat(op.value()) + ")";
    }

    /** Python slicing with the bounds resolved on the known axis sizes; torch has no negative steps. */
    @Override
    public String slice(Op.Slice op) {
      Shape s = shape(n.input(0));
      int rank = rankOf(n, 0);
      String[] idx = new String[rank];
      java.util.Arrays.fill(idx, ":");
      for (int i = 0; i < op.axes().length(); i++) {
        int a = op.axes().get(i) < 0 ? op.axes().get(i) + rank : op.axes().get(i);
        int step = op.steps().get(i);
        if (step < 0 || s.dim(a) == Shape.UNKNOWN) {
          throw new UnsupportedOpException(n.name(), op.type(), "the pytorch backend slices with positive steps along axes"
              + " of known size only");
        }
        int[] b = io.quantkit.ir.ShapeInference.sliceBounds(s.dim(a), op.starts().get(i), op.ends().get(i), step);
        idx[a] = b[0] + ":" + (b[0] + b[1] * step) + ":" + step;
      }
      return x() + "[" + String.join(", ", idx) + "]";
    }

    @Override
    public String reduceMean(Op.ReduceMean op) {
      int rank = rankOf(n, 0);
      int[] axes = op.axes().toArray();
      if (axes.length == 0) {
        axes = new int[rank];
        for (int i = 0; i < rank; i++) {
          axes[i] = i;
        }
      }
      return "torch.mean(" + x() + ", " + list(axes) + ", " + (op.keepDims() ? "True" : "False") + ")";
    }

    @Override
    public String resize(Op.Resize op) {
      throw new UnsupportedOpException(n.name(), op.type(), "the pytorch backend does not translate Resize yet");
    }
  }

  /**
   * ONNX LRN: x / (bias + alpha / size * sum over the channel window of x^2)^beta, the window
   * c - floor((size-1)/2) .. c + ceil((size-1)/2). The squares become [N, 1, C, rest, 1] so a
   * (size, 1, 1) average pool sums the window (zero padding at the channel ends, divisor size).
   */
  private String lrn(Node n, Op.Lrn op, String x, List<String> pre, PyNames names) {
    if (rankOf(n, 0) < 3) {
      throw new UnsupportedOpException(n.name(), op.type(), "LRN needs input [N, C, ...] of rank 3 or more");
    }
    int front = (op.size() - 1) / 2;
    int back = op.size() - 1 - front;
    String sq = names.fresh("squares");
    pre.add(sq + " = torch.reshape(torch.mul(" + x + ", " + x + "), [torch.size(" + x + ", 0), 1, torch.size(" + x
        + ", 1), -1, 1])");
    String avg = names.fresh("window_mean");
    pre.add(avg + " = torch.avg_pool3d(torch.constant_pad_nd(" + sq + ", [0, 0, 0, 0, " + front + ", " + back + "], 0.), ["
        + op.size() + ", 1, 1], [1, 1, 1], [0, 0, 0], False, True, None)");
    return "torch.div(" + x + ", torch.pow(torch.add(torch.mul(torch.reshape(" + avg + ", torch.size(" + x + ")), "
        + pyFloat(op.alpha()) + "), " + pyFloat(op.bias()) + "), " + pyFloat(op.beta()) + "))";
  }

  private String conv(Node n, Op.Conv c, List<String> in, List<String> pre, PyNames names) {
    int rank = c.kernel().length();
    if (rank < 1 || rank > 3) {
      throw new UnsupportedOpException(n.name(), "Conv", rank + "-D convolution");
    }
    Padding.Explicit pads = resolve(n, c.padding(), c.kernel(), c.strides(), c.dilations());
    String x = in.get(0);
    String padding;
    if (pads.begins().equals(pads.ends())) {
      padding = list(pads.begins());
    } else {
      String t = names.fresh("x_padded");
      pre.add(t + " = torch.constant_pad_nd(" + x + ", " + padList(pads) + ", 0.)");
      x = t;
      padding = list(new int[rank]);
    }
    return "torch.conv" + rank + "d(" + x + ", " + in.get(1) + ", " + (in.size() > 2 ? in.get(2) : "None") + ", "
        + list(c.strides()) + ", " + padding + ", " + list(c.dilations()) + ", " + c.groups() + ")";
  }

  private String maxPool(Node n, Op.MaxPool p, String x, List<String> pre, PyNames names) {
    int rank = p.kernel().length();
    if (rank < 1 || rank > 3) {
      throw new UnsupportedOpException(n.name(), "MaxPool", rank + "-D pooling");
    }
    Padding.Explicit pads = resolve(n, p.padding(), p.kernel(), p.strides(), p.dilations());
    String padding;
    if (pads.begins().equals(pads.ends())) {
      padding = list(pads.begins());
    } else {
      String t = names.fresh("x_padded");
      // the lowest float: padded cells never win a max
      pre.add(t + " = torch.constant_pad_nd(" + x + ", " + padList(pads) + ", -3.4028234663852886e+38)");
      x = t;
      padding = list(new int[rank]);
    }
    return "torch.max_pool" + rank + "d(" + x + ", " + list(p.kernel()) + ", " + list(p.strides()) + ", " + padding + ", "
        + list(p.dilations()) + ", " + pyBool(p.ceilMode()) + ")";
  }

  private String averagePool(Node n, Op.AveragePool p, String x, List<String> pre, PyNames names) {
    int rank = p.kernel().length();
    if (rank < 1 || rank > 3) {
      throw new UnsupportedOpException(n.name(), "AveragePool", rank + "-D pooling");
    }
    Padding.Explicit pads = resolve(n, p.padding(), p.kernel(), p.strides(), ones(rank));
    String k = list(p.kernel());
    String s = list(p.strides());
    String ceil = pyBool(p.ceilMode());
    if (pads.begins().equals(pads.ends())) {
      String tail = rank == 1 ? ")" : ", None)";
      return "torch.avg_pool" + rank + "d(" + x + ", " + k + ", " + s + ", " + list(pads.begins()) + ", " + ceil + ", "
          + pyBool(p.countIncludePad()) + tail;
    }
    if (rank == 1) {
      throw new UnsupportedOpException(n.name(), "AveragePool", "asymmetric padding of a 1-D average pool");
    }
    String zeros = list(new int[rank]);
    String padded = names.fresh("x_padded");
    pre.add(padded + " = torch.constant_pad_nd(" + x + ", " + padList(pads) + ", 0.)");
    if (p.countIncludePad()) {
      return "torch.avg_pool" + rank + "d(" + padded + ", " + k + ", " + s + ", " + zeros + ", " + ceil + ", True, None)";
    }
    // the window sums divided by how many real (unpadded) cells each window covers
    String sums = names.fresh("sums");
    String counts = names.fresh("counts");
    pre.add(sums + " = torch.avg_pool" + rank + "d(" + padded + ", " + k + ", " + s + ", " + zeros + ", " + ceil + ", True, 1)");
    pre.add(counts + " = torch.avg_pool" + rank + "d(torch.constant_pad_nd(torch.ones_like(" + x + "), " + padList(pads)
        + ", 0.), " + k + ", " + s + ", " + zeros + ", " + ceil + ", True, 1)");
    return "torch.div(" + sums + ", " + counts + ")";
  }

  private static String gemm(Op.Gemm gemm, List<String> in, List<Integer> transposedSlots) {
    String a = in.get(0);
    String b = in.get(1);
    String c = in.size() > 2 ? in.get(2) : "None";
    if (linearLike(gemm) && (gemm.transB() || transposedSlots.contains(1))) {
      // B already holds [N, K]: torch.linear computes A B^T + C
      return "torch.linear(" + a + ", " + b + ", " + c + ")";
    }
    String ta = gemm.transA() ? "torch.t(" + a + ")" : a;
    String tb = gemm.transB() ? "torch.t(" + b + ")" : b;
    String y = "torch.matmul(" + ta + ", " + tb + ")";
    if (gemm.alpha() != 1f) {
      y = "torch.mul(" + y + ", " + pyFloat(gemm.alpha()) + ")";
    }
    if (!c.equals("None")) {
      String cc = gemm.beta() != 1f ? "torch.mul(" + c + ", " + pyFloat(gemm.beta()) + ")" : c;
      y = "torch.add(" + y + ", " + cc + ")";
    }
    return y;
  }

  private static Tensor transpose2d(Tensor t) {
    int rows = t.shape().dim(0);
    int cols = t.shape().dim(1);
    float[] v = t.toFloatArray();
    float[] out = new float[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = v[r * cols + c];
      }
    }
    return Tensor.wrapFloats(Shape.of(cols, rows), out);
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private Val value(String tensor) {
    Val v = values.get(tensor);
    if (v == null) {
      throw new GraphException("graph " + g.name() + ": tensor '" + tensor + "' is read before it is computed");
    }
    return v;
  }

  private Tensor constant(Node n, String name) {
    if (value(name) instanceof Const c) {
      return c.value();
    }
    throw new UnsupportedOpException(n.name(), n.op().type(), "'" + name + "' must be a constant");
  }

  /** The float tensor behind {@code v} as an expression of the root forward (dequantizing once). */
  private String floatOf(Val v, Node user) {
    if (v instanceof Plain p) {
      return p.var();
    } else if (v instanceof Dq d) {
      return materialized.computeIfAbsent(d.src().var(), q -> {
        String var = vars.fresh(q + "_dequantized");
        let(var, "torch.dequantize(" + q + ")");
        return var;
      });
    } else if (v instanceof Quant q) {
      throw new UnsupportedOpException(user.name(), user.op().type(), "reads quantized tensor " + q.var()
          + " without a DequantizeLinear");
    }
    throw new UnsupportedOpException(user.name(), user.op().type(), "constant input in an unexpected position");
  }

  /** A graph output as a float tensor (or the raw integers of a quantized output). */
  private String output(String name) {
    Val v = value(name);
    if (v instanceof Quant q) {
      DataType type = g.nodes().stream().filter(n -> n.outputs().contains(name)).findFirst()
          .map(n -> n.input(2).isEmpty() ? DataType.UINT8 : constantType(n.input(2))).orElse(DataType.UINT8);
      return type == DataType.INT8
          ? "torch.to(torch.sub(torch.to(torch.int_repr(" + q.var() + "), 3), 128), 1)"
          : "torch.int_repr(" + q.var() + ")";
    }
    if (v instanceof Const || v instanceof ConstDq) {
      throw new UnsupportedOpException(name, "Output", "graph output '" + name + "' is a constant");
    }
    return floatOf(v, g.producer(name).orElseThrow());
  }

  private DataType constantType(String name) {
    return values.get(name) instanceof Const c ? c.value().type() : DataType.UINT8;
  }

  private void let(String var, String expr) {
    body.add(var + " = " + expr);
  }

  private void count(String kernel) {
    kernels.merge(kernel, 1, Integer::sum);
  }

  private Shape shape(String tensor) {
    ValueInfo vi = infos.get(tensor);
    return vi == null ? null : vi.shape();
  }

  private int rankOf(Node n, int slot) {
    Shape s = shape(n.input(slot));
    if (s == null) {
      throw new UnsupportedOpException(n.name(), n.op().type(), "the rank of input '" + n.input(slot) + "' is unknown");
    }
    return s.rank();
  }

  /** Spatial dimensions of an NC... tensor, or null when any is unknown. */
  private int[] spatial(String tensor) {
    Shape s = shape(tensor);
    if (s == null || s.rank() < 3) {
      return null;
    }
    int[] out = new int[s.rank() - 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.dim(i + 2);
      if (out[i] == Shape.UNKNOWN) {
        return null;
      }
    }
    return out;
  }

  private Padding.Explicit resolve(Node n, Padding p, ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations) {
    if (p instanceof Padding.Explicit e) {
      return e;
    }
    if (p instanceof Padding.Valid) {
      return Padding.Explicit.zeros(kernel.length());
    }
    int[] sp = spatial(n.input(0));
    if (sp == null) {
      throw new UnsupportedOpException(n.name(), n.op().type(), "'same' padding needs the spatial size of input '"
          + n.input(0) + "', which is unknown");
    }
    return p.resolve(sp, kernel, strides, dilations);
  }

  private static ImmutableIntArray ones(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, 1);
    return ImmutableIntArray.copyOf(a);
  }

  private static int normAxis(int axis, int rank) {
    return axis < 0 ? axis + rank : axis;
  }

  private static String methodHeader(TorchModule m, String name, List<String> params, String returns) {
    StringBuilder sb = new StringBuilder("  def ").append(name).append("(self: ").append(m.qualifiedName());
    for (String p : params) {
      sb.append(",\n    ").append(p);
    }
    return sb.append(") -> ").append(returns).append(":\n").toString();
  }

  /** torch.constant_pad_nd's pad list: last spatial axis first, (begin, end) each. */
  private static String padList(Padding.Explicit pads) {
    int n = pads.begins().length();
    int[] out = new int[2 * n];
    for (int i = 0; i < n; i++) {
      int axis = n - 1 - i;
      out[2 * i] = pads.begins().get(axis);
      out[2 * i + 1] = pads.ends().get(axis);
    }
    return list(out);
  }

  static String list(ImmutableIntArray a) {
    return list(a.toArray());
  }

  static String list(int[] a) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < a.length; i++) {
      sb.append(i > 0 ? ", " : "").append(a[i]);
    }
    return sb.append(']').toString();
  }

  /** A Python float literal holding exactly {@code v}. */
  static String pyFloat(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("no literal for " + v);
    }
    return Double.toString(v).replace('E', 'e');
  }

  private static String pyFloat(float v) {
    return pyFloat((double) v);
  }

  private static String bound(float v) {
    return Float.isInfinite(v) ? "None" : pyFloat(v);
  }

  private static String pyBool(boolean b) {
    return b ? "True" : "False";
  }
}
