package io.quantkit.pytorch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Signature;
import io.quantkit.internal.JsonFiles;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Writes IR graphs as TorchScript archives, in pure Java: files that {@code torch.jit.load}
 * (PyTorch 1.13 to 2.7 checked) and DJL's PyTorch engine open, with the layers' parameters under
 * their IR names ({@code model.conv2d_1.weight}). A QDQ graph (from {@code Qdq.quantize}) becomes
 * a module on PyTorch's quantized operators; see {@link TorchScriptTranslator} for the mapping.
 *
 * <p>Stateless and thread-safe.
 */
public final class TorchScriptModel {
  /** Tag of the run-contract record {@code extra/quantkit.json}. */
  static final String SIGNATURE_FORMAT = "quantkit.torchscript/1";
  private static final ObjectMapper JSON = JsonFiles.mapper();

  private TorchScriptModel() {}

  /** Translates and serializes {@code graph} in memory. */
  public static TorchScriptExport export(Graph graph) {
    TorchScriptTranslator.Result r = TorchScriptTranslator.translate(graph);
    Signature signature = Signature.of(graph);
    String json = signatureJson(signature, r);
    byte[] bytes = TorchScriptSerializer.write(r.root(), json);
    return new TorchScriptExport(bytes, TorchScriptSerializer.code(r.root()), signature, r.quantized(),
        ImmutableMap.copyOf(new TreeMap<>(r.kernels())), ImmutableList.copyOf(r.warnings()));
  }

  public static byte[] toBytes(Graph graph) {
    return export(graph).bytes();
  }

  /**
   * Writes {@code graph} to {@code file} atomically (a temporary file in the same folder, then
   * renamed), so a reader never sees half an archive; returns what was written.
   */
  public static TorchScriptExport save(Graph graph, Path file) {
    TorchScriptExport e = export(graph);
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      Files.write(tmp, e.bytes());
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException ex) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException ex) {
      throw new QuantkitException("cannot write TorchScript model " + file + ": " + ex.getMessage(), ex);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write already failed; that error is the one to report.
        }
      }
    }
    return e;
  }

  private static String signatureJson(Signature s, TorchScriptTranslator.Result r) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", SIGNATURE_FORMAT);
    root.put("model", s.modelName());
    ArrayNode inputs = root.putArray("inputs");
    for (ValueInfo in : s.inputs()) {
      ObjectNode i = inputs.addObject();
      i.put("name", in.name());
      i.put("type", in.type().name());
      ArrayNode dims = i.putArray("shape");
      for (int d : in.shape().toArray()) {
        dims.add(d);
      }
    }
    ArrayNode outputs = root.putArray("outputs");
    s.outputs().forEach(outputs::add);
    root.put("quantized", r.quantized());
    ObjectNode k = root.putObject("kernels");
    new TreeMap<>(r.kernels()).forEach(k::put);
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads the run contract written by {@link #signatureJson}. */
  static Signature parseSignature(String json, String where) {
    try {
      JsonNode root = JSON.readTree(json);
      if (!SIGNATURE_FORMAT.equals(root.path("format").asText())) {
        throw new ModelFormatException(where + ": unknown signature format '" + root.path("format").asText() + "'");
      }
      List<ValueInfo> inputs = new ArrayList<>();
      for (JsonNode i : root.path("inputs")) {
        JsonNode dims = i.path("shape");
        int[] shape = new int[dims.size()];
        for (int d = 0; d < shape.length; d++) {
          shape[d] = dims.get(d).asInt();
        }
        inputs.add(new ValueInfo(i.path("name").asText(), DataType.valueOf(i.path("type").asText()), Shape.of(shape)));
      }
      List<String> outputs = new ArrayList<>();
      root.path("outputs").forEach(o -> outputs.add(o.asText()));
      return Signature.of(root.path("model").asText(), inputs, outputs);
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      throw new ModelFormatException(where + ": unreadable signature record: " + e.getMessage(), e);
    }
  }
}
