package io.quantkit.onnx;

import com.google.common.collect.ImmutableSet;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.GraphException;
import io.quantkit.ModelFormatException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.OperatorSetIdProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.onnx.proto.Onnx.TensorShapeProto;
import io.quantkit.onnx.proto.Onnx.TypeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX ModelProto to IR graph. Reads the operator forms of opsets 1 to 21 for the ops the IR has,
 * folds Constant nodes into initializers and wires Identity/Dropout through.
 */
final class OnnxImporter {
  private static final Set<String> POOL_ATTRS = ImmutableSet.of("auto_pad", "kernel_shape", "pads", "strides");

  private final ModelProto model;
  private final String where;
  private final Path modelDir;
  private int opset;

  private final Map<String, Tensor> constants = new LinkedHashMap<>();
  private final Map<String, TypeShape> known = new HashMap<>();
  private final Map<String, String> alias = new HashMap<>();
  private final List<Node> nodes = new ArrayList<>();
  private final Set<String> taken = new HashSet<>();
  private final Set<String> consumed = new HashSet<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final Set<String> nodeNames = new HashSet<>();

  private OnnxImporter(ModelProto model, String where, Path modelDir) {
    this.model = model;
    this.where = where;
    this.modelDir = modelDir;
  }

  static Graph convert(ModelProto model, String where, Path modelDir) {
    return new OnnxImporter(model, where, modelDir).run();
  }

  private Graph run() {
    if (!model.hasGraph()) {
      throw new ModelFormatException(where + " is not an ONNX model: it has no graph");
    }
    opset = defaultOpset();
    GraphProto g = model.getGraph();
    collectNames(g);

    for (TensorProto init : g.getInitializerList()) {
      if (init.getName().isEmpty()) {
        throw new ModelFormatException(where + ": an initializer has no name");
      }
      Tensor t = TensorCodec.decode(init, where, modelDir);
      constants.put(init.getName(), t);
      known.put(init.getName(), new TypeShape(t.type(), t.shape()));
    }
    Graph.Builder b = Graph.builder(g.getName().isEmpty() ? baseName() : g.getName());
    for (ValueInfoProto in : g.getInputList()) {
      // Before IR version 4 every initializer was also listed as an input.
      if (constants.containsKey(in.getName())) {
        continue;
      }
      ValueInfo vi = inputInfo(in);
      known.put(vi.name(), new TypeShape(vi.type(), vi.shape()));
      b.input(vi);
    }

    for (int i = 0; i < g.getNodeCount(); i++) {
      node(g.getNode(i), i);
    }

    List<String> outputs = outputs(g);
    for (Node n : nodes) {
      b.node(n);
    }
    outputs.forEach(b::output);
    constants.forEach(b::initializer);
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      b.metadata(e.getKey(), e.getValue());
    }
    b.metadata("source", where);
    b.metadata("format", "onnx");
    b.metadata("onnx.opset", String.valueOf(opset));
    if (!model.getProducerName().isEmpty()) {
      b.metadata("onnx.producer", (model.getProducerName() + " " + model.getProducerVersion()).trim());
    }
    try {
      Graph graph = b.build();
      // The project's shape inference is what backends rely on; a graph it rejects (element
      // types, ranks, channel counts) is refused here, with the file named, not at run time.
      ShapeInference.infer(graph);
      return graph;
    } catch (GraphException e) {
      throw new ModelFormatException(where + ": " + e.getMessage(), e);
    }
  }

  private String baseName() {
    String s = where;
    int slash = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
    return slash >= 0 ? s.substring(slash + 1) : s;
  }

  private int defaultOpset() {
    Long found = null;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        found = o.getVersion();
      }
    }
    if (found == null) {
      // IR versions 1 and 2 predate opset_import and mean opset 1.
      if (model.getIrVersion() < 3) {
        return 1;
      }
      throw new ModelFormatException(where + ": the model imports no version of the default ONNX operator set");
    }
    if (found < 1 || found > 10_000) {
      throw new ModelFormatException(where + ": invalid opset version " + found);
    }
    return found.intValue();
  }

  private void collectNames(GraphProto g) {
    for (ValueInfoProto v : g.getInputList()) {
      taken.add(v.getName());
    }
    for (TensorProto t : g.getInitializerList()) {
      taken.add(t.getName());
    }
    for (NodeProto n : g.getNodeList()) {
      taken.add(n.getName());
      taken.addAll(n.getInputList());
      taken.addAll(n.getOutputList());
      consumed.addAll(n.getInputList());
    }
    for (ValueInfoProto v : g.getOutputList()) {
      taken.add(v.getName());
      consumed.add(v.getName());
      graphOutputs.add(v.getName());
    }
  }

  private String fresh(String base) {
    String name = base;
    for (int i = 1; taken.contains(name) || name.isEmpty(); i++) {
      name = base + "_" + i;
    }
    taken.add(name);
    return name;
  }

  private ValueInfo inputInfo(ValueInfoProto in) {
    String name = in.getName();
    if (name.isEmpty()) {
      throw new ModelFormatException(where + ": a graph input has no name");
    }
    if (!in.hasType() || !in.getType().hasTensorType()) {
      throw new ModelFormatException(where + ": graph input '" + name + "' is not a tensor (or has no type)");
    }
    TypeProto.Tensor t = in.getType().getTensorType();
    DataType type = OnnxTypes.require(t.getElemType(), name, where);
    if (!t.hasShape()) {
      throw new ModelFormatException(where + ": graph input '" + name + "' has no shape; quantkit needs at least its rank");
    }
    return new ValueInfo(name, type, shape(t.getShape(), name));
  }

  private Shape shape(TensorShapeProto s, String name) {
    int[] dims = new int[s.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      TensorShapeProto.Dimension d = s.getDim(i);
      if (d.hasDimValue()) {
        if (d.getDimValue() < 0 || d.getDimValue() > Integer.MAX_VALUE) {
          throw new ModelFormatException(where + ": tensor '" + name + "' has invalid dimension " + d.getDimValue());
        }
        dims[i] = (int) d.getDimValue();
      } else {
        dims[i] = Shape.UNKNOWN;
      }
    }
    return Shape.of(dims);
  }

  private String resolve(String name) {
    String n = name;
    while (alias.containsKey(n)) {
      n = alias.get(n);
    }
    return n;
  }

  /** Per-node context: the ONNX node, its IR name, and its inputs with aliases resolved. */
  private final class Ctx {
    final NodeProto proto;
    final String name;
    final String op;
    final Attrs attrs;
    final List<String> inputs = new ArrayList<>();

    Ctx(NodeProto proto, String name) {
      this.proto = proto;
      this.name = name;
      this.op = proto.getOpType();
      this.attrs = new Attrs(proto, name, where);
      for (String in : proto.getInputList()) {
        inputs.add(in.isEmpty() ? "" : resolve(in));
      }
    }

    String in(int i) {
      return i < inputs.size() ? inputs.get(i) : "";
    }

    String out(int i) {
      return i < proto.getOutputCount() ? proto.getOutput(i) : "";
    }

    UnsupportedOpException unsupported(String detail) {
      return new UnsupportedOpException(name, op, detail + " (opset " + opset + ", " + where + ")");
    }

    ModelFormatException malformed(String detail) {
      return new ModelFormatException(where + ": node '" + name + "' (" + op + "): " + detail);
    }

    void requireInputs(int min, int max) {
      int n = inputs.size();
      while (n > 0 && inputs.get(n - 1).isEmpty()) {
        n--;
      }
      if (n < min || inputs.size() > max) {
        throw malformed("has " + inputs.size() + " inputs, expected " + (min == max ? String.valueOf(min) : min + " to " + max));
      }
      for (int i = 0; i < min; i++) {
        if (inputs.get(i).isEmpty()) {
          throw malformed("required input " + i + " is empty");
        }
      }
    }

    /** Outputs after the first are optional extras (masks, indices, training statistics). */
    void requireUnusedExtraOutputs() {
      if (proto.getOutputCount() == 0 || proto.getOutput(0).isEmpty()) {
        throw malformed("has no output");
      }
      for (int i = 1; i < proto.getOutputCount(); i++) {
        String o = proto.getOutput(i);
        if (!o.isEmpty() && consumed.contains(o)) {
          throw unsupported("output " + i + " '" + o + "' is used, but quantkit computes only the first output");
        }
      }
    }

    DataType typeOf(int i) {
      TypeShape ts = known.get(in(i));
      return ts == null ? null : ts.type();
    }

    TypeShape shapeOf(int i) {
      return known.getOrDefault(in(i), TypeShape.UNKNOWN);
    }

    void expectType(int i, DataType... allowed) {
      if (in(i).isEmpty()) {
        return;
      }
      DataType t = typeOf(i);
      if (t != null && !Arrays.asList(allowed).contains(t)) {
        throw new ModelFormatException(where + ": node '" + name + "' (" + op + ") input " + i + " '" + in(i) + "' is " + t
            + ", expected " + (allowed.length == 1 ? allowed[0] : Arrays.toString(allowed)));
      }
    }

    Tensor constant(int i, String what) {
      Tensor t = constants.get(in(i));
      if (t == null) {
        throw unsupported(what + " (input " + i + " '" + in(i) + "') must be a constant initializer or Constant node");
      }
      return t;
    }
  }

  private void node(NodeProto p, int index) {
    String domain = p.getDomain();
    // ONNX does not require node names, nor unique ones; the IR does.
    String name = p.getName().isEmpty() || nodeNames.contains(p.getName()) ? fresh(p.getOpType() + "_" + index) : p.getName();
    nodeNames.add(name);
    Ctx c = new Ctx(p, name);
    if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
      throw c.unsupported("operator domain '" + domain + "' is not supported");
    }
    switch (p.getOpType()) {
      case "Conv": conv(c); break;
      case "BatchNormalization": batchNorm(c); break;
      case "Relu":
        c.attrs.allowOnly(Set.of("consumed_inputs"));
        c.requireInputs(1, 1);
        c.expectType(0, DataType.FLOAT32);
        emit(c, new Op.Relu(), List.of(c.in(0)));
        break;
      case "Clip": clip(c); break;
      case "Add": binary(c, new Op.Add()); break;
      case "Mul": binary(c, new Op.Mul()); break;
      case "MaxPool": maxPool(c); break;
      case "AveragePool": averagePool(c); break;
      case "GlobalAveragePool":
        c.attrs.allowOnly(Set.of());
        c.requireInputs(1, 1);
        c.expectType(0, DataType.FLOAT32);
        emit(c, new Op.GlobalAveragePool(), List.of(c.in(0)));
        break;
      case "Flatten":
        c.attrs.allowOnly(Set.of("axis"));
        c.requireInputs(1, 1);
        emit(c, new Op.Flatten(c.attrs.getIntExact("axis", 1)), List.of(c.in(0)));
        break;
      case "Reshape": reshape(c); break;
      case "Gemm": gemm(c); break;
      case "MatMul":
        c.attrs.allowOnly(Set.of());
        c.requireInputs(2, 2);
        c.expectType(0, DataType.FLOAT32);
        c.expectType(1, DataType.FLOAT32);
        emit(c, new Op.MatMul(), List.of(c.in(0), c.in(1)));
        break;
      case "Softmax": softmax(c); break;
      case "Concat": concat(c); break;
      case "Transpose": transpose(c); break;
      case "QuantizeLinear": quantize(c); break;
      case "DequantizeLinear": dequantize(c); break;
      case "Constant": constantNode(c); break;
      case "Identity":
        c.attrs.allowOnly(Set.of());
        c.requireInputs(1, 1);
        passThrough(c);
        break;
      case "Dropout": dropout(c); break;
      default:
        throw c.unsupported("not in quantkit's IR");
    }
  }


  /** Adds an IR node producing the ONNX node's first output and records its type and shape. */
  private void emit(Ctx c, Op op, List<String> inputs) {
    c.requireUnusedExtraOutputs();
    emit(c.name, op, inputs, c.out(0));
  }

  private void emit(String nodeName, Op op, List<String> inputs, String output) {
    nodeNames.add(nodeName);
    Node n = Node.of(nodeName, op, inputs, List.of(output));
    List<TypeShape> outs;
    try {
      outs = ShapeRules.outputs(n, name -> known.getOrDefault(name, TypeShape.UNKNOWN), constants::get);
    } catch (GraphException e) {
      throw new ModelFormatException(where + ": " + e.getMessage(), e);
    }
    known.put(output, outs.get(0));
    nodes.add(n);
  }

  private void passThrough(Ctx c) {
    c.requireUnusedExtraOutputs();
    alias.put(c.out(0), c.in(0));
    TypeShape ts = known.get(c.in(0));
    if (ts != null) {
      known.put(c.out(0), ts);
    }
  }

  // ---- ops ----

  private void conv(Ctx c) {
    c.attrs.allowOnly(Set.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"));
    c.requireInputs(2, 3);
    c.expectType(0, DataType.FLOAT32);
    c.expectType(1, DataType.FLOAT32);
    c.expectType(2, DataType.FLOAT32);
    int[] kernel = c.attrs.getInts("kernel_shape");
    if (kernel == null) {
      TypeShape w = c.shapeOf(1);
      if (!w.hasRank() || w.rank() < 3) {
        throw c.unsupported("no kernel_shape attribute and the weight's shape is unknown");
      }
      kernel = Arrays.copyOfRange(w.shape().toArray(), 2, w.rank());
      for (int k : kernel) {
        if (k == Shape.UNKNOWN) {
          throw c.unsupported("no kernel_shape attribute and the weight's shape " + w.shape() + " is not fully known");
        }
      }
    }
    int spatial = kernel.length;
    Padding padding = padding(c, spatial);
    int groups = c.attrs.getIntExact("group", 1);
    if (groups < 1) {
      throw c.malformed("group " + groups + " must be >= 1");
    }
    Op.Conv op = new Op.Conv(ImmutableIntArray.copyOf(kernel), spatialInts(c, "strides", spatial),
        spatialInts(c, "dilations", spatial), groups, padding);
    List<String> in = new ArrayList<>(List.of(c.in(0), c.in(1)));
    if (!c.in(2).isEmpty()) {
      in.add(c.in(2));
    }
    emit(c, op, in);
  }

  private ImmutableIntArray spatialInts(Ctx c, String attr, int spatial) {
    int[] v = c.attrs.getInts(attr);
    if (v == null) {
      return ShapeRules.ones(spatial);
    }
    if (v.length != spatial) {
      throw c.malformed(attr + " " + Arrays.toString(v) + " does not have " + spatial + " values (kernel rank)");
    }
    for (int x : v) {
      if (x < 1) {
        throw c.malformed(attr + " " + Arrays.toString(v) + " must be positive");
      }
    }
    return ImmutableIntArray.copyOf(v);
  }

  private Padding padding(Ctx c, int spatial) {
    String autoPad = c.attrs.getString("auto_pad", "NOTSET");
    switch (autoPad) {
      case "NOTSET":
      case "":
        long[] pads = c.attrs.getLongs("pads");
        if (pads == null) {
          return Padding.Explicit.zeros(spatial);
        }
        if (pads.length != 2 * spatial) {
          throw c.malformed("pads " + Arrays.toString(pads) + " does not have " + 2 * spatial + " values");
        }
        for (long p : pads) {
          if (p < 0 || p > Integer.MAX_VALUE) {
            throw c.malformed("pads " + Arrays.toString(pads) + " must be non-negative");
          }
        }
        return Padding.Explicit.fromOnnx(pads);
      case "SAME_UPPER":
        return new Padding.Same(true);
      case "SAME_LOWER":
        return new Padding.Same(false);
      case "VALID":
        return Padding.valid();
      default:
        throw c.malformed("invalid auto_pad '" + autoPad + "'");
    }
  }

  private int[] requiredKernel(Ctx c) {
    int[] kernel = c.attrs.getInts("kernel_shape");
    if (kernel == null || kernel.length == 0) {
      throw c.malformed("kernel_shape is required");
    }
    for (int k : kernel) {
      if (k < 1) {
        throw c.malformed("kernel_shape " + Arrays.toString(kernel) + " must be positive");
      }
    }
    return kernel;
  }

  private void batchNorm(Ctx c) {
    c.attrs.allowOnly(Set.of("epsilon", "momentum", "is_test", "spatial", "consumed_inputs", "training_mode"));
    c.requireInputs(5, 5);
    for (int i = 0; i < 5; i++) {
      c.expectType(i, DataType.FLOAT32);
    }
    if (c.attrs.getInt("spatial", 1) != 1) {
      throw c.unsupported("spatial=0 (per-activation statistics)");
    }
    if (c.attrs.getInt("training_mode", 0) != 0) {
      throw c.unsupported("training_mode=1");
    }
    emit(c, new Op.BatchNorm(c.attrs.getFloat("epsilon", 1e-5f)), c.inputs.subList(0, 5));
  }

  private void clip(Ctx c) {
    float min;
    float max;
    if (opset < 11) {
      c.attrs.allowOnly(Set.of("min", "max", "consumed_inputs"));
      c.requireInputs(1, 1);
      // Opset 6's defaults are the float range's ends, not infinities.
      min = c.attrs.getFloat("min", -Float.MAX_VALUE);
      max = c.attrs.getFloat("max", Float.MAX_VALUE);
    } else {
      c.attrs.allowOnly(Set.of());
      c.requireInputs(1, 3);
      min = c.in(1).isEmpty() ? Float.NEGATIVE_INFINITY : scalar(c, 1, "Clip min");
      max = c.in(2).isEmpty() ? Float.POSITIVE_INFINITY : scalar(c, 2, "Clip max");
    }
    c.expectType(0, DataType.FLOAT32);
    emit(c, new Op.Clip(min, max), List.of(c.in(0)));
  }

  private float scalar(Ctx c, int i, String what) {
    Tensor t = c.constant(i, what);
    if (t.size() != 1) {
      throw c.malformed(what + " '" + c.in(i) + "' has shape " + t.shape() + ", expected a scalar");
    }
    if (t.type() != DataType.FLOAT32) {
      throw c.malformed(what + " '" + c.in(i) + "' is " + t.type() + ", expected FLOAT32");
    }
    return t.getFloat(0);
  }

  private void binary(Ctx c, Op op) {
    Set<String> allowed = opset < 7 ? Set.of("broadcast", "axis", "consumed_inputs") : Set.of();
    c.attrs.allowOnly(allowed);
    c.requireInputs(2, 2);
    DataType a = c.typeOf(0);
    DataType b = c.typeOf(1);
    c.expectType(0, DataType.FLOAT32, DataType.INT32, DataType.INT64);
    c.expectType(1, DataType.FLOAT32, DataType.INT32, DataType.INT64);
    if (a != null && b != null && a != b) {
      throw new ModelFormatException(where + ": node '" + c.name + "' (" + c.op + ") adds/multiplies " + a + " '" + c.in(0) + "' and "
          + b + " '" + c.in(1) + "'; both inputs must have the same type");
    }
    String right = c.in(1);
    if (opset < 7 && c.attrs.getInt("broadcast", 0) == 1 && c.attrs.has("axis")) {
      right = legacyBroadcast(c);
    }
    emit(c, op, List.of(c.in(0), right));
  }

  /**
   * Opset 1-6 broadcasting aligns B with A starting at {@code axis} instead of at the end:
   * append size-1 axes to B so numpy broadcasting means the same.
   */
  private String legacyBroadcast(Ctx c) {
    TypeShape a = c.shapeOf(0);
    TypeShape b = c.shapeOf(1);
    if (!a.hasRank() || !b.hasRank()) {
      throw c.unsupported("legacy broadcast with axis needs the ranks of both inputs");
    }
    int axis = c.attrs.getIntExact("axis", 0);
    axis = axis < 0 ? axis + a.rank() : axis;
    int trailing = a.rank() - axis - b.rank();
    if (axis < 0 || trailing < 0) {
      throw c.malformed("broadcast axis " + c.attrs.getInt("axis", 0) + " does not fit shapes " + a.shape() + " and " + b.shape());
    }
    if (trailing == 0) {
      return c.in(1);
    }
    int[] target = new int[b.rank() + trailing];
    Arrays.fill(target, 1);
    Tensor constant = constants.get(c.in(1));
    if (constant != null) {
      System.arraycopy(constant.shape().toArray(), 0, target, 0, b.rank());
      String name = fresh(c.in(1) + "_aligned");
      Tensor reshaped = constant.reshape(Shape.of(target));
      constants.put(name, reshaped);
      known.put(name, new TypeShape(reshaped.type(), reshaped.shape()));
      return name;
    }
    // 0 copies B's own dimension, so unknown sizes are fine.
    Arrays.fill(target, 0, b.rank(), 0);
    String name = fresh(c.in(1) + "_aligned");
    emit(fresh(c.name + "_align"), new Op.Reshape(ImmutableIntArray.copyOf(target)), List.of(c.in(1)), name);
    return name;
  }

  private void maxPool(Ctx c) {
    c.attrs.allowOnly(ImmutableSet.<String>builder().addAll(POOL_ATTRS).add("ceil_mode", "dilations", "storage_order").build());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32, DataType.INT8, DataType.UINT8);
    int[] kernel = requiredKernel(c);
    int spatial = kernel.length;
    Op.MaxPool op = new Op.MaxPool(ImmutableIntArray.copyOf(kernel), spatialInts(c, "strides", spatial),
        spatialInts(c, "dilations", spatial), padding(c, spatial), c.attrs.getInt("ceil_mode", 0) != 0);
    emit(c, op, List.of(c.in(0)));
  }

  private void averagePool(Ctx c) {
    c.attrs.allowOnly(ImmutableSet.<String>builder().addAll(POOL_ATTRS).add("ceil_mode", "count_include_pad", "dilations").build());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    int[] kernel = requiredKernel(c);
    int spatial = kernel.length;
    ImmutableIntArray dilations = spatialInts(c, "dilations", spatial);
    if (!dilations.equals(ShapeRules.ones(spatial))) {
      throw c.unsupported("dilated average pooling " + dilations);
    }
    Op.AveragePool op = new Op.AveragePool(ImmutableIntArray.copyOf(kernel), spatialInts(c, "strides", spatial), padding(c, spatial),
        c.attrs.getInt("count_include_pad", 0) != 0, c.attrs.getInt("ceil_mode", 0) != 0);
    emit(c, op, List.of(c.in(0)));
  }

  private void reshape(Ctx c) {
    long[] target;
    if (opset < 5) {
      c.attrs.allowOnly(Set.of("shape", "consumed_inputs"));
      c.requireInputs(1, 1);
      target = c.attrs.getLongs("shape");
      if (target == null) {
        throw c.malformed("shape attribute is required");
      }
    } else {
      c.attrs.allowOnly(Set.of("allowzero"));
      c.requireInputs(2, 2);
      Tensor t = c.constant(1, "the target shape");
      if (t.type() != DataType.INT64 || t.shape().rank() != 1) {
        throw c.malformed("target shape '" + c.in(1) + "' is " + t.type() + " " + t.shape() + ", expected a 1-D INT64 tensor");
      }
      target = t.toLongArray();
      if (c.attrs.getInt("allowzero", 0) != 0) {
        for (long v : target) {
          if (v == 0) {
            throw c.unsupported("allowzero=1 with a zero in the target shape");
          }
        }
      }
    }
    int[] shape = new int[target.length];
    for (int i = 0; i < target.length; i++) {
      if (target[i] < -1 || target[i] > Integer.MAX_VALUE) {
        throw c.malformed("invalid target shape " + Arrays.toString(target));
      }
      shape[i] = (int) target[i];
    }
    emit(c, new Op.Reshape(ImmutableIntArray.copyOf(shape)), List.of(c.in(0)));
  }

  private void gemm(Ctx c) {
    c.attrs.allowOnly(opset < 7 ? Set.of("alpha", "beta", "transA", "transB", "broadcast") : Set.of("alpha", "beta", "transA", "transB"));
    c.requireInputs(opset < 11 ? 3 : 2, 3);
    for (int i = 0; i < 3; i++) {
      c.expectType(i, DataType.FLOAT32);
    }
    Op.Gemm op = new Op.Gemm(c.attrs.getFloat("alpha", 1f), c.attrs.getFloat("beta", 1f),
        c.attrs.getInt("transA", 0) != 0, c.attrs.getInt("transB", 0) != 0);
    List<String> in = new ArrayList<>(List.of(c.in(0), c.in(1)));
    if (!c.in(2).isEmpty()) {
      in.add(c.in(2));
    }
    emit(c, op, in);
  }

  /**
   * Before opset 13, Softmax flattened the input to 2-D at {@code axis} and normalized over the
   * whole second part; opset 13 normalizes along one axis. The two agree when the axis is the
   * last; otherwise the old meaning is rebuilt as Flatten, Softmax over axis 1, Reshape back.
   */
  private void softmax(Ctx c) {
    c.attrs.allowOnly(Set.of("axis"));
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    int axis = c.attrs.getIntExact("axis", opset < 13 ? 1 : -1);
    if (opset >= 13) {
      emit(c, new Op.Softmax(axis), List.of(c.in(0)));
      return;
    }
    TypeShape x = c.shapeOf(0);
    if (!x.hasRank()) {
      throw c.unsupported("opset " + opset + " Softmax needs the input's rank to be known");
    }
    int r = x.rank();
    int a = axis < 0 ? axis + r : axis;
    if (a < 0 || a >= r) {
      throw c.malformed("axis " + axis + " out of range for rank " + r);
    }
    if (a == r - 1) {
      emit(c, new Op.Softmax(a), List.of(c.in(0)));
      return;
    }
    int[] dims = x.shape().toArray();
    int unknown = 0;
    for (int i = 0; i < r; i++) {
      if (dims[i] == Shape.UNKNOWN) {
        dims[i] = -1;
        unknown++;
      }
    }
    if (unknown > 1) {
      throw c.unsupported("opset " + opset + " Softmax over axis " + a + " of " + x.shape() + " needs all but one dimension known");
    }
    c.requireUnusedExtraOutputs();
    String flat = fresh(c.out(0) + "_2d");
    String soft = fresh(c.out(0) + "_softmax2d");
    emit(fresh(c.name + "_flatten"), new Op.Flatten(a), List.of(c.in(0)), flat);
    emit(c.name, new Op.Softmax(1), List.of(flat), soft);
    emit(fresh(c.name + "_restore"), new Op.Reshape(ImmutableIntArray.copyOf(dims)), List.of(soft), c.out(0));
  }

  private void concat(Ctx c) {
    c.attrs.allowOnly(Set.of("axis"));
    if (c.inputs.isEmpty()) {
      throw c.malformed("has no inputs");
    }
    if (opset >= 4 && !c.attrs.has("axis")) {
      throw c.malformed("axis is required");
    }
    DataType first = c.typeOf(0);
    for (int i = 0; i < c.inputs.size(); i++) {
      if (c.in(i).isEmpty()) {
        throw c.malformed("input " + i + " is empty");
      }
      if (first != null) {
        c.expectType(i, first);
      }
    }
    emit(c, new Op.Concat(c.attrs.getIntExact("axis", 1)), c.inputs);
  }

  private void transpose(Ctx c) {
    c.attrs.allowOnly(Set.of("perm"));
    c.requireInputs(1, 1);
    int[] perm = c.attrs.getInts("perm");
    TypeShape x = c.shapeOf(0);
    if (perm == null) {
      if (!x.hasRank()) {
        throw c.unsupported("no perm attribute and the input's rank is unknown");
      }
      perm = new int[x.rank()];
      for (int i = 0; i < perm.length; i++) {
        perm[i] = perm.length - 1 - i;
      }
    }
    int[] sorted = perm.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] != i) {
        throw c.malformed("perm " + Arrays.toString(perm) + " is not a permutation");
      }
    }
    emit(c, new Op.Transpose(ImmutableIntArray.copyOf(perm)), List.of(c.in(0)));
  }

  private void quantize(Ctx c) {
    c.attrs.allowOnly(Set.of("axis", "saturate", "block_size", "output_dtype"));
    c.requireInputs(2, 3);
    if (c.attrs.getInt("block_size", 0) != 0) {
      throw c.unsupported("blocked quantization (block_size " + c.attrs.getInt("block_size", 0) + ")");
    }
    c.expectType(0, DataType.FLOAT32);
    c.expectType(1, DataType.FLOAT32);
    c.expectType(2, DataType.INT8, DataType.UINT8);
    int outputDtype = c.attrs.getIntExact("output_dtype", 0);
    DataType zpType = c.typeOf(2);
    if (outputDtype != 0) {
      DataType declared = OnnxTypes.require(outputDtype, c.out(0), where + ": QuantizeLinear '" + c.name + "' output_dtype");
      if (declared != DataType.INT8 && declared != DataType.UINT8) {
        throw new UnsupportedDataTypeException(c.out(0), outputDtype,
            where + ": QuantizeLinear '" + c.name + "' quantizes to " + declared + "; quantkit supports INT8 and UINT8");
      }
      if (zpType != null && zpType != declared) {
        throw c.malformed("output_dtype " + declared + " differs from the zero point's type " + zpType);
      }
      zpType = declared;
    }
    String zp = c.in(2).isEmpty() ? zeroPoint(c, zpType == null ? DataType.UINT8 : zpType) : c.in(2);
    emit(c, new Op.QuantizeLinear(c.attrs.getIntExact("axis", 1)), List.of(c.in(0), c.in(1), zp));
  }

  private void dequantize(Ctx c) {
    c.attrs.allowOnly(Set.of("axis", "block_size"));
    c.requireInputs(2, 3);
    if (c.attrs.getInt("block_size", 0) != 0) {
      throw c.unsupported("blocked dequantization (block_size " + c.attrs.getInt("block_size", 0) + ")");
    }
    c.expectType(0, DataType.INT8, DataType.UINT8, DataType.INT32);
    c.expectType(1, DataType.FLOAT32);
    DataType x = c.typeOf(0);
    if (x != null) {
      c.expectType(2, x);
    }
    String zp = c.in(2);
    if (zp.isEmpty() && x != null) {
      zp = zeroPoint(c, x);
    }
    List<String> in = zp.isEmpty() ? List.of(c.in(0), c.in(1)) : List.of(c.in(0), c.in(1), zp);
    emit(c, new Op.DequantizeLinear(c.attrs.getIntExact("axis", 1)), in);
  }

  /** An explicit zero point (shaped like the scale), which ONNX lets files omit. */
  private String zeroPoint(Ctx c, DataType type) {
    TypeShape scale = c.shapeOf(1);
    if (!scale.hasRank() || !scale.shape().isKnown()) {
      throw c.unsupported("omitted zero point with a scale of unknown shape");
    }
    Shape s = scale.shape();
    Tensor zero;
    switch (type) {
      case INT8:
      case UINT8: zero = Tensor.wrapBytes(type, s, new byte[s.size()]); break;
      case INT32: zero = Tensor.wrapInts(s, new int[s.size()]); break;
      default: throw c.malformed("no zero point of type " + type);
    }
    String name = fresh(c.name + "_zero_point");
    constants.put(name, zero);
    known.put(name, new TypeShape(type, s));
    return name;
  }

  private void constantNode(Ctx c) {
    c.requireInputs(0, 0);
    c.requireUnusedExtraOutputs();
    Set<String> present = c.attrs.names();
    if (present.size() != 1) {
      throw c.malformed("needs exactly one value attribute, found " + present);
    }
    String attr = present.iterator().next();
    Tensor value;
    switch (attr) {
      case "value":
        TensorProto t = c.attrs.getTensor("value");
        value = TensorCodec.decode(t.toBuilder().setName(c.out(0)).build(), where, modelDir);
        break;
      case "value_float":
        value = Tensor.scalar(c.attrs.getFloat("value_float", 0f));
        break;
      case "value_floats": {
        float[] v = c.attrs.getFloats("value_floats");
        value = Tensor.ofFloats(Shape.of(v.length), v);
        break;
      }
      case "value_int":
        value = Tensor.ofLongs(Shape.scalar(), c.attrs.getInt("value_int", 0));
        break;
      case "value_ints": {
        long[] v = c.attrs.getLongs("value_ints");
        value = Tensor.ofLongs(Shape.of(v.length), v);
        break;
      }
      case "value_string":
      case "value_strings":
        throw new UnsupportedDataTypeException(c.out(0), TensorProto.DataType.STRING_VALUE,
            where + ": Constant '" + c.name + "' holds strings; quantkit supports FLOAT, UINT8, INT8, INT32 and INT64");
      default:
        throw c.unsupported("constant attribute '" + attr + "'");
    }
    constants.put(c.out(0), value);
    known.put(c.out(0), new TypeShape(value.type(), value.shape()));
  }

  private void dropout(Ctx c) {
    c.attrs.allowOnly(Set.of("ratio", "is_test", "seed", "consumed_inputs"));
    c.requireInputs(1, 3);
    if (!c.in(2).isEmpty()) {
      Tensor mode = constants.get(c.in(2));
      if (mode == null) {
        throw c.unsupported("training_mode is not a constant");
      }
      if (mode.getLong(0) != 0) {
        throw c.unsupported("training_mode is true");
      }
    }
    passThrough(c);
  }

  /**
   * Graph outputs that name an Identity/Dropout output: the producing node's output is renamed
   * to the graph output's name so the graph keeps its output names; when the source is a graph
   * input, an initializer or another output, the source itself is the output.
   */
  private List<String> outputs(GraphProto g) {
    List<String> out = new ArrayList<>();
    Map<String, String> renames = new HashMap<>();
    Set<String> produced = new HashSet<>();
    for (Node n : nodes) {
      produced.addAll(n.outputs());
    }
    for (ValueInfoProto o : g.getOutputList()) {
      String name = o.getName();
      String src = resolve(name);
      if (src.equals(name)) {
        out.add(name);
      } else if (produced.contains(src) && !graphOutputs.contains(src) && !renames.containsKey(src)) {
        renames.put(src, name);
        out.add(name);
      } else {
        out.add(src);
      }
    }
    if (!renames.isEmpty()) {
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        nodes.set(i, Node.of(n.name(), n.op(), rename(n.inputs(), renames), rename(n.outputs(), renames)));
      }
    }
    return out;
  }

  private static List<String> rename(List<String> names, Map<String, String> renames) {
    List<String> out = new ArrayList<>(names.size());
    for (String s : names) {
      out.add(renames.getOrDefault(s, s));
    }
    return out;
  }
}
