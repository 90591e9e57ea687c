package io.quantkit.onnx;

import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.OperatorSetIdProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorShapeProto;
import io.quantkit.onnx.proto.Onnx.TypeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * IR graph to ONNX ModelProto: inputs, initializers, outputs and metadata here, each node's
 * operator form by {@link OnnxOps.Export}.
 */
final class OnnxExporter {
  private final Graph graph;
  private final ExportOptions options;
  private final GraphProto.Builder out = GraphProto.newBuilder();
  private final Set<String> names = new HashSet<>();
  private final Set<String> inMemory;

  private OnnxExporter(Graph graph, ExportOptions options, Set<String> inMemory) {
    this.graph = graph;
    this.options = options;
    this.inMemory = inMemory;
  }

  static ModelProto export(Graph graph, ExportOptions options) {
    return new OnnxExporter(graph, options, Set.of()).run();
  }

  /**
   * The model with the initializers named in {@code inMemory} written without their data
   * ({@link TensorCodec#encodeInMemory}), for ONNX Runtime to receive them as external initializers.
   */
  static ModelProto exportWithoutData(Graph graph, ExportOptions options, Set<String> inMemory) {
    return new OnnxExporter(graph, options, inMemory).run();
  }

  private ModelProto run() {
    for (ValueInfo in : graph.inputs()) {
      names.add(in.name());
    }
    names.addAll(graph.initializers().keySet());
    for (Node n : graph.nodes()) {
      names.addAll(n.outputs());
      names.add(n.name());
    }
    out.setName(graph.name() == null || graph.name().isEmpty() ? "graph" : graph.name());
    for (ValueInfo in : graph.inputs()) {
      out.addInput(valueInfo(in.name(), in.type(), in.shape(), true));
    }
    for (Map.Entry<String, Tensor> e : graph.initializers().entrySet()) {
      out.addInitializer(inMemory.contains(e.getKey()) ? TensorCodec.encodeInMemory(e.getKey(), e.getValue())
          : TensorCodec.encode(e.getKey(), e.getValue()));
    }
    int opset = options.opset();
    for (Node n : graph.nodes()) {
      OnnxOps.Export export = new OnnxOps.Export(n, this::constant);
      out.addAllNode(n.op().accept(export));
      opset = Math.max(opset, export.since());
    }
    Map<String, ValueInfo> inferred = ShapeInference.infer(graph);
    for (String o : graph.outputs()) {
      ValueInfo vi = inferred.get(o);
      out.addOutput(valueInfo(o, vi.type(), vi.shape(), false));
    }
    ModelProto.Builder m = ModelProto.newBuilder()
        .setIrVersion(ExportOptions.irVersionFor(opset))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setProducerName(options.producerName())
        .setProducerVersion(options.producerVersion())
        .setGraph(out);
    graph.metadata().forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  /**
   * Unknown input dimensions get symbolic names (the batch is "N") so that ONNX Runtime can
   * relate them; unknown output dimensions stay anonymous.
   */
  private static ValueInfoProto valueInfo(String name, DataType type, Shape shape, boolean isInput) {
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(OnnxTypes.toOnnx(type));
    if (shape != null) {
      TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
      for (int i = 0; i < shape.rank(); i++) {
        TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
        if (shape.dim(i) != Shape.UNKNOWN) {
          d.setDimValue(shape.dim(i));
        } else if (isInput) {
          d.setDimParam(i == 0 ? "N" : name + "_d" + i);
        }
        s.addDim(d);
      }
      t.setShape(s);
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
  }

  /** Adds an initializer under a fresh name derived from {@code base}. */
  private String constant(String base, Tensor value) {
    String name = base;
    for (int i = 1; names.contains(name); i++) {
      name = base + "_" + i;
    }
    names.add(name);
    out.addInitializer(TensorCodec.encode(name, value));
    return name;
  }

}
