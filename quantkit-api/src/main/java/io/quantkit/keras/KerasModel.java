package io.quantkit.keras;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import io.quantkit.ir.Graph;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Imports a Keras 2.x model saved as HDF5 ({@code model.save("m.h5")}) into the quantkit IR.
 *
 * <p>The architecture comes from the root attribute {@code model_config} and the weights from
 * {@code model_weights/<layer>/...}. The imported graph is in the IR's canonical layout (NCHW,
 * OIHW convolution weights) but keeps the Keras model's input contract: each graph input has the
 * Keras input layer's name and its NHWC shape {@code [-1, H, W, C]} (float32, values exactly as the
 * Keras model takes them), and the graph transposes it to NCHW itself. Rank-4 outputs are
 * transposed back to NHWC, so outputs match Keras too.
 *
 * <p>Tensor names: a layer's output is named after the layer ({@code "conv2d_1"}); tensors inside
 * a layer's expansion are {@code "<layer>/<what>"} ({@code "conv2d_1/preact"}); weights are
 * {@code "<layer>/<keras weight>"} ({@code "conv2d_1/kernel"}, {@code "batch_normalization/gamma"}).
 * Graph metadata: {@code source} (file name), {@code framework} ({@code "keras <version>"}) and
 * {@code input_layout} ({@code "NHWC"}).
 *
 * <p>Thread-safety: stateless; thread-safe. Concurrent loads, of the same file too, are independent.
 */
public final class KerasModel {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Files up to this size are read into memory: jhdf then slices a buffer for every structure it
   * reads, so a damaged length field fails as an out-of-bounds read instead of allocating
   * whatever the field says (which, from a file channel, can exhaust the heap).
   */
  private static final long IN_MEMORY_LIMIT = 1L << 30;

  private KerasModel() {}

  /**
   * Reads the model in {@code h5}.
   *
   * @throws ModelFormatException if the file is missing, unreadable, not HDF5, not a Keras model,
   *     or inconsistent (malformed config, missing or mis-shaped weights)
   * @throws io.quantkit.UnsupportedOpException if a layer (or layer option) has no IR equivalent
   */
  public static Graph load(Path h5) {
    return importFile(h5).graph();
  }

  /** {@link #load} plus the Keras shape of every imported tensor, for tests. */
  static KerasImporter.Result importFile(Path h5) {
    Objects.requireNonNull(h5, "h5");
    String where = h5.toString();
    if (!Files.exists(h5)) {
      throw new ModelFormatException("Keras model file " + where + " does not exist");
    }
    if (!Files.isRegularFile(h5)) {
      throw new ModelFormatException("Keras model file " + where + " is not a regular file");
    }
    if (!Files.isReadable(h5)) {
      throw new ModelFormatException("Keras model file " + where + " is not readable");
    }
    HdfFile file = open(h5);
    try {
      requireComplete(file, h5);
      String configJson = rootString(file, "model_config", where);
      if (configJson == null) {
        throw new ModelFormatException("file " + where + " is an HDF5 file but not a Keras model: it has no 'model_config'"
            + " attribute (a file written by save_weights() holds weights only)");
      }
      JsonNode config = parseJson(configJson, where);
      String kerasVersion = rootString(file, "keras_version", where);
      H5Weights weights = new H5Weights(weightsRoot(file, where), where);
      String fileName = h5.getFileName() == null ? where : h5.getFileName().toString();
      return new KerasImporter(where, fileName, kerasVersion, config, weights).run();
    } catch (QuantkitException e) {
      throw e;
    } catch (RuntimeException e) {
      // jhdf reads lazily, so a damaged file can fail anywhere; every such failure is the file's fault.
      throw new ModelFormatException("cannot read Keras model " + where + ": " + describe(e), e);
    } finally {
      closeQuietly(file);
    }
  }

  private static HdfFile open(Path h5) {
    try {
      if (Files.size(h5) <= IN_MEMORY_LIMIT) {
        return HdfFile.fromBytes(Files.readAllBytes(h5));
      }
      return new HdfFile(h5);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read Keras model " + h5 + ": " + describe(e), e);
    } catch (RuntimeException e) {
      throw new ModelFormatException("cannot open Keras model " + h5 + " as HDF5: " + describe(e), e);
    }
  }

  /**
   * HDF5 records the file's length in its superblock. Checking it up front turns a cut-off
   * download into one clear message, and catches truncation in parts the importer never reads
   * (optimizer state), which would otherwise pass unnoticed.
   */
  private static void requireComplete(HdfFile file, Path h5) {
    long expected = file.getHdfBackingStorage().getUserBlockSize()
        + file.getHdfBackingStorage().getSuperblock().getEndOfFileAddress();
    long actual = file.size();
    if (actual < expected) {
      throw new ModelFormatException("Keras model file " + h5 + " is truncated: it has " + actual
          + " bytes, its HDF5 header says " + expected);
    }
  }

  private static void closeQuietly(HdfFile file) {
    try {
      file.close();
    } catch (RuntimeException e) {
      // Nothing was written, so a failing close loses nothing; the import result (or error) stands.
    }
  }

  /** A string attribute of the root group, or null when absent. */
  private static String rootString(HdfFile file, String name, String where) {
    Attribute a = file.getAttribute(name);
    if (a == null) {
      return null;
    }
    Object data = a.isEmpty() ? null : a.getData();
    if (data instanceof String) {
      return (String) data;
    }
    if (data instanceof String[] && ((String[]) data).length == 1) {
      return ((String[]) data)[0];
    }
    if (data instanceof byte[]) {
      return new String((byte[]) data, StandardCharsets.UTF_8);
    }
    throw new ModelFormatException("file " + where + ": root attribute '" + name + "' is not a string but "
        + (data == null ? "empty" : data.getClass().getSimpleName()));
  }

  /**
   * The group holding one subgroup per layer: {@code model_weights} for a full model; the root in
   * files whose weights sit at the top level (layer_names on the root).
   */
  private static Group weightsRoot(HdfFile file, String where) {
    Node mw = file.getChildren().get("model_weights");
    if (mw instanceof Group) {
      return (Group) mw;
    }
    if (file.getAttribute("layer_names") != null) {
      return file;
    }
    throw new ModelFormatException("file " + where + " has a Keras model_config but no 'model_weights' group"
        + " (saved with include_optimizer only, or truncated?)");
  }

  private static JsonNode parseJson(String json, String where) {
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) {
        throw new ModelFormatException("file " + where + ": model_config is not a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ModelFormatException("file " + where + ": model_config is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
