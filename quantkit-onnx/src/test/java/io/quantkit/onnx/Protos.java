package io.quantkit.onnx;

import com.google.protobuf.ByteString;
import io.quantkit.onnx.proto.Onnx.AttributeProto;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.OperatorSetIdProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.onnx.proto.Onnx.TensorShapeProto;
import io.quantkit.onnx.proto.Onnx.TypeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Small builders for hand-written ONNX models in tests. */
final class Protos {
  private Protos() {}

  static ModelProto model(int opset, GraphProto graph) {
    return ModelProto.newBuilder().setIrVersion(opset >= 13 ? 7 : 3)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setProducerName("test").setGraph(graph).build();
  }

  /** dims: -1 becomes a symbolic dimension. */
  static ValueInfoProto value(String name, int elemType, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N") : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
  }

  static ValueInfoProto floats(String name, long... dims) {
    return value(name, TensorProto.DataType.FLOAT_VALUE, dims);
  }

  static NodeProto node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
    return NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + out.get(0))
        .addAllInput(in).addAllOutput(out).addAllAttribute(List.of(attrs)).build();
  }

  static AttributeProto ints(String name, long... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  static AttributeProto floatsAttr(String name, float... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
    for (float x : v) {
      a.addFloats(x);
    }
    return a.build();
  }

  static AttributeProto i(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  static AttributeProto f(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  static AttributeProto s(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
  }

  static AttributeProto t(String name, TensorProto v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(v).build();
  }

  static TensorProto floatTensor(String name, long[] dims, float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addAllDims(java.util.Arrays.stream(dims).boxed().toList()).setRawData(ByteString.copyFrom(b.array())).build();
  }

  static TensorProto longTensor(String name, long... v) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(v.length)
        .addAllInt64Data(java.util.Arrays.stream(v).boxed().toList()).build();
  }
}
