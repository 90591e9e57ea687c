package io.quantkit.onnx;

import com.google.common.base.Preconditions;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import io.quantkit.internal.AtomicFiles;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads and writes ONNX model files as quantkit {@link Graph}s.
 *
 * <p>Import understands the forms of the IR's operators from opset 1 to 21 (Conv, Gemm, MatMul,
 * pools, BatchNormalization, Clip, Add, Mul, Flatten, Reshape, Softmax, Concat, Transpose,
 * QuantizeLinear, DequantizeLinear), turns Constant nodes into initializers and passes
 * Identity/Dropout through; any other operator raises {@link io.quantkit.UnsupportedOpException}.
 * Export writes opset 13 by default, with weights as raw little-endian initializers.
 *
 * <p>Every failure is a {@link ModelFormatException} (or subclass) whose message names the file.
 *
 * <p>Thread-safety: stateless; thread-safe. Concurrent saves of the same file each leave a whole file.
 */
public final class OnnxModel {
  /** Protobuf's default nesting limit is 100; real graphs nest only a few levels. */
  private static final int RECURSION_LIMIT = 100;

  private OnnxModel() {}

  /** Reads an ONNX file; external tensor data is read only from the file's own folder. */
  public static Graph load(Path file) {
    byte[] bytes = readFile(file, "ONNX model");
    Path dir = file.toAbsolutePath().getParent();
    return OnnxImporter.convert(parse(bytes, file.toString()), file.toString(), dir);
  }

  /**
   * Reads a model held in memory; {@code sourceName} appears in messages and metadata. Such a
   * model cannot refer to external data files.
   */
  public static Graph fromBytes(byte[] bytes, String sourceName) {
    Preconditions.checkNotNull(bytes, "bytes");
    return OnnxImporter.convert(parse(bytes, sourceName), sourceName, null);
  }

  /** Writes {@code graph} with the default options (opset 13). */
  public static void save(Graph graph, Path file) {
    save(graph, file, ExportOptions.defaults());
  }

  /**
   * Writes atomically: into a temporary file in the target's folder, then renamed over the
   * target, so a reader never sees half a model; the file gets the permissions a plain write
   * would give it ({@link AtomicFiles}).
   */
  public static void save(Graph graph, Path file, ExportOptions options) {
    byte[] bytes = toBytes(graph, options);
    try {
      AtomicFiles.write(file, bytes);
    } catch (IOException e) {
      throw new QuantkitException("cannot write ONNX model " + file + ": " + AtomicFiles.reason(e), e);
    }
  }

  public static byte[] toBytes(Graph graph) {
    return toBytes(graph, ExportOptions.defaults());
  }

  public static byte[] toBytes(Graph graph, ExportOptions options) {
    return OnnxExporter.export(graph, options).toByteArray();
  }

  /**
   * Reads one serialized TensorProto, the format of ONNX's test data ({@code input_0.pb}). Element
   * types outside quantkit's raise {@link UnsupportedDataTypeException}.
   */
  public static Tensor loadTensor(Path file) {
    byte[] bytes = readFile(file, "tensor");
    TensorProto p;
    try {
      p = TensorProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(file + " is not a serialized ONNX TensorProto: " + e.getMessage(), e);
    }
    return TensorCodec.decode(p, file.toString(), file.toAbsolutePath().getParent());
  }

  /** Serializes one tensor as an ONNX TensorProto (raw_data), the inverse of {@link #loadTensor}. */
  public static byte[] tensorToBytes(String name, Tensor tensor) {
    return TensorCodec.encode(name, tensor).toByteArray();
  }

  private static byte[] readFile(Path file, String what) {
    try {
      if (Files.exists(file) && !Files.isRegularFile(file)) {
        // A device or pipe (/dev/zero through a link named x.onnx) would be read without end.
        throw new ModelFormatException(what + " file " + file + " is not a regular file");
      }
      // Protobuf messages are limited to 2 GiB; larger models keep their weights in external data.
      long size = Files.size(file);
      if (size > Integer.MAX_VALUE - 8) {
        throw new ModelFormatException(what + " file " + file + " is " + size + " bytes, over protobuf's 2 GiB limit");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(what + " file " + file + " does not exist", e);
    } catch (IOException | UncheckedIOException e) {
      throw new ModelFormatException("cannot read " + what + " file " + file + ": " + e.getMessage(), e);
    }
  }

  private static ModelProto parse(byte[] bytes, String where) {
    if (bytes.length == 0) {
      throw new ModelFormatException(where + " is empty, not an ONNX model");
    }
    ModelProto model;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setRecursionLimit(RECURSION_LIMIT);
      model = ModelProto.parseFrom(in);
      in.checkLastTagWas(0);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(where + " is not a valid ONNX model (truncated or not protobuf): " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelFormatException(where + " could not be parsed: " + e.getMessage(), e);
    }
    if (!model.hasGraph() || !model.hasIrVersion()) {
      throw new ModelFormatException(where + " is not an ONNX model: " + (model.hasGraph() ? "it has no ir_version" : "it has no graph"));
    }
    return model;
  }
}
