package io.quantkit.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.quantkit.onnx.proto.Onnx.AttributeProto;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.onnx.proto.Onnx.TensorShapeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import java.util.Random;

/**
 * Mutations of an ONNX model that keep it a parseable protobuf but break its meaning: huge,
 * negative and zero dimensions, wrong element types, raw data of the wrong length, graph cycles,
 * dangling and duplicated names, unknown ops, absurd attributes, external data pointing outside
 * the model's folder, nested subgraphs and odd opsets; a quarter are byte-level damage instead.
 */
final class OnnxMutations {
  private static final long[] DIMS = {0, -1, -7, 1, 3, 1 << 16, 0x7FFFFFFFL, 0x80000000L, 1L << 40, Long.MAX_VALUE};
  private static final String[] OPS = {"Conv", "Gemm", "Relu", "Add", "MaxPool", "Reshape", "Softmax", "QuantizeLinear",
    "DequantizeLinear", "Transpose", "Concat", "Flatten", "Loop", "If", "NoSuchOp", ""};
  private static final String[] TRAVERSALS = {"../../../../../../etc/passwd", "/etc/passwd", "sub/../../outside.bin",
    "weights.bin", "", ".", "/proc/self/mem", "nul\u0000byte"};

  private OnnxMutations() {}

  static ByteMutations.Mutant mutate(byte[] seed, Random r) {
    if (r.nextInt(4) == 0) {
      return ByteMutations.mutate(seed, r);
    }
    ModelProto model;
    try {
      model = ModelProto.parseFrom(seed);
    } catch (InvalidProtocolBufferException e) {
      return ByteMutations.mutate(seed, r);
    }
    ModelProto.Builder m = model.toBuilder();
    GraphProto.Builder g = m.getGraphBuilder();
    String what;
    switch (r.nextInt(12)) {
      case 0: what = initializerDims(g, r); break;
      case 1: what = initializerType(g, r); break;
      case 2: what = rawData(g, r); break;
      case 3: what = valueInfo(g, r); break;
      case 4: what = cycle(g, r); break;
      case 5: what = names(g, r); break;
      case 6: what = opType(g, r); break;
      case 7: what = attribute(g, r); break;
      case 8: what = externalData(g, r); break;
      case 9: what = nested(g, r); break;
      case 10: what = opset(m, r); break;
      default: what = structure(g, r); break;
    }
    return new ByteMutations.Mutant(m.build().toByteArray(), what);
  }

  private static String initializerDims(GraphProto.Builder g, Random r) {
    if (g.getInitializerCount() == 0) {
      return structure(g, r);
    }
    int i = r.nextInt(g.getInitializerCount());
    TensorProto.Builder t = g.getInitializerBuilder(i);
    long v = DIMS[r.nextInt(DIMS.length)];
    if (t.getDimsCount() == 0 || r.nextInt(4) == 0) {
      t.addDims(v);
      return "initializer " + t.getName() + " got an extra dim " + v;
    }
    int d = r.nextInt(t.getDimsCount());
    t.setDims(d, v);
    return "initializer " + t.getName() + " dim " + d + " := " + v;
  }

  private static String initializerType(GraphProto.Builder g, Random r) {
    if (g.getInitializerCount() == 0) {
      return structure(g, r);
    }
    TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
    int type = r.nextInt(30) - 2;
    t.setDataType(type);
    return "initializer " + t.getName() + " data_type := " + type;
  }

  private static String rawData(GraphProto.Builder g, Random r) {
    if (g.getInitializerCount() == 0) {
      return structure(g, r);
    }
    TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
    ByteString raw = t.getRawData();
    switch (r.nextInt(4)) {
      case 0:
        t.setRawData(raw.substring(0, raw.isEmpty() ? 0 : r.nextInt(raw.size())));
        return "initializer " + t.getName() + " raw_data cut";
      case 1:
        t.setRawData(raw.concat(ByteString.copyFrom(new byte[1 + r.nextInt(64)])));
        return "initializer " + t.getName() + " raw_data grew";
      case 2:
        t.clearRawData().addFloatData(1f).addInt64Data(2);
        return "initializer " + t.getName() + " typed data of two kinds instead of raw_data";
      default: {
        // NaN and infinity in weights.
        byte[] b = raw.toByteArray();
        for (int k = 0; k + 4 <= b.length && k < 64; k += 4) {
          int bits = r.nextBoolean() ? Float.floatToRawIntBits(Float.NaN) : Float.floatToRawIntBits(Float.POSITIVE_INFINITY);
          b[k] = (byte) bits;
          b[k + 1] = (byte) (bits >> 8);
          b[k + 2] = (byte) (bits >> 16);
          b[k + 3] = (byte) (bits >> 24);
        }
        t.setRawData(ByteString.copyFrom(b));
        return "initializer " + t.getName() + " NaN/infinity values";
      }
    }
  }

  private static String valueInfo(GraphProto.Builder g, Random r) {
    boolean input = r.nextBoolean() && g.getInputCount() > 0;
    if (!input && g.getOutputCount() == 0) {
      return structure(g, r);
    }
    ValueInfoProto.Builder v = input ? g.getInputBuilder(r.nextInt(g.getInputCount()))
        : g.getOutputBuilder(r.nextInt(g.getOutputCount()));
    if (r.nextBoolean()) {
      int type = r.nextInt(30) - 2;
      v.getTypeBuilder().getTensorTypeBuilder().setElemType(type);
      return (input ? "input " : "output ") + v.getName() + " elem_type := " + type;
    }
    TensorShapeProto.Builder shape = v.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
    long dim = DIMS[r.nextInt(DIMS.length)];
    if (shape.getDimCount() == 0 || r.nextInt(4) == 0) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
      return (input ? "input " : "output ") + v.getName() + " got an extra dim " + dim;
    }
    int d = r.nextInt(shape.getDimCount());
    if (r.nextInt(5) == 0) {
      shape.setDim(d, TensorShapeProto.Dimension.newBuilder().setDimParam("N" + r.nextInt(3)));
      return (input ? "input " : "output ") + v.getName() + " dim " + d + " := symbolic";
    }
    shape.setDim(d, TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
    return (input ? "input " : "output ") + v.getName() + " dim " + d + " := " + dim;
  }

  private static String cycle(GraphProto.Builder g, Random r) {
    int n = g.getNodeCount();
    if (n < 2) {
      return structure(g, r);
    }
    int a = r.nextInt(n - 1);
    int b = a + 1 + r.nextInt(n - a - 1);
    NodeProto.Builder early = g.getNodeBuilder(a);
    String later = g.getNode(b).getOutput(0);
    if (early.getInputCount() == 0 || r.nextInt(3) == 0) {
      early.addInput(later);
    } else {
      early.setInput(r.nextInt(early.getInputCount()), r.nextInt(4) == 0 ? early.getOutput(0) : later);
    }
    return "node " + early.getName() + " reads " + (early.getInputList().contains(early.getOutput(0)) ? "its own output" : later)
        + " (a cycle)";
  }

  private static String names(GraphProto.Builder g, Random r) {
    int n = g.getNodeCount();
    if (n == 0) {
      return structure(g, r);
    }
    NodeProto.Builder node = g.getNodeBuilder(r.nextInt(n));
    switch (r.nextInt(4)) {
      case 0:
        if (node.getInputCount() > 0) {
          node.setInput(r.nextInt(node.getInputCount()), "no_such_tensor");
        }
        return "node " + node.getName() + " reads a tensor nobody makes";
      case 1:
        node.setOutput(0, g.getNode(r.nextInt(n)).getOutput(0));
        return "node " + node.getName() + " writes another node's output";
      case 2:
        if (g.getInitializerCount() > 0) {
          node.setOutput(0, g.getInitializer(r.nextInt(g.getInitializerCount())).getName());
        }
        return "node " + node.getName() + " writes over an initializer";
      default:
        node.addOutput("extra_" + r.nextInt(100));
        return "node " + node.getName() + " got an extra output";
    }
  }

  private static String opType(GraphProto.Builder g, Random r) {
    if (g.getNodeCount() == 0) {
      return structure(g, r);
    }
    NodeProto.Builder node = g.getNodeBuilder(r.nextInt(g.getNodeCount()));
    if (r.nextInt(4) == 0) {
      node.setDomain(new String[] {"com.microsoft", "ai.onnx.ml", "evil.domain"}[r.nextInt(3)]);
      return "node " + node.getName() + " domain := " + node.getDomain();
    }
    String op = OPS[r.nextInt(OPS.length)];
    node.setOpType(op);
    return "node " + node.getName() + " op_type := " + op;
  }

  private static String attribute(GraphProto.Builder g, Random r) {
    if (g.getNodeCount() == 0) {
      return structure(g, r);
    }
    NodeProto.Builder node = g.getNodeBuilder(r.nextInt(g.getNodeCount()));
    long v = DIMS[r.nextInt(DIMS.length)];
    if (node.getAttributeCount() == 0 || r.nextInt(3) == 0) {
      String name = new String[] {"axis", "group", "kernel_shape", "strides", "pads", "perm", "alpha", "transB", "auto_pad"}
          [r.nextInt(9)];
      node.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v));
      return "node " + node.getName() + " attribute " + name + " := " + v;
    }
    AttributeProto.Builder a = node.getAttributeBuilder(r.nextInt(node.getAttributeCount()));
    switch (r.nextInt(4)) {
      case 0:
        a.setI(v);
        return "node " + node.getName() + " attribute " + a.getName() + " i := " + v;
      case 1:
        a.clearInts();
        for (int k = r.nextInt(6); k > 0; k--) {
          a.addInts(DIMS[r.nextInt(DIMS.length)]);
        }
        return "node " + node.getName() + " attribute " + a.getName() + " ints := " + a.getIntsList();
      case 2: {
        AttributeProto.AttributeType[] types = AttributeProto.AttributeType.values();
        a.setType(types[r.nextInt(types.length)]);
        return "node " + node.getName() + " attribute " + a.getName() + " type := " + a.getType();
      }
      default:
        a.setF(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1e30f, 0f}[r.nextInt(4)]);
        a.setType(AttributeProto.AttributeType.FLOAT);
        return "node " + node.getName() + " attribute " + a.getName() + " := float " + a.getF();
    }
  }

  private static String externalData(GraphProto.Builder g, Random r) {
    if (g.getInitializerCount() == 0) {
      return structure(g, r);
    }
    TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
    String location = TRAVERSALS[r.nextInt(TRAVERSALS.length)];
    t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
    if (r.nextBoolean()) {
      t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(String.valueOf(DIMS[r.nextInt(DIMS.length)])));
    }
    if (r.nextBoolean()) {
      t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(String.valueOf(DIMS[r.nextInt(DIMS.length)])));
    }
    return "initializer " + t.getName() + " external data at '" + location + "'";
  }

  private static String nested(GraphProto.Builder g, Random r) {
    if (g.getNodeCount() == 0) {
      return structure(g, r);
    }
    int depth = new int[] {2, 30, 99, 101, 500}[r.nextInt(5)];
    GraphProto inner = GraphProto.newBuilder().setName("leaf").build();
    for (int k = 0; k < depth; k++) {
      inner = GraphProto.newBuilder().setName("g" + k).addNode(NodeProto.newBuilder().setOpType("If").setName("if" + k)
          .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(inner)))
          .build();
    }
    NodeProto.Builder node = g.getNodeBuilder(r.nextInt(g.getNodeCount()));
    node.addAttribute(AttributeProto.newBuilder().setName("body").setType(AttributeProto.AttributeType.GRAPH).setG(inner));
    return "node " + node.getName() + " got a subgraph nested " + depth + " deep";
  }

  private static String opset(ModelProto.Builder m, Random r) {
    long v = new long[] {0, -1, 1, 6, 7, 10, 21, 22, 1000, Long.MAX_VALUE}[r.nextInt(10)];
    if (r.nextBoolean() || m.getOpsetImportCount() == 0) {
      m.setIrVersion(v);
      return "ir_version := " + v;
    }
    m.getOpsetImportBuilder(0).setVersion(v);
    return "opset := " + v;
  }

  private static String structure(GraphProto.Builder g, Random r) {
    switch (r.nextInt(5)) {
      case 0:
        g.clearOutput();
        return "no graph outputs";
      case 1:
        g.clearInput();
        return "no graph inputs";
      case 2:
        if (g.getInitializerCount() > 0) {
          g.addInitializer(g.getInitializer(r.nextInt(g.getInitializerCount())));
        }
        return "a duplicated initializer";
      case 3:
        if (g.getNodeCount() > 0) {
          g.removeNode(r.nextInt(g.getNodeCount()));
        }
        return "a node removed";
      default:
        if (g.getNodeCount() > 1) {
          int a = r.nextInt(g.getNodeCount());
          int b = r.nextInt(g.getNodeCount());
          NodeProto na = g.getNode(a);
          g.setNode(a, g.getNode(b));
          g.setNode(b, na);
        }
        return "two nodes swapped (order no longer topological)";
    }
  }
}
