package io.quantkit.tf;

import com.google.protobuf.ByteString;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Adds raw TensorFlow operations to a {@link Graph} by op type and attribute name, with unique,
 * valid node names. Raw builders rather than the typed {@code Ops} API because TensorFlow Java has
 * no Java class for DT_INT8, which quantized graphs carry.
 */
final class TfGraphBuilder {
  private final Graph graph;
  private final Set<String> names = new HashSet<>();

  TfGraphBuilder(Graph graph) {
    this.graph = graph;
  }

  Graph graph() {
    return graph;
  }

  /** A node name derived from {@code wanted}: invalid characters replaced, made unique. */
  String uniqueName(String wanted) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < wanted.length(); i++) {
      char c = wanted.charAt(i);
      boolean ok = Character.isLetterOrDigit(c) && c < 128 || c == '.' || (i > 0 && (c == '_' || c == '-' || c == '/'));
      sb.append(ok ? c : '_');
    }
    String base = sb.length() == 0 ? "node" : sb.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1) + "_";
    }
    String name = base;
    for (int i = 1; !names.add(name) || graph.operation(name) != null; i++) {
      name = base + "_" + i;
    }
    return name;
  }

  /** Starts an operation; {@link Op#build()} adds it. */
  Op op(String type, String name) {
    return new Op(graph.opBuilder(type, uniqueName(name), graph.baseScope()));
  }

  Output<?> constant(String name, Tensor t) {
    TensorProto.Builder proto = TensorProto.newBuilder()
        .setDtype(TfTensors.graphType(t.type()))
        .setTensorShape(shapeProto(t.shape()))
        .setTensorContent(ByteString.copyFrom(t.toLittleEndianBytes()));
    return op("Const", name).attr("dtype", proto.getDtype()).attr("value", AttrValue.newBuilder().setTensor(proto).build())
        .build();
  }

  Output<?> ints(String name, int... values) {
    return constant(name, Tensor.ofInts(Shape.of(values.length), values));
  }

  Output<?> ints(String name, Shape shape, int... values) {
    return constant(name, Tensor.ofInts(shape, values));
  }

  Output<?> scalar(String name, float value) {
    return constant(name, Tensor.scalar(value));
  }

  /**
   * A scalar or small tensor TensorFlow's graph optimizer must not treat as a constant: Grappler
   * rewrites {@code x / c} into {@code x * (1 / c)} for a constant {@code c}, which changes the
   * quotient in the last bit and with it the rounding of QuantizeLinear at .5 boundaries.
   */
  Output<?> opaque(String name, Tensor t) {
    Output<?> c = constant(name + "/value", t);
    return op("PlaceholderWithDefault", name).in(c).attr("dtype", c.dataType()).attr("shape", tfShape(t.shape())).build();
  }

  static TensorShapeProto shapeProto(Shape s) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (int i = 0; i < s.rank(); i++) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(s.dim(i)));
    }
    return b.build();
  }

  static org.tensorflow.ndarray.Shape tfShape(Shape s) {
    return org.tensorflow.ndarray.Shape.of(s.toLongArray());
  }

  /** One operation being built. */
  static final class Op {
    private final GraphOperationBuilder b;

    private Op(GraphOperationBuilder b) {
      this.b = b;
    }

    Op in(Output<?> input) {
      b.addInput(input);
      return this;
    }

    Op inList(List<Output<?>> inputs) {
      b.addInputList(inputs.toArray(new Output<?>[0]));
      return this;
    }

    Op attr(String name, String value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, long value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, long[] value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, float value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, boolean value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, DataType value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, AttrValue value) {
      b.setAttr(name, value);
      return this;
    }

    Op attr(String name, org.tensorflow.ndarray.Shape value) {
      b.setAttr(name, value);
      return this;
    }

    Output<?> build() {
      return b.build().output(0);
    }

    org.tensorflow.GraphOperation buildOperation() {
      return b.build();
    }
  }
}
