package io.quantkit.quant;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.GraphException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
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
 * Where quantization goes in a (BatchNorm-folded) graph: the single decision shared by
 * {@link Calibration} (which tensors to observe) and {@link Qdq} (where to insert Q/DQ), so the
 * two always agree on tensor names.
 *
 * <p>Roles of nodes, after ReLU folding:
 * <ul>
 *   <li>WEIGHTED — Conv, Gemm, MatMul with a constant second input: activation input through
 *       Q/DQ, INT8 weight + DQ, INT32 bias + DQ. Conv's output is always quantized (QLinearConv
 *       needs it); Gemm/MatMul's only when a consumer reads it quantized (QGemm and
 *       MatMulIntegerToFloat can output FP32, so logits feeding a FP32 Softmax stay exact).
 *   <li>ELEMENTWISE — Add, Mul, Concat, AveragePool, GlobalAveragePool, Sigmoid, LeakyRelu, MatMul of two
 *       activations, and ReLU/Clip that could not be folded but follow a quantized op: every
 *       input and the output quantized, the output with its own calibrated range.
 *   <li>PASSTHROUGH — MaxPool, GlobalMaxPool, Flatten, Reshape, Transpose, Slice, nearest Resize: quantized when their input is
 *       quantized anyway or a quantized op reads their output; the output then shares the
 *       input's scale and zero point, so ONNX Runtime drops the Q/DQ pair and moves bytes.
 *   <li>FLOAT — everything else (Softmax by design, BatchNorm that could not be folded, ops
 *       without an ONNX Runtime integer kernel such as Sum, LRN and HardSwish, convolutions whose
 *       ONNX Runtime integer kernel is wrong ({@link #integerConvProblem}), excluded nodes).
 * </ul>
 */
final class QdqPlacement {
  enum Role {
    WEIGHTED,
    ELEMENTWISE,
    PASSTHROUGH,
    FLOAT
  }

  /** The graph after ReLU folding; Q/DQ go into this one. */
  final Graph graph;
  /** Names of ReLU/Clip nodes folded into their producer (their output names live on). */
  final ImmutableList<String> foldedActivations;
  /**
   * Output tensors of the folded ReLU/Clip nodes, to the upper clip bound (infinity for ReLU): their
   * quantization must represent exactly [0, at most that bound].
   */
  final ImmutableMap<String, Float> foldedOutputs;
  /** Role of every node of {@link #graph} (PASSTHROUGH only when actually quantized). */
  final ImmutableMap<String, Role> roles;
  /** Every activation tensor that gets a QuantizeLinear, to the tensor whose parameters it uses. */
  final ImmutableMap<String, String> quantized;
  /** FP32 nodes and why. */
  final ImmutableMap<String, String> floatNodes;
  final ImmutableList<String> warnings;

  private QdqPlacement(Graph graph, List<String> folded, Map<String, Float> foldedOutputs, Map<String, Role> roles,
      Map<String, String> quantized, Map<String, String> floatNodes, List<String> warnings) {
    this.graph = graph;
    this.foldedActivations = ImmutableList.copyOf(folded);
    this.foldedOutputs = ImmutableMap.copyOf(foldedOutputs);
    this.roles = ImmutableMap.copyOf(roles);
    this.quantized = ImmutableMap.copyOf(quantized);
    this.floatNodes = ImmutableMap.copyOf(floatNodes);
    this.warnings = ImmutableList.copyOf(warnings);
  }

  /** Tensors whose parameters come from calibration (the rest copy another tensor's). */
  List<String> calibratedTensors() {
    List<String> out = new ArrayList<>();
    quantized.forEach((t, src) -> {
      if (t.equals(src)) {
        out.add(t);
      }
    });
    return out;
  }

  boolean isGraphInput(String tensor) {
    return graph.inputs().stream().anyMatch(v -> v.name().equals(tensor));
  }

  /** The tensor {@code t}'s parameters come from, following passthrough chains. */
  String source(String t) {
    return quantized.getOrDefault(t, t);
  }

  static QdqPlacement of(Graph folded, QuantOptions options) {
    for (Node n : folded.nodes()) {
      if (n.op() instanceof Op.QuantizeLinear || n.op() instanceof Op.DequantizeLinear) {
        throw new GraphException("graph " + folded.name() + " already contains " + n.op().type() + " node '" + n.name()
            + "'; quantize the FP32 graph");
      }
    }
    List<String> warnings = new ArrayList<>();
    Map<String, String> floatNodes = new LinkedHashMap<>();
    Map<String, Role> base = baseRoles(folded, options, floatNodes, warnings);
    List<String> folds = new ArrayList<>();
    Map<String, Float> foldedOutputs = new LinkedHashMap<>();
    Graph g = options.symmetricActivations() ? folded : foldActivations(folded, base, options, folds, foldedOutputs);
    if (!folds.isEmpty()) {
      // roles are by node name; folded nodes disappear, their producers keep their role
      folds.forEach(base::remove);
    }
    Map<String, Role> roles = new LinkedHashMap<>();
    Set<String> mandatory = new HashSet<>(); // tensors quantized whatever their consumers do
    Map<String, Boolean> wants = wantsQuantizedInput(g, base);
    for (Node n : g.nodes()) {
      Role r = base.get(n.name());
      String in = n.input(0);
      boolean inputQuantized = mandatory.contains(in);
      if (r == Role.PASSTHROUGH) {
        r = inputQuantized || wants.get(n.name()) ? Role.PASSTHROUGH : Role.FLOAT;
      } else if (r == null) { // ReLU/Clip not folded
        r = inputQuantized || producedByQuantized(g, in, roles) ? Role.ELEMENTWISE : Role.FLOAT;
      }
      if (r == Role.FLOAT && !floatNodes.containsKey(n.name())) {
        floatNodes.put(n.name(), n.op() instanceof Op.Relu || n.op() instanceof Op.Clip
            ? "input is not quantized" : "input is not quantized and no quantized op reads the output");
      }
      roles.put(n.name(), r);
      if (r == Role.ELEMENTWISE || r == Role.PASSTHROUGH || (r == Role.WEIGHTED && n.op() instanceof Op.Conv)) {
        mandatory.add(n.output());
      }
    }
    // Quantized tensors: inputs of quantized nodes, mandatory outputs; passthrough outputs copy.
    Map<String, String> quantized = new LinkedHashMap<>();
    for (ValueInfo in : g.inputs()) {
      if (in.type() == DataType.FLOAT32 && g.consumers(in.name()).stream().anyMatch(c -> roles.get(c.name()) != Role.FLOAT)) {
        quantized.put(in.name(), in.name());
      }
    }
    for (Node n : g.nodes()) {
      Role r = roles.get(n.name());
      if (r == Role.FLOAT) {
        continue;
      }
      for (int i : activationSlots(g, n, r)) {
        quantized.putIfAbsent(n.input(i), n.input(i));
      }
      if (r == Role.PASSTHROUGH) {
        quantized.put(n.output(), quantized.get(n.input(0)));
      } else if (mandatory.contains(n.output())) {
        quantized.putIfAbsent(n.output(), n.output());
      }
    }
    // Gemm/MatMul outputs come in through their consumers; order everything by graph position.
    Map<String, String> ordered = new LinkedHashMap<>();
    for (ValueInfo in : g.inputs()) {
      if (quantized.containsKey(in.name())) {
        ordered.put(in.name(), quantized.get(in.name()));
      }
    }
    for (Node n : g.nodes()) {
      for (String o : n.outputs()) {
        if (quantized.containsKey(o)) {
          ordered.put(o, quantized.get(o));
        }
      }
    }
    return new QdqPlacement(g, folds, foldedOutputs, roles, ordered, floatNodes, warnings);
  }

  /** Input slots of {@code n} that carry activations to quantize (not weights, biases or constants). */
  static List<Integer> activationSlots(Graph g, Node n, Role r) {
    List<Integer> slots = new ArrayList<>();
    if (r == Role.WEIGHTED) {
      slots.add(0);
      return slots;
    }
    for (int i = 0; i < n.inputs().size(); i++) {
      String t = n.input(i);
      if (!t.isEmpty() && !g.isInitializer(t)) {
        slots.add(i);
      }
    }
    return slots;
  }

  private static boolean producedByQuantized(Graph g, String tensor, Map<String, Role> roles) {
    Optional<Node> p = g.producer(tensor);
    return p.isPresent() && roles.getOrDefault(p.get().name(), Role.FLOAT) != Role.FLOAT;
  }

  /**
   * Roles decided by each node alone; ReLU/Clip get null (decided from their producer), passthrough
   * ops PASSTHROUGH (may still turn FLOAT).
   */
  private static Map<String, Role> baseRoles(Graph g, QuantOptions o, Map<String, String> floatNodes,
      List<String> warnings) {
    Map<String, Role> roles = new HashMap<>();
    for (Node n : g.nodes()) {
      BaseRole base = n.op().accept(new BaseRoles(g, n));
      Role r = base.role();
      String why = base.why();
      if (base.note() != null) {
        floatNodes.put(n.name(), base.note());
      }
      if (r != Role.FLOAT && o.excludes(n)) {
        r = Role.FLOAT;
        why = "excluded by option";
      }
      if (why != null) {
        floatNodes.put(n.name(), why);
        warnings.add(n.op().type() + " '" + n.name() + "' kept FP32: " + why);
      }
      if (r != null) { // ReLU/Clip: decided once their producer's role is known
        roles.put(n.name(), r);
      }
    }
    return roles;
  }

  /**
   * A node's role from its op alone, with the reason when it stays FP32: {@code why} is reported
   * as a warning, {@code note} only recorded (a design choice, not a problem).
   */
  private record BaseRole(Role role, String why, String note) {
    static BaseRole of(Role role) {
      return new BaseRole(role, null, null);
    }
  }

  /**
   * The per-op role table. An op it does not name stays FP32 with a warning ("no integer kernel"):
   * quantizing it would need an integer kernel in the backends, so FP32 is the safe default for
   * an op added to the IR, and this is the one dispatcher that may rely on a fallback.
   */
  private static final class BaseRoles extends Op.FallbackVisitor<BaseRole> {
    private final Graph g;
    private final Node n;

    BaseRoles(Graph g, Node n) {
      this.g = g;
      this.n = n;
    }

    @Override
    protected BaseRole fallback(Op op) {
      return new BaseRole(Role.FLOAT, "no integer kernel for " + op.type(), null);
    }

    private BaseRole weighted() {
      String why = weightProblem(g, n);
      return why == null ? BaseRole.of(Role.WEIGHTED) : new BaseRole(Role.FLOAT, why, null);
    }

    @Override
    public BaseRole conv(Op.Conv op) {
      BaseRole r = weighted();
      if (r.role() == Role.WEIGHTED) {
        String why = integerConvProblem(g.initializer(n.input(1)).orElseThrow().shape(), op.groups());
        if (why != null) {
          return new BaseRole(Role.FLOAT, why, null);
        }
      }
      return r;
    }

    @Override
    public BaseRole gemm(Op.Gemm op) {
      return weighted();
    }

    @Override
    public BaseRole matMul(Op.MatMul op) {
      return BaseRole.of(isFloatInit(g, n.input(1)) && !g.isInitializer(n.input(0)) ? Role.WEIGHTED : Role.ELEMENTWISE);
    }

    @Override
    public BaseRole add(Op.Add op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    @Override
    public BaseRole mul(Op.Mul op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    @Override
    public BaseRole concat(Op.Concat op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    @Override
    public BaseRole averagePool(Op.AveragePool op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    @Override
    public BaseRole globalAveragePool(Op.GlobalAveragePool op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    /** ONNX Runtime runs DequantizeLinear -> Sigmoid -> QuantizeLinear as QLinearSigmoid (a 256-entry table). */
    @Override
    public BaseRole sigmoid(Op.Sigmoid op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    @Override
    public BaseRole maxPool(Op.MaxPool op) {
      return BaseRole.of(Role.PASSTHROUGH);
    }

    /** ONNX Runtime runs DequantizeLinear -> LeakyRelu -> QuantizeLinear as QLinearLeakyRelu (a lookup table). */
    @Override
    public BaseRole leakyRelu(Op.LeakyRelu op) {
      return BaseRole.of(Role.ELEMENTWISE);
    }

    /** Maximum, slicing and nearest-neighbour resizing only select elements: the input's scale fits the output. */
    @Override
    public BaseRole globalMaxPool(Op.GlobalMaxPool op) {
      return BaseRole.of(Role.PASSTHROUGH);
    }

    @Override
    public BaseRole slice(Op.Slice op) {
      return BaseRole.of(Role.PASSTHROUGH);
    }

    @Override
    public BaseRole resize(Op.Resize op) {
      return op.mode().equals("nearest") ? BaseRole.of(Role.PASSTHROUGH)
          : new BaseRole(Role.FLOAT, "linear Resize is kept FP32 (only nearest Resize is quantized)", null);
    }

    @Override
    public BaseRole flatten(Op.Flatten op) {
      return BaseRole.of(Role.PASSTHROUGH);
    }

    @Override
    public BaseRole reshape(Op.Reshape op) {
      return BaseRole.of(Role.PASSTHROUGH);
    }

    @Override
    public BaseRole transpose(Op.Transpose op) {
      return BaseRole.of(Role.PASSTHROUGH);
    }

    /** ReLU/Clip: decided once their producer's role is known. */
    @Override
    public BaseRole relu(Op.Relu op) {
      return BaseRole.of(null);
    }

    @Override
    public BaseRole clip(Op.Clip op) {
      return BaseRole.of(null);
    }

    @Override
    public BaseRole softmax(Op.Softmax op) {
      return new BaseRole(Role.FLOAT, null, "Softmax is kept FP32 by design (exact probabilities, negligible cost)");
    }

    @Override
    public BaseRole batchNorm(Op.BatchNorm op) {
      return new BaseRole(Role.FLOAT, "BatchNormalization could not be folded into a preceding Conv", null);
    }
  }

  private static String weightProblem(Graph g, Node n) {
    if (!isFloatInit(g, n.input(1))) {
      return "its weight '" + n.input(1) + "' is not a constant FLOAT32 initializer";
    }
    if (g.isInitializer(n.input(0))) {
      return "its data input '" + n.input(0) + "' is a constant";
    }
    if (!n.input(2).isEmpty() && !isFloatInit(g, n.input(2))) {
      return "its bias '" + n.input(2) + "' is not a constant FLOAT32 initializer";
    }
    return null;
  }

  /**
   * Convolution shapes whose fused integer kernel is wrong, not merely imprecise: ONNX Runtime 1.23's
   * QLinearConv on x86 (seen on an Intel Xeon with AVX-512 VNNI and AMX-INT8, UINT8 x INT8, per-channel and per-tensor weights alike)
   * writes saturated garbage into about 1 % of the outputs (in the channels past 16) when a group
   * has 17 to 31 output channels, unless the convolution is ungrouped and both channel counts are
   * multiples of 4. Measured with quantkit-onnx's {@code ConvIntegerKernelShapesTest}; ShuffleNet's 3 -> 24 stem and its grouped
   * 1x1 convolutions with 28 output channels per group took its logits from 33 dB SQNR (exact QDQ
   * arithmetic) to 11 dB. 16, 32 or more output channels per group, and depthwise convolutions,
   * were exact. Such a convolution stays FP32; its neighbours stay INT8.
   */
  static String integerConvProblem(io.quantkit.tensor.Shape weight, int groups) {
    int out = weight.dim(0) / groups;
    int in = weight.dim(1);
    if (out <= 16 || out >= 32 || (groups == 1 && in % 4 == 0 && out % 4 == 0)) {
      return null;
    }
    return (groups == 1 ? in + " input and " + out + " output channels" : in + " input and " + out
        + " output channels per group (" + groups + " groups)") + ": ONNX Runtime's x86 integer convolution"
        + " computes wrong values for 17 to 31 output channels per group unless ungrouped with channel counts"
        + " that are multiples of 4";
  }

  static boolean isFloatInit(Graph g, String name) {
    return !name.isEmpty() && g.initializer(name).map(t -> t.type() == DataType.FLOAT32).orElse(false);
  }

  /**
   * For each passthrough node: does a quantized op read its output (directly or through more
   * passthrough nodes)? Then it is worth running it on 8-bit data even when its input is FP32.
   */
  private static Map<String, Boolean> wantsQuantizedInput(Graph g, Map<String, Role> base) {
    Map<String, Boolean> wants = new HashMap<>();
    List<Node> nodes = g.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      if (base.get(n.name()) != Role.PASSTHROUGH) {
        continue;
      }
      boolean w = false;
      for (Node c : g.consumers(n.output())) {
        Role r = base.get(c.name());
        if (r == Role.WEIGHTED || r == Role.ELEMENTWISE || (r == Role.PASSTHROUGH && wants.getOrDefault(c.name(), false))) {
          w = true;
        }
      }
      wants.put(n.name(), w);
    }
    return wants;
  }

  /**
   * Folds ReLU (and Clip with min 0) into the quantized op before it, as ONNX Runtime's tool does
   * with asymmetric activations: the producer writes the activation's output tensor directly and
   * its UINT8/INT8 quantization over [0, max] (zero point at qmin) clamps negatives exactly like
   * the ReLU. Only when the producer's output feeds nothing else and is not a graph output.
   */
  private static Graph foldActivations(Graph g, Map<String, Role> base, QuantOptions o, List<String> folds,
      Map<String, Float> foldedOutputs) {
    Map<String, String> newOutput = new HashMap<>(); // producer node -> tensor it now writes
    Set<String> dropped = new HashSet<>();
    for (Node n : g.nodes()) {
      boolean relu = n.op() instanceof Op.Relu;
      boolean clip0 = n.op() instanceof Op.Clip && ((Op.Clip) n.op()).min() == 0f && ((Op.Clip) n.op()).max() > 0f;
      if (!(relu || clip0) || o.excludes(n)) {
        continue;
      }
      String in = n.input(0);
      Optional<Node> p = g.producer(in);
      if (p.isEmpty() || g.consumers(in).size() != 1 || g.outputs().contains(in)) {
        continue;
      }
      Node producer = p.get();
      // a ReLU after a folded ReLU folds into the same producer
      while (dropped.contains(producer.name())) {
        producer = g.producer(producer.input(0)).orElseThrow();
      }
      Role r = base.get(producer.name());
      if (r != Role.WEIGHTED && r != Role.ELEMENTWISE) {
        continue;
      }
      float bound = relu ? Float.POSITIVE_INFINITY : ((Op.Clip) n.op()).max();
      String previous = newOutput.put(producer.name(), n.output());
      if (previous != null) {
        bound = Math.min(bound, foldedOutputs.remove(previous));
      }
      foldedOutputs.put(n.output(), bound);
      dropped.add(n.name());
      folds.add(n.name());
    }
    if (folds.isEmpty()) {
      return g;
    }
    Graph.Builder b = g.toBuilder().clearNodes();
    for (Node n : g.nodes()) {
      if (dropped.contains(n.name())) {
        continue;
      }
      String out = newOutput.get(n.name());
      b.node(out == null ? n : Node.of(n.name(), n.op(), n.inputs(), List.of(out)));
    }
    return b.build();
  }

  /** The weight tensor's per-channel axis for a WEIGHTED node, or -1 when per channel makes no sense. */
  static int weightAxis(Graph g, Node n) {
    Tensor w = g.initializer(n.input(1)).orElseThrow();
    int rank = w.shape().rank();
    if (n.op() instanceof Op.Conv) {
      return 0; // OIHW: output channels
    }
    if (n.op() instanceof Op.Gemm) {
      return ((Op.Gemm) n.op()).transB() ? 0 : 1; // B is [N, K] when transposed, else [K, N]
    }
    return rank == 2 ? 1 : -1; // MatMul [K, N]: output columns
  }

  /** Whether the bias input of a WEIGHTED node can be INT32 (ONNX Runtime fuses only then). */
  static String biasProblem(Graph g, Node n, int outputChannels) {
    String bias = n.input(2);
    if (bias.isEmpty() || n.op() instanceof Op.MatMul) {
      return null;
    }
    Tensor b = g.initializer(bias).orElseThrow();
    if (b.size() != outputChannels || (b.shape().rank() > 1 && b.shape().dim(-1) != outputChannels)) {
      return "its bias has shape " + b.shape() + ", not [" + outputChannels + "]";
    }
    if (n.op() instanceof Op.Gemm) {
      Op.Gemm gemm = (Op.Gemm) n.op();
      if (gemm.alpha() != 1f || gemm.beta() != 1f) {
        return "alpha/beta are " + gemm.alpha() + "/" + gemm.beta() + ", not 1";
      }
    }
    return null;
  }
}
