package io.quantkit.onnx;

import com.google.protobuf.UnsafeByteOperations;
import io.quantkit.ModelFormatException;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * TensorProto to and from {@link Tensor}, including data stored in external files.
 *
 * <p>FLOAT32 tensors of {@link #OFF_HEAP_BYTES} or more are decoded into direct (off-heap, native
 * byte order) memory: ONNX Runtime then uses a model's weights where they are, as external
 * initializers, instead of holding a copy of its own ({@link OrtBackend}).
 */
final class TensorCodec {
  /** Smaller tensors stay on the heap: a direct buffer costs more than it saves there. */
  static final int OFF_HEAP_BYTES = 1 << 16;
  /** The external data location of an initializer whose data ONNX Runtime gets in memory. */
  static final String IN_MEMORY = "quantkit-in-memory";

  private TensorCodec() {}

  /**
   * Always raw_data: compact, and what ONNX Runtime reads fastest. The little-endian bytes are
   * wrapped, not copied again, so a large weight is held twice at most while it is encoded.
   */
  static TensorProto encode(String name, Tensor t) {
    TensorProto.Builder b = TensorProto.newBuilder()
        .setName(name)
        .setDataType(OnnxTypes.toOnnx(t.type()))
        .setRawData(UnsafeByteOperations.unsafeWrap(t.toLittleEndianBytes()));
    for (int d : t.shape().toArray()) {
      b.addDims(d);
    }
    return b.build();
  }

  /** Name, type and shape only, its data marked as given to ONNX Runtime in memory. */
  static TensorProto encodeInMemory(String name, Tensor t) {
    TensorProto.Builder b = TensorProto.newBuilder()
        .setName(name)
        .setDataType(OnnxTypes.toOnnx(t.type()))
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(IN_MEMORY));
    for (int d : t.shape().toArray()) {
      b.addDims(d);
    }
    return b.build();
  }

  /**
   * Little-endian raw bytes as a tensor; large FLOAT32 data goes off the heap (see the class
   * comment). Raw bytes that are already off the heap (a model file read by
   * {@link OnnxModel#load}) are viewed in place on little-endian machines, not copied.
   */
  static Tensor fromLittleEndian(DataType type, Shape shape, ByteBuffer raw) {
    if (type != DataType.FLOAT32 || raw.remaining() < OFF_HEAP_BYTES || raw.remaining() != shape.size() * 4L) {
      return Tensor.fromLittleEndian(type, shape, raw);
    }
    if (raw.isDirect() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      return Tensor.viewOf(shape, raw.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(raw.remaining()).order(ByteOrder.nativeOrder());
    FloatBuffer floats = direct.asFloatBuffer();
    floats.put(raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
    floats.flip();
    return Tensor.viewOf(shape, floats);
  }

  /**
   * Decodes a tensor. {@code where} names the file (and context) for messages; {@code modelDir}
   * is the folder external data must live in, or null when the model did not come from a file.
   */
  static Tensor decode(TensorProto p, String where, Path modelDir) {
    String name = p.getName().isEmpty() ? "<unnamed>" : p.getName();
    if (!p.hasDataType() || p.getDataType() == TensorProto.DataType.UNDEFINED_VALUE) {
      throw new ModelFormatException(where + ": tensor '" + name + "' has no data_type");
    }
    DataType type = OnnxTypes.require(p.getDataType(), name, where);
    if (p.hasSegment()) {
      throw new ModelFormatException(where + ": tensor '" + name + "' is stored in segments, which quantkit does not read");
    }
    long count = 1;
    long[] dims = new long[p.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = p.getDims(i);
      if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
        throw new ModelFormatException(where + ": tensor '" + name + "' has invalid dimension " + dims[i] + " in " + p.getDimsList());
      }
      count *= dims[i];
      if (count > Integer.MAX_VALUE) {
        throw new ModelFormatException(where + ": tensor '" + name + "' has more than 2^31 elements " + p.getDimsList());
      }
    }
    Shape shape = Shape.of(dims);
    int n = (int) count;
    long expectedBytes = (long) n * type.byteSize();
    if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      ByteBuffer raw = readExternal(p, name, where, modelDir, expectedBytes);
      return fromLittleEndian(type, shape, raw);
    }
    if (p.hasRawData()) {
      if (p.getRawData().size() != expectedBytes) {
        throw new ModelFormatException(where + ": tensor '" + name + "' raw_data holds " + p.getRawData().size()
            + " bytes, but " + type + " " + shape + " needs " + expectedBytes);
      }
      return fromLittleEndian(type, shape, p.getRawData().asReadOnlyByteBuffer());
    }
    switch (type) {
      case FLOAT32: {
        checkCount(p.getFloatDataCount(), n, "float_data", name, shape, where);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = p.getFloatData(i);
        }
        return Tensor.wrapFloats(shape, v);
      }
      case INT8:
      case UINT8: {
        checkCount(p.getInt32DataCount(), n, "int32_data", name, shape, where);
        byte[] v = new byte[n];
        int lo = type == DataType.INT8 ? -128 : 0;
        int hi = type == DataType.INT8 ? 127 : 255;
        for (int i = 0; i < n; i++) {
          int x = p.getInt32Data(i);
          if (x < lo || x > hi) {
            throw new ModelFormatException(where + ": tensor '" + name + "' (" + type + ") holds " + x + " at element " + i
                + ", outside [" + lo + ", " + hi + "]");
          }
          v[i] = (byte) x;
        }
        return Tensor.wrapBytes(type, shape, v);
      }
      case INT32: {
        checkCount(p.getInt32DataCount(), n, "int32_data", name, shape, where);
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = p.getInt32Data(i);
        }
        return Tensor.wrapInts(shape, v);
      }
      case INT64: {
        checkCount(p.getInt64DataCount(), n, "int64_data", name, shape, where);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = p.getInt64Data(i);
        }
        return Tensor.ofLongs(shape, v);
      }
      default:
        throw new AssertionError(type);
    }
  }

  private static void checkCount(int found, int n, String field, String name, Shape shape, String where) {
    if (found != n) {
      throw new ModelFormatException(where + ": tensor '" + name + "' has " + found + " values in " + field
          + (found == 0 ? " and no raw_data" : "") + ", but shape " + shape + " needs " + n);
    }
  }

  /**
   * Reads external data, which must be a regular file inside the model's folder: a model must not
   * be able to make quantkit read arbitrary files (absolute paths, "..", symbolic links out).
   */
  private static ByteBuffer readExternal(TensorProto p, String name, String where, Path modelDir, long expectedBytes) {
    Map<String, String> kv = new HashMap<>();
    for (StringStringEntryProto e : p.getExternalDataList()) {
      kv.put(e.getKey(), e.getValue());
    }
    String location = kv.get("location");
    if (location == null || location.isEmpty()) {
      throw new ModelFormatException(where + ": tensor '" + name + "' is EXTERNAL but has no 'location'");
    }
    if (modelDir == null) {
      throw new ModelFormatException(where + ": tensor '" + name + "' keeps its data in external file '" + location
          + "'; load the model from its file so quantkit knows the folder to read it from");
    }
    Path base;
    Path file;
    try {
      base = modelDir.toAbsolutePath().normalize();
      Path rel = Path.of(location);
      if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
        throw new ExternalDataException(where + ": tensor '" + name + "' names external data by absolute path '" + location
            + "'; only paths relative to the model's folder are allowed");
      }
      file = base.resolve(rel).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new ExternalDataException(where + ": tensor '" + name + "' has an invalid external data location '" + location + "'", e);
    }
    if (!file.startsWith(base) || file.equals(base)) {
      throw new ExternalDataException(where + ": tensor '" + name + "' external data location '" + location
          + "' points outside the model's folder " + base);
    }
    long offset = parseLong(kv.get("offset"), 0, "offset", name, where);
    long length = parseLong(kv.get("length"), expectedBytes, "length", name, where);
    if (length != expectedBytes) {
      throw new ModelFormatException(where + ": tensor '" + name + "' external data length " + length + " bytes, but its shape needs "
          + expectedBytes);
    }
    try {
      if (!Files.isRegularFile(file)) {
        throw new ModelFormatException(where + ": tensor '" + name + "' external data file " + file + " does not exist");
      }
      // Symbolic links are resolved only now, so a link inside the folder cannot lead outside it.
      Path real = file.toRealPath();
      if (!real.startsWith(base.toRealPath())) {
        throw new ExternalDataException(where + ": tensor '" + name + "' external data location '" + location
            + "' resolves to " + real + ", outside the model's folder");
      }
      try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ)) {
        if (offset + length > ch.size()) {
          throw new ModelFormatException(where + ": tensor '" + name + "' wants bytes " + offset + ".." + (offset + length)
              + " of " + real.getFileName() + ", which holds only " + ch.size());
        }
        ByteBuffer buf = ByteBuffer.allocate((int) length);
        ch.position(offset);
        while (buf.hasRemaining()) {
          // in chunks: the JDK reads into a heap buffer through a temporary direct one of the request's size
          ByteBuffer window = buf.slice();
          window.limit(Math.min(window.remaining(), OnnxModel.IO_CHUNK));
          int n = ch.read(window);
          buf.position(buf.position() + Math.max(n, 0));
          if (n < 0) {
            throw new ModelFormatException(where + ": external data file " + real + " ended early");
          }
        }
        buf.flip();
        return buf;
      }
    } catch (IOException e) {
      throw new ModelFormatException(where + ": cannot read external data of tensor '" + name + "' from " + file + ": " + e.getMessage(), e);
    }
  }

  private static long parseLong(String s, long dflt, String key, String name, String where) {
    if (s == null) {
      return dflt;
    }
    try {
      long v = Long.parseLong(s.trim());
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new NumberFormatException("out of range");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new ModelFormatException(where + ": tensor '" + name + "' has invalid external data " + key + " '" + s + "'");
    }
  }
}
