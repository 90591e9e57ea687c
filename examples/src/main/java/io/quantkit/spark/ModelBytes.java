package io.quantkit.spark;

import com.google.common.hash.Hashing;
import io.quantkit.ModelFormatException;
import io.quantkit.ir.Graph;
import io.quantkit.model.Models;
import io.quantkit.onnx.OnnxModel;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model file's bytes, sent to executors (in a broadcast variable) and imported there once per JVM
 * with the importer the single machine uses ({@link Models#load}), so each executor compiles the
 * graph the driver sees. Immutable.
 */
public final class ModelBytes implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Map<String, Graph> GRAPHS = new ConcurrentHashMap<>();

  private final String fileName;
  private final byte[] bytes;
  private final String digest;

  private ModelBytes(String fileName, byte[] bytes) {
    this.fileName = fileName;
    this.bytes = bytes;
    this.digest = Hashing.sha256().hashBytes(bytes).toString();
  }

  /** The bytes of a model file (.onnx, .h5, ...). */
  public static ModelBytes of(Path file) {
    try {
      return new ModelBytes(file.getFileName().toString(), Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ModelFormatException("cannot read model " + file + ": " + e.getMessage(), e);
    }
  }

  /** A graph as ONNX bytes (for models made on the driver, such as a sweep's QDQ models). */
  public static ModelBytes of(Graph graph, String fileName) {
    return new ModelBytes(fileName, OnnxModel.toBytes(graph));
  }

  public String fileName() {
    return fileName;
  }

  /** SHA-256 of the bytes: the model's identity in the executors' caches. */
  public String digest() {
    return digest;
  }

  public int size() {
    return bytes.length;
  }

  /** The imported graph, once per JVM and model. */
  public Graph graph() {
    return GRAPHS.computeIfAbsent(digest, d -> {
      try {
        String suffix = fileName.contains(".") ? fileName.substring(fileName.lastIndexOf('.')) : "";
        Path tmp = Files.createTempFile("quantkit-" + d.substring(0, 12), suffix);
        try {
          Files.write(tmp, bytes);
          return Models.load(tmp);
        } finally {
          Files.deleteIfExists(tmp);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot stage model " + fileName + " for import: " + e.getMessage(), e);
      }
    });
  }
}
