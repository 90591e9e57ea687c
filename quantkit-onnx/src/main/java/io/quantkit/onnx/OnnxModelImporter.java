package io.quantkit.onnx;

import io.quantkit.ir.Graph;
import io.quantkit.model.ModelImporter;
import io.quantkit.model.ModelProbe;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@link ModelImporter} of ONNX models ({@link OnnxModel#load}). Registered with {@link
 * java.util.ServiceLoader}; stateless.
 *
 * <p>Recognition: an ONNX file is a serialized ModelProto, and every ONNX writer (protobuf's C++,
 * Python and Java serializers) writes fields in field-number order, so the file starts with
 * ir_version (field 1, a varint: byte 0x08) followed by another ModelProto field. No other format
 * quantkit reads starts that way (HDF5 starts with 0x89, zip with "PK").
 */
public final class OnnxModelImporter implements ModelImporter {
  /** ModelProto's field numbers and their wire types (0 varint, 2 length-delimited). */
  private static final int[][] MODEL_FIELDS = {{1, 0}, {2, 2}, {3, 2}, {4, 2}, {5, 0}, {6, 2}, {7, 2}, {8, 2},
      {14, 2}, {20, 2}, {25, 2}, {26, 2}};

  @Override
  public String name() {
    return "onnx";
  }

  @Override
  public Set<String> extensions() {
    return Set.of(".onnx");
  }

  @Override
  public boolean recognizes(ModelProbe probe) {
    if (probe.isDirectory() || probe.headLength() < 3 || probe.head(0) != 0x08) {
      return false;
    }
    // ir_version: a small varint (IR versions are 1..20 today)
    int pos = 1;
    long version = 0;
    int shift = 0;
    while (pos < probe.headLength() && shift < 35) {
      int b = probe.head(pos++);
      version |= (long) (b & 0x7F) << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (version < 1 || version > 100 || pos >= probe.headLength()) {
      return false;
    }
    // the next tag (one or two bytes) must be another ModelProto field
    int tag = probe.head(pos);
    if ((tag & 0x80) != 0) {
      if (pos + 1 >= probe.headLength()) {
        return false;
      }
      tag = (tag & 0x7F) | (probe.head(pos + 1) << 7);
    }
    int field = tag >>> 3;
    int wire = tag & 7;
    for (int[] f : MODEL_FIELDS) {
      if (f[0] == field && f[1] == wire) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Graph load(Path path) {
    return OnnxModel.load(path);
  }
}
