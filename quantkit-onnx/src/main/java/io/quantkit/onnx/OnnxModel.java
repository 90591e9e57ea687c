package io.quantkit.onnx;

import com.google.common.base.Preconditions;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import io.quantkit.internal.AtomicFiles;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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
    ByteBuffer bytes = readModelFile(file);
    Path dir = file.toAbsolutePath().getParent();
    return OnnxImporter.convert(parse(bytes, file.toString()), file.toString(), dir);
  }

  /**
   * Reads a model held in memory; {@code sourceName} appears in messages and metadata. Such a
   * model cannot refer to external data files.
   */
  public static Graph fromBytes(byte[] bytes, String sourceName) {
    Preconditions.checkNotNull(bytes, "bytes");
    return OnnxImporter.convert(parse(ByteBuffer.wrap(bytes), sourceName), sourceName, null);
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
    // streamed: the serialized model is never one array beside the proto and the graph
    ModelProto model = OnnxExporter.export(graph, options);
    try {
      AtomicFiles.write(file, out -> {
        java.io.BufferedOutputStream buffered = new java.io.BufferedOutputStream(chunked(out), 1 << 16);
        model.writeTo(buffered);
        buffered.flush();
      });
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

  /**
   * The model file in one direct (off-heap) buffer. Parsing aliases it, and large FLOAT32 weights
   * stay views into it ({@link TensorCodec#fromLittleEndian}), so a model's weights are held
   * once, off the heap, where ONNX Runtime can read them. The buffer is freed when the last
   * tensor viewing it is.
   */
  private static ByteBuffer readModelFile(Path file) {
    checkReadable(file, "ONNX model");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
      ByteBuffer out = ByteBuffer.allocateDirect((int) ch.size());
      while (out.hasRemaining() && ch.read(out) >= 0) {
        // a file that shrinks while it is read ends early; parsing then reports it truncated
      }
      return out.flip();
    } catch (NoSuchFileException e) {
      throw new ModelFormatException("ONNX model file " + file + " does not exist", e);
    } catch (IOException | UncheckedIOException e) {
      throw new ModelFormatException("cannot read ONNX model file " + file + ": " + e.getMessage(), e);
    }
  }

  private static void checkReadable(Path file, String what) {
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
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(what + " file " + file + " does not exist", e);
    } catch (IOException | UncheckedIOException e) {
      throw new ModelFormatException("cannot read " + what + " file " + file + ": " + e.getMessage(), e);
    }
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
      return readInChunks(file, (int) size);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(what + " file " + file + " does not exist", e);
    } catch (IOException | UncheckedIOException e) {
      throw new ModelFormatException("cannot read " + what + " file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Chunks this size or smaller keep the JDK's per-thread temporary direct buffers small. */
  static final int IO_CHUNK = 1 << 20;

  /**
   * The whole file, read in chunks of {@link #IO_CHUNK}: one read of a 500 MB model into a heap
   * array would make the JDK allocate (and keep, per thread) a direct buffer of 500 MB beside it.
   */
  private static byte[] readInChunks(Path file, int size) throws IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
      byte[] out = new byte[size];
      int at = 0;
      while (at < size) {
        int n = ch.read(java.nio.ByteBuffer.wrap(out, at, Math.min(IO_CHUNK, size - at)));
        if (n < 0) {
          return java.util.Arrays.copyOf(out, at); // the file shrank while it was read
        }
        at += n;
      }
      return out;
    }
  }

  /** Passes large writes on in chunks of {@link #IO_CHUNK} (see {@link #readInChunks}). */
  static java.io.OutputStream chunked(java.io.OutputStream out) {
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        for (int at = 0; at < len; at += IO_CHUNK) {
          out.write(b, off + at, Math.min(IO_CHUNK, len - at));
        }
      }
    };
  }

  private static ModelProto parse(ByteBuffer bytes, String where) {
    if (!bytes.hasRemaining()) {
      throw new ModelFormatException(where + " is empty, not an ONNX model");
    }
    ModelProto model;
    try {
      // an input over an immutable ByteString is the only kind protobuf lets alias its bytes
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
      in.setRecursionLimit(RECURSION_LIMIT);
      // raw_data then views the file's bytes instead of a copy of them
      in.enableAliasing(true);
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
