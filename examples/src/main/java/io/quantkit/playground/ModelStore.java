package io.quantkit.playground;

import io.quantkit.QuantkitException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.ValueInfo;
import io.quantkit.ir.passes.BatchNormFolding;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The models a playground can run: the embedded default and the user's uploads. Uploads are
 * size-limited while they stream into the playground's temporary folder under a generated name
 * (the user's file name is only displayed), must load as a model that takes CIFAR-10 images, and
 * are deleted from disk once loaded (the graph stays in memory; the oldest of more than
 * {@value #MAX_UPLOADS} are dropped). Thread-safe.
 */
final class ModelStore {
  static final String DEFAULT_ID = "default";
  /** Ops a user may keep in FP32 (the ones the QDQ placement quantizes). */
  private static final Set<String> QUANTIZABLE = Set.of("Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "AveragePool",
      "GlobalAveragePool", "MaxPool");
  private static final int MAX_UPLOADS = 16;

  /** One model: its id, what to show, where it came from, its graph and its quantizable nodes. */
  record Entry(String id, String name, String source, long bytes, Graph graph, List<String> nodes) {}

  private final Path uploads;
  private final long maxUploadBytes;
  private final Supplier<Path> defaultModel;
  private final Map<String, Entry> models = new LinkedHashMap<>();

  ModelStore(Path uploads, long maxUploadBytes, Supplier<Path> defaultModel) {
    this.uploads = uploads;
    this.maxUploadBytes = maxUploadBytes;
    this.defaultModel = defaultModel;
  }

  long maxUploadBytes() {
    return maxUploadBytes;
  }

  /** The entry, loading the default model on first use. */
  synchronized Entry get(String id) {
    if (DEFAULT_ID.equals(id) && !models.containsKey(DEFAULT_ID)) {
      Path file = defaultModel.get();
      try {
        models.put(DEFAULT_ID, entry(DEFAULT_ID, file.getFileName() + " (embedded ResNet8)", "default", Files.size(file),
            KerasModel.load(file)));
      } catch (IOException e) {
        throw new QuantkitException("cannot read the default model " + file + ": " + e.getMessage(), e);
      }
    }
    Entry e = models.get(id);
    if (e == null) {
      throw new PlaygroundException(404, "no model '" + id + "'");
    }
    return e;
  }

  synchronized List<Entry> list() {
    get(DEFAULT_ID);
    return new ArrayList<>(models.values());
  }

  /**
   * Stores an uploaded model. {@code fileName} only decides the format (.h5/.hdf5 or .onnx) and
   * the displayed name; {@code declaredLength} is the request's Content-Length (-1 when unknown).
   */
  Entry upload(String fileName, long declaredLength, InputStream body) throws IOException {
    String display = displayName(fileName);
    String lower = display.toLowerCase(Locale.ROOT);
    String ext = lower.endsWith(".onnx") ? ".onnx" : lower.endsWith(".h5") || lower.endsWith(".hdf5") ? ".h5" : null;
    if (ext == null) {
      throw new PlaygroundException(400, "upload a Keras .h5 or an .onnx file, not '" + display + "'");
    }
    if (declaredLength > maxUploadBytes) {
      throw new PlaygroundException(413, "the file has " + declaredLength + " bytes; uploads are limited to " + maxUploadBytes);
    }
    String id = "upload-" + UUID.randomUUID();
    // the file lives only while the model loads: the graph is kept in memory
    Path file = uploads.resolve(id + ext);
    try {
      long n = copyLimited(body, file);
      if (n == 0) {
        throw new PlaygroundException(400, "'" + display + "' is empty");
      }
      Graph g;
      try {
        g = ext.equals(".onnx") ? OnnxModel.load(file) : KerasModel.load(file);
      } catch (QuantkitException e) {
        throw new PlaygroundException(400, display + ": " + e.getMessage().replace(file.toString(), display));
      }
      checkCifarInput(display, g);
      Entry e = entry(id, display, "upload", n, g);
      synchronized (this) {
        models.put(id, e);
        evictOldUploads();
      }
      return e;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private long copyLimited(InputStream in, Path file) throws IOException {
    long total = 0;
    byte[] buf = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
        total += r;
        if (total > maxUploadBytes) {
          throw new PlaygroundException(413, "uploads are limited to " + maxUploadBytes + " bytes");
        }
        out.write(buf, 0, r);
      }
    }
    return total;
  }

  private static void checkCifarInput(String display, Graph g) {
    if (g.inputs().size() != 1) {
      throw new PlaygroundException(400, display + " has " + g.inputs().size() + " inputs; the playground runs models "
          + "with one image input");
    }
    ValueInfo in = g.input();
    int[] d = in.shape().toArray();
    if (d.length != 4 || d[1] != 32 || d[2] != 32 || d[3] != 3) {
      throw new PlaygroundException(400, display + " takes " + in.shape() + "; the playground evaluates on CIFAR-10 and "
          + "needs a model that takes [N, 32, 32, 3] images (raw 0..255 pixels) and gives 10 class scores");
    }
  }

  private void evictOldUploads() {
    List<String> ids = new ArrayList<>();
    models.keySet().stream().filter(k -> !k.equals(DEFAULT_ID)).forEach(ids::add);
    for (int i = 0; i + MAX_UPLOADS < ids.size(); i++) {
      models.remove(ids.get(i));
    }
  }

  private static Entry entry(String id, String name, String source, long bytes, Graph g) {
    List<String> nodes = new ArrayList<>();
    for (Node n : BatchNormFolding.apply(g).nodes()) {
      if (QUANTIZABLE.contains(n.op().type())) {
        nodes.add(n.name());
      }
    }
    return new Entry(id, name, source, bytes, g, List.copyOf(nodes));
  }

  /** The file name without any folder part, printable characters only, at most 120 of them. */
  static String displayName(String fileName) {
    String s = fileName == null ? "" : fileName;
    s = s.substring(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
    s = s.codePoints().filter(c -> c >= 0x20 && c != 0x7f).collect(StringBuilder::new, StringBuilder::appendCodePoint,
        StringBuilder::append).toString();
    return s.length() > 120 ? s.substring(0, 120) : s;
  }
}
