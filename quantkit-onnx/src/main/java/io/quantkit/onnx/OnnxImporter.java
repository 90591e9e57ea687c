package io.quantkit.onnx;

import io.quantkit.GraphException;
import io.quantkit.ModelFormatException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.UnsupportedOpsException;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.proto.Onnx.FunctionProto;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.OperatorSetIdProto;
import io.quantkit.onnx.proto.Onnx.SparseTensorProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.onnx.proto.Onnx.TensorShapeProto;
import io.quantkit.onnx.proto.Onnx.TypeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
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
 * ONNX ModelProto to IR graph: the graph-level work (initializers, inputs, outputs, names,
 * metadata, the model fields the IR does not model) and the per-node loop; each node's operator
 * is converted by its entry in {@link OnnxOps#IMPORTERS}. Every unsupported node is collected and
 * reported at once in an {@link UnsupportedOpsException}.
 *
 * <p>What happens to each part of a ModelProto: the graph, initializers (dense and sparse, the
 * latter densified), inputs, outputs and nodes become the IR graph; value_info is checked against
 * the inferred types and shapes; metadata_props, doc strings, domain, model_version, producer and
 * the opset imports are carried in {@link Graph#metadata()}; training_info, functions and
 * quantization_annotation are refused with an error naming the field; fields the schema does not
 * know are refused by {@link OnnxFields}. Per-node, per-value and per-tensor doc strings and
 * metadata_props are documentation without a place in the IR and are not carried.
 */
final class OnnxImporter {
  private final ModelProto model;
  private final String where;
  private final Path modelDir;
  private int opset;

  private final Map<String, Tensor> constants = new LinkedHashMap<>();
  /** Folded INT64 shape values holding placeholders for unknown dimensions (see OnnxFolding#UNKNOWN_DIM). */
  private final Set<String> symbolic = new HashSet<>();
  private final Map<String, ValueInfo> known = new HashMap<>();
  private final Map<String, String> alias = new HashMap<>();
  private final List<Node> nodes = new ArrayList<>();
  private final Set<String> taken = new HashSet<>();
  private final Set<String> consumed = new HashSet<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final Set<String> nodeNames = new HashSet<>();
  private final List<UnsupportedNode> unsupported = new ArrayList<>();
  /** Outputs of unsupported nodes (and of nodes after them): nothing is known about them. */
  private final Set<String> unknownOutputs = new HashSet<>();

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
    rejectUnmodelledFields();
    opset = defaultOpset();
    GraphProto g = model.getGraph();
    collectNames(g);

    for (TensorProto init : g.getInitializerList()) {
      if (init.getName().isEmpty()) {
        throw new ModelFormatException(where + ": an initializer has no name");
      }
      defineInitializer(init.getName(), TensorCodec.decode(init, where, modelDir));
    }
    for (SparseTensorProto sparse : g.getSparseInitializerList()) {
      String name = sparse.getValues().getName();
      if (name.isEmpty()) {
        throw new ModelFormatException(where + ": a sparse_initializer has no name (its values tensor names it)");
      }
      if (constants.containsKey(name)) {
        throw new ModelFormatException(where + ": initializer '" + name + "' is given both dense and sparse");
      }
      defineInitializer(name, densify(sparse, name));
    }
    Graph.Builder b = Graph.builder(g.getName().isEmpty() ? baseName() : g.getName());
    for (ValueInfoProto in : g.getInputList()) {
      // Before IR version 4 every initializer was also listed as an input.
      if (constants.containsKey(in.getName())) {
        continue;
      }
      ValueInfo vi = inputInfo(in);
      known.put(vi.name(), vi);
      b.input(vi);
    }

    for (int i = 0; i < g.getNodeCount(); i++) {
      node(g.getNode(i), i);
    }
    UnsupportedOpsException.throwIfAny(where, unsupported);

    List<String> outputs = outputs(g);
    for (Node n : nodes) {
      b.node(n);
    }
    outputs.forEach(b::output);
    constants.forEach((name, t) -> {
      if (!symbolic.contains(name)) {
        b.initializer(name, t);
      }
    });
    carryMetadata(b, g);
    try {
      Graph graph = b.build();
      // The project's shape inference is what backends rely on; a graph it rejects (element
      // types, ranks, channel counts) is refused here, with the file named, not at run time.
      Map<String, ValueInfo> inferred = ShapeInference.infer(graph);
      checkValueInfo(g, inferred);
      return graph;
    } catch (GraphException e) {
      throw new ModelFormatException(where + ": " + e.getMessage(), e);
    }
  }

  private void defineInitializer(String name, Tensor t) {
    constants.put(name, t);
    known.put(name, new ValueInfo(name, t.type(), t.shape()));
  }

  /**
   * Model parts that would change what the model computes, or claim something the IR cannot
   * keep, are refused by name rather than dropped.
   */
  private void rejectUnmodelledFields() {
    if (model.getFunctionsCount() > 0) {
      List<String> names = new ArrayList<>();
      for (FunctionProto f : model.getFunctionsList()) {
        names.add((f.getDomain().isEmpty() ? "" : f.getDomain() + ".") + f.getName());
      }
      throw new ModelFormatException(where + ": ModelProto.functions defines model-local functions " + names
          + ", which quantkit does not inline; inline them first (onnx.inliner.inline_local_functions)");
    }
    if (model.getTrainingInfoCount() > 0) {
      throw new ModelFormatException(where + ": ModelProto.training_info holds " + model.getTrainingInfoCount()
          + " training graph(s); quantkit imports inference graphs only, remove training_info first");
    }
    GraphProto g = model.getGraph();
    if (g.getQuantizationAnnotationCount() > 0) {
      List<String> tensors = new ArrayList<>();
      g.getQuantizationAnnotationList().forEach(a -> tensors.add(a.getTensorName()));
      throw new ModelFormatException(where + ": GraphProto.quantization_annotation annotates tensors " + tensors
          + "; quantkit reads quantization only from QuantizeLinear/DequantizeLinear nodes (convert the model to QDQ)");
    }
    OnnxFields.rejectUnknown(model, "ModelProto", where);
  }

  /** A sparse initializer as the dense tensor it stands for (zeros elsewhere). */
  private Tensor densify(SparseTensorProto sparse, String name) {
    Tensor values = TensorCodec.decode(sparse.getValues(), where, modelDir);
    Tensor indices = TensorCodec.decode(sparse.getIndices().toBuilder().setName(name + " (indices)").build(), where, modelDir);
    long[] dims = sparse.getDimsList().stream().mapToLong(Long::longValue).toArray();
    Shape shape;
    try {
      shape = Shape.of(dims);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(where + ": sparse_initializer '" + name + "' has invalid dims " + sparse.getDimsList(), e);
    }
    int nnz = values.size();
    int rank = shape.rank();
    boolean linear = indices.shape().rank() == 1;
    if (indices.type() != DataType.INT64 || !(linear ? indices.size() == nnz
        : indices.shape().rank() == 2 && indices.shape().dim(0) == nnz && indices.shape().dim(1) == rank)) {
      throw new ModelFormatException(where + ": sparse_initializer '" + name + "' has indices " + indices.type() + " "
          + indices.shape() + " for " + nnz + " values of a rank-" + rank + " tensor; ONNX wants INT64 [NNZ] or [NNZ, rank]");
    }
    int width = values.type().byteSize();
    byte[] dense = new byte[shape.size() * width];
    byte[] v = values.toLittleEndianBytes();
    long[] idx = indices.toLongArray();
    for (int i = 0; i < nnz; i++) {
      long flat = 0;
      if (linear) {
        flat = idx[i];
      } else {
        for (int d = 0; d < rank; d++) {
          long c = idx[i * rank + d];
          if (c < 0 || c >= shape.dim(d)) {
            flat = -1;
            break;
          }
          flat = flat * shape.dim(d) + c;
        }
      }
      if (flat < 0 || flat >= shape.size()) {
        throw new ModelFormatException(where + ": sparse_initializer '" + name + "' has value " + i
            + " outside its shape " + shape);
      }
      System.arraycopy(v, i * width, dense, (int) flat * width, width);
    }
    return Tensor.fromLittleEndian(values.type(), shape, ByteBuffer.wrap(dense));
  }

  /** Model and graph facts the IR keeps as metadata; Graph metadata keys are the ONNX field names. */
  private void carryMetadata(Graph.Builder b, GraphProto g) {
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      b.metadata(e.getKey(), e.getValue());
    }
    for (StringStringEntryProto e : g.getMetadataPropsList()) {
      b.metadata("onnx.graph." + e.getKey(), e.getValue());
    }
    b.metadata("source", where);
    b.metadata("format", "onnx");
    b.metadata("onnx.opset", String.valueOf(opset));
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (!o.getDomain().isEmpty() && !o.getDomain().equals("ai.onnx")) {
        b.metadata("onnx.opset." + o.getDomain(), String.valueOf(o.getVersion()));
      }
    }
    if (!model.getProducerName().isEmpty()) {
      b.metadata("onnx.producer", (model.getProducerName() + " " + model.getProducerVersion()).trim());
    }
    if (!model.getDomain().isEmpty()) {
      b.metadata("onnx.domain", model.getDomain());
    }
    if (model.hasModelVersion()) {
      b.metadata("onnx.model_version", String.valueOf(model.getModelVersion()));
    }
    if (!model.getDocString().isEmpty()) {
      b.metadata("onnx.doc_string", model.getDocString());
    }
    if (!g.getDocString().isEmpty()) {
      b.metadata("onnx.graph.doc_string", g.getDocString());
    }
  }

  /**
   * value_info declares types and shapes of intermediate tensors; quantkit infers its own, and a
   * declaration that contradicts them means the file and quantkit disagree about the model.
   */
  private void checkValueInfo(GraphProto g, Map<String, ValueInfo> inferred) {
    for (ValueInfoProto v : g.getValueInfoList()) {
      ValueInfo ours = inferred.get(resolve(v.getName()));
      if (ours == null || !v.hasType() || !v.getType().hasTensorType()) {
        continue;
      }
      TypeProto.Tensor t = v.getType().getTensorType();
      boolean typeOk = !t.hasElemType() || t.getElemType() == 0 || OnnxTypes.fromOnnx(t.getElemType()).orElse(null) == ours.type();
      boolean shapeOk = true;
      if (t.hasShape()) {
        Shape declared = shape(t.getShape(), v.getName());
        shapeOk = declared.rank() == ours.shape().rank();
        for (int i = 0; shapeOk && i < declared.rank(); i++) {
          shapeOk = declared.dim(i) == Shape.UNKNOWN || ours.shape().dim(i) == Shape.UNKNOWN
              || declared.dim(i) == ours.shape().dim(i);
        }
      }
      if (!typeOk || !shapeOk) {
        throw new ModelFormatException(where + ": value_info declares '" + v.getName() + "' as "
            + OnnxTypes.describe(t.getElemType()) + (t.hasShape() ? " " + shape(t.getShape(), v.getName()) : "")
            + ", but its node computes " + ours.type() + " " + ours.shape());
      }
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

  /**
   * Per-node context handed to {@link OnnxOps}' converters: the ONNX node, its IR name, its inputs
   * with aliases resolved, its attributes, and the importer operations a converter may use.
   */
  final class Ctx {
    final NodeProto proto;
    final String name;
    final String op;
    final Attrs attrs;
    final List<String> inputs = new ArrayList<>();
    final int opset;
    final String where;

    Ctx(NodeProto proto, String name) {
      this.proto = proto;
      this.name = name;
      this.op = proto.getOpType();
      this.attrs = new Attrs(proto, name, OnnxImporter.this.where);
      this.opset = OnnxImporter.this.opset;
      this.where = OnnxImporter.this.where;
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
      return new UnsupportedOpException(name, op, detail + " (opset " + opset + ")");
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

    /** What is known of input {@code i}: null when it is omitted or not yet defined. */
    ValueInfo infoOf(int i) {
      return in(i).isEmpty() ? null : known.get(in(i));
    }

    DataType typeOf(int i) {
      ValueInfo vi = infoOf(i);
      return vi == null ? null : vi.type();
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

    /** The constant (initializer or Constant node output) named {@code tensor}, or null. */
    Tensor constantOrNull(String tensor) {
      return constants.get(tensor);
    }

    /** Adds a constant under a fresh name derived from {@code base}; returns the name. */
    String addConstant(String base, Tensor value) {
      String fresh = fresh(base);
      defineConstant(fresh, value);
      return fresh;
    }

    boolean isSymbolic(String tensor) {
      return symbolic.contains(tensor);
    }

    void defineSymbolic(String tensor, Tensor value) {
      defineConstant(tensor, value);
      symbolic.add(tensor);
    }

    void defineConstant(String tensor, Tensor value) {
      constants.put(tensor, value);
      known.put(tensor, new ValueInfo(tensor, value.type(), value.shape()));
    }

    Tensor decode(TensorProto t) {
      return TensorCodec.decode(t, where, modelDir);
    }

    String fresh(String base) {
      return OnnxImporter.this.fresh(base);
    }

    /** Adds an IR node producing the ONNX node's first output. */
    void emit(Op irOp, List<String> irInputs) {
      requireUnusedExtraOutputs();
      emit(name, irOp, irInputs, out(0));
    }

    /** Adds an IR node with its own name and output (helper nodes of one ONNX node). */
    void emit(String nodeName, Op irOp, List<String> irInputs, String output) {
      OnnxImporter.this.emit(this, nodeName, irOp, irInputs, output);
    }

    /** The ONNX node's output is its input (Identity, inference-mode Dropout). */
    void passThrough() {
      requireUnusedExtraOutputs();
      alias.put(out(0), in(0));
      ValueInfo vi = known.get(in(0));
      if (vi != null) {
        known.put(out(0), new ValueInfo(out(0), vi.type(), vi.shape()));
      }
    }
  }

  private void node(NodeProto p, int index) {
    String domain = p.getDomain();
    // ONNX does not require node names, nor unique ones; the IR does.
    String name = p.getName().isEmpty() || nodeNames.contains(p.getName()) ? fresh(p.getOpType() + "_" + index) : p.getName();
    nodeNames.add(name);
    Ctx c = new Ctx(p, name);
    OnnxOps.Importer importer = domain.isEmpty() || domain.equals("ai.onnx") ? OnnxOps.IMPORTERS.get(p.getOpType()) : null;
    try {
      if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
        throw c.unsupported("operator domain '" + domain + "' is not supported");
      }
      if (importer == null) {
        throw c.unsupported("not in quantkit's IR");
      }
      // A node reading an unsupported node's output cannot be checked; it is skipped, not judged.
      if (c.inputs.stream().anyMatch(unknownOutputs::contains)) {
        unknownOutputs.addAll(p.getOutputList());
        return;
      }
      if (!OnnxFolding.tryFold(c)) {
        importer.convert(c);
      }
    } catch (UnsupportedOpException e) {
      unsupported.add(UnsupportedNode.of(e));
      unknownOutputs.addAll(p.getOutputList());
    }
  }

  private void emit(Ctx c, String nodeName, Op op, List<String> inputs, String output) {
    for (String in : inputs) {
      if (!in.isEmpty() && !known.containsKey(in)) {
        throw c.malformed("input '" + in + "' is not defined by a graph input, an initializer or an earlier node");
      }
    }
    nodeNames.add(nodeName);
    Node n = Node.of(nodeName, op, inputs, List.of(output));
    try {
      known.put(output, ShapeInference.inferNode(n, known::get));
    } catch (GraphException e) {
      throw new ModelFormatException(where + ": " + e.getMessage(), e);
    }
    nodes.add(n);
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
