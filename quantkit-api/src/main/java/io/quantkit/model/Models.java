package io.quantkit.model;

import com.google.common.collect.ImmutableList;
import io.quantkit.ModelFormatException;
import io.quantkit.backend.Backend;
import io.quantkit.ir.Graph;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Loads a model file into the IR with whichever {@link ModelImporter} on the class path
 * recognizes its content: Keras .h5 (HDF5 signature), ONNX (a protobuf ModelProto), and whatever
 * other modules register. The file name's extension is used only when no importer recognizes the
 * content, so a model saved under the wrong name still loads, and a damaged file still gets its
 * format's precise error. Thread-safe.
 */
public final class Models {
  private Models() {}

  /**
   * Imports {@code path}.
   *
   * @throws ModelFormatException if it does not exist, no importer reads it (the message names the
   *     format when it is one quantkit knows but cannot import, such as a TorchScript archive), or
   *     the importer finds it malformed
   * @throws io.quantkit.UnsupportedOpsException listing every unsupported layer or node
   */
  public static Graph load(Path path) {
    ModelProbe probe = ModelProbe.of(path);
    return importerFor(probe).load(path);
  }

  /**
   * The importer {@link #load} would use for {@code path}: the first whose content check accepts
   * it; failing that, unless the content is a format quantkit knows no importer for, the first
   * whose extension the file has.
   */
  public static Optional<ModelImporter> importerFor(Path path) {
    return choose(ModelProbe.of(path), importers());
  }

  /** Every importer on the class path, in {@link ServiceLoader} order. */
  public static ImmutableList<ModelImporter> importers() {
    List<ModelImporter> out = new ArrayList<>();
    ServiceLoader.load(ModelImporter.class).forEach(out::add);
    return ImmutableList.copyOf(out);
  }

  private static Optional<ModelImporter> choose(ModelProbe probe, List<ModelImporter> all) {
    for (ModelImporter i : all) {
      if (i.recognizes(probe)) {
        return Optional.of(i);
      }
    }
    if (knownFormat(probe) != null || probe.isDirectory() || probe.extension().isEmpty()) {
      return Optional.empty();
    }
    return all.stream().filter(i -> i.extensions().contains(probe.extension())).findFirst();
  }

  private static ModelImporter importerFor(ModelProbe probe) {
    List<ModelImporter> all = importers();
    Optional<ModelImporter> chosen = choose(probe, all);
    if (chosen.isPresent()) {
      return chosen.get();
    }
    String known = knownFormat(probe);
    if (known != null) {
      throw new ModelFormatException(probe.path() + " is " + known + ", which no model importer on the class path reads"
          + " into quantkit's IR (importers: " + names(all) + ")" + nativeRunners(probe.path()));
    }
    throw new ModelFormatException(probe.path() + ": unknown model format" + (probe.isDirectory() ? " (a directory)" : "")
        + "; readable formats: " + names(all));
  }

  /** Formats quantkit can name but no importer reads yet. */
  private static String knownFormat(ModelProbe probe) {
    if (probe.directoryHolds("saved_model.pb") || probe.directoryHolds("saved_model.pbtxt")) {
      return "a TensorFlow SavedModel directory";
    }
    if (probe.isZip()) {
      return "a zip archive (a TorchScript model?)";
    }
    if (probe.isHdf5()) {
      return "an HDF5 file";
    }
    return null;
  }

  /** Backends that run the file as it is, for the message. */
  private static String nativeRunners(Path path) {
    List<String> names = new ArrayList<>();
    for (Backend b : ServiceLoader.load(Backend.class)) {
      try {
        if (b.canOpen(path)) {
          names.add(b.name());
        }
      } catch (RuntimeException e) {
        // a backend that cannot even probe the file does not run it
      }
    }
    return names.isEmpty() ? "" : "; backends that run it as it is: " + names;
  }

  private static String names(List<ModelImporter> importers) {
    List<String> out = new ArrayList<>();
    for (ModelImporter i : importers) {
      out.add(i.name() + " " + i.extensions());
    }
    return out.isEmpty() ? "none" : String.join(", ", out);
  }
}
