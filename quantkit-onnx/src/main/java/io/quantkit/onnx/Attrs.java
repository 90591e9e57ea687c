package io.quantkit.onnx;

import io.quantkit.ModelFormatException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.onnx.proto.Onnx.AttributeProto;
import io.quantkit.onnx.proto.Onnx.AttributeProto.AttributeType;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Typed access to a node's attributes, with file/node context in every error. */
final class Attrs {
  private final Map<String, AttributeProto> byName = new LinkedHashMap<>();
  private final String nodeName;
  private final String opType;
  private final String where;

  Attrs(NodeProto node, String nodeName, String where) {
    this.nodeName = nodeName;
    this.opType = node.getOpType();
    this.where = where;
    for (AttributeProto a : node.getAttributeList()) {
      if (byName.put(a.getName(), a) != null) {
        throw error("attribute '" + a.getName() + "' given twice");
      }
    }
  }

  /**
   * Rejects attributes outside {@code known}: an attribute quantkit does not interpret could
   * change the op's meaning, so ignoring it would silently compute something else.
   */
  void allowOnly(Set<String> known) {
    for (String name : byName.keySet()) {
      if (!known.contains(name)) {
        throw new UnsupportedOpException(nodeName, opType, "attribute '" + name + "' is not supported (" + where + ")");
      }
    }
  }

  boolean has(String name) {
    return byName.containsKey(name);
  }

  long getInt(String name, long dflt) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return dflt;
    }
    check(a, AttributeType.INT, a.hasI());
    return a.getI();
  }

  int getIntExact(String name, long dflt) {
    long v = getInt(name, dflt);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw error("attribute '" + name + "' = " + v + " is out of range");
    }
    return (int) v;
  }

  float getFloat(String name, float dflt) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return dflt;
    }
    check(a, AttributeType.FLOAT, a.hasF());
    return a.getF();
  }

  String getString(String name, String dflt) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return dflt;
    }
    check(a, AttributeType.STRING, a.hasS());
    return a.getS().toString(StandardCharsets.UTF_8);
  }

  /** The ints, or null when absent. */
  int[] getInts(String name) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    check(a, AttributeType.INTS, true);
    int[] out = new int[a.getIntsCount()];
    for (int i = 0; i < out.length; i++) {
      long v = a.getInts(i);
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw error("attribute '" + name + "' holds out-of-range value " + v);
      }
      out[i] = (int) v;
    }
    return out;
  }

  long[] getLongs(String name) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    check(a, AttributeType.INTS, true);
    return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  float[] getFloats(String name) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    check(a, AttributeType.FLOATS, true);
    float[] out = new float[a.getFloatsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getFloats(i);
    }
    return out;
  }

  TensorProto getTensor(String name) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    check(a, AttributeType.TENSOR, a.hasT());
    return a.getT();
  }

  /** Attribute names present, for ops whose attributes are alternatives (Constant). */
  Set<String> names() {
    return byName.keySet();
  }

  /**
   * IR version 1 files have no type discriminator; then the populated field decides. A declared
   * type that differs from the expected one is an error, not a conversion.
   */
  private void check(AttributeProto a, AttributeType expected, boolean populated) {
    if (a.hasType() && a.getType() != AttributeType.UNDEFINED) {
      if (a.getType() != expected) {
        throw error("attribute '" + a.getName() + "' is " + a.getType() + ", expected " + expected);
      }
    } else if (!populated) {
      throw error("attribute '" + a.getName() + "' has no " + expected + " value");
    }
  }

  private ModelFormatException error(String what) {
    return new ModelFormatException(where + ": node '" + nodeName + "' (" + opType + "): " + what);
  }
}
