package io.quantkit.onnx;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.UnsupportedOpException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.proto.Onnx.AttributeProto;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.OperatorSetIdProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorShapeProto;
import io.quantkit.onnx.proto.Onnx.TypeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** IR graph to ONNX ModelProto, in the operator forms of opset 13. */
final class OnnxExporter {
  private final Graph graph;
  private final ExportOptions options;
  private final GraphProto.Builder out = GraphProto.newBuilder();
  private final Set<String> names = new HashSet<>();

  private OnnxExporter(Graph graph, ExportOptions options) {
    this.graph = graph;
    this.options = options;
  }

  static ModelProto export(Graph graph, ExportOptions options) {
    return new OnnxExporter(graph, options).run();
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
      out.addInitializer(TensorCodec.encode(e.getKey(), e.getValue()));
    }
    for (Node n : graph.nodes()) {
      out.addNode(node(n));
    }
    Map<String, ValueInfo> inferred = ShapeInference.infer(graph);
    for (String o : graph.outputs()) {
      ValueInfo vi = inferred.get(o);
      out.addOutput(valueInfo(o, vi.type(), vi.shape(), false));
    }
    ModelProto.Builder m = ModelProto.newBuilder()
        .setIrVersion(options.irVersion())
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(options.opset()))
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

  private NodeProto node(Node n) {
    NodeProto.Builder b = NodeProto.newBuilder().setName(n.name()).setOpType(n.op().type()).addAllOutput(n.outputs());
    List<String> inputs = new ArrayList<>(n.inputs());
    Op op = n.op();
    if (op instanceof Op.Conv) {
      Op.Conv c = (Op.Conv) op;
      b.addAttribute(ints("kernel_shape", c.kernel()));
      b.addAttribute(ints("strides", c.strides()));
      b.addAttribute(ints("dilations", c.dilations()));
      b.addAttribute(intAttr("group", c.groups()));
      padding(b, c.padding());
    } else if (op instanceof Op.BatchNorm) {
      b.addAttribute(floatAttr("epsilon", ((Op.BatchNorm) op).epsilon()));
    } else if (op instanceof Op.Clip) {
      Op.Clip c = (Op.Clip) op;
      while (inputs.size() < 3) {
        inputs.add("");
      }
      inputs.set(1, Float.isInfinite(c.min()) && c.min() < 0 ? "" : constant(n.name() + "_min", Tensor.scalar(c.min())));
      inputs.set(2, Float.isInfinite(c.max()) && c.max() > 0 ? "" : constant(n.name() + "_max", Tensor.scalar(c.max())));
    } else if (op instanceof Op.MaxPool) {
      Op.MaxPool p = (Op.MaxPool) op;
      b.addAttribute(ints("kernel_shape", p.kernel()));
      b.addAttribute(ints("strides", p.strides()));
      b.addAttribute(ints("dilations", p.dilations()));
      b.addAttribute(intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
      padding(b, p.padding());
    } else if (op instanceof Op.AveragePool) {
      Op.AveragePool p = (Op.AveragePool) op;
      b.addAttribute(ints("kernel_shape", p.kernel()));
      b.addAttribute(ints("strides", p.strides()));
      b.addAttribute(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
      b.addAttribute(intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
      padding(b, p.padding());
    } else if (op instanceof Op.Flatten) {
      b.addAttribute(intAttr("axis", ((Op.Flatten) op).axis()));
    } else if (op instanceof Op.Reshape) {
      ImmutableIntArray s = ((Op.Reshape) op).shape();
      long[] v = new long[s.length()];
      for (int i = 0; i < v.length; i++) {
        v[i] = s.get(i);
      }
      inputs = new ArrayList<>(List.of(n.input(0), constant(n.name() + "_shape", Tensor.ofLongs(Shape.of(v.length), v))));
    } else if (op instanceof Op.Gemm) {
      Op.Gemm g = (Op.Gemm) op;
      b.addAttribute(floatAttr("alpha", g.alpha()));
      b.addAttribute(floatAttr("beta", g.beta()));
      b.addAttribute(intAttr("transA", g.transA() ? 1 : 0));
      b.addAttribute(intAttr("transB", g.transB() ? 1 : 0));
    } else if (op instanceof Op.Softmax) {
      b.addAttribute(intAttr("axis", ((Op.Softmax) op).axis()));
    } else if (op instanceof Op.Concat) {
      b.addAttribute(intAttr("axis", ((Op.Concat) op).axis()));
    } else if (op instanceof Op.Transpose) {
      b.addAttribute(ints("perm", ((Op.Transpose) op).perm()));
    } else if (op instanceof Op.QuantizeLinear) {
      b.addAttribute(intAttr("axis", ((Op.QuantizeLinear) op).axis()));
    } else if (op instanceof Op.DequantizeLinear) {
      b.addAttribute(intAttr("axis", ((Op.DequantizeLinear) op).axis()));
    } else if (!(op instanceof Op.Relu || op instanceof Op.Add || op instanceof Op.Mul || op instanceof Op.MatMul
        || op instanceof Op.GlobalAveragePool)) {
      throw new UnsupportedOpException(n.name(), op.type(), "the ONNX exporter does not know this op (" + op.getClass().getName() + ")");
    }
    while (!inputs.isEmpty() && inputs.get(inputs.size() - 1).isEmpty()) {
      inputs.remove(inputs.size() - 1);
    }
    return b.addAllInput(inputs).build();
  }

  private static void padding(NodeProto.Builder b, Padding p) {
    if (p instanceof Padding.Same) {
      b.addAttribute(stringAttr("auto_pad", ((Padding.Same) p).upper() ? "SAME_UPPER" : "SAME_LOWER"));
    } else if (p instanceof Padding.Valid) {
      b.addAttribute(stringAttr("auto_pad", "VALID"));
    } else {
      AttributeProto.Builder a = AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS);
      for (long v : ((Padding.Explicit) p).toOnnx()) {
        a.addInts(v);
      }
      b.addAttribute(a);
    }
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

  private static AttributeProto ints(String name, ImmutableIntArray v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    v.forEach(a::addInts);
    return a.build();
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  private static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  private static AttributeProto stringAttr(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
  }
}
