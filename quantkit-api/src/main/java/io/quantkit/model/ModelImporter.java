package io.quantkit.model;

import io.quantkit.ir.Graph;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads one model format into the IR. Implementations are found with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/io.quantkit.model.ModelImporter});
 * {@link Models#load} asks each whether it {@link #recognizes} a file's content and hands the file
 * to the first that does. quantkit-api registers the Keras .h5 importer, quantkit-onnx the ONNX one.
 *
 * <p>Implementations are stateless and thread-safe; {@link #load} reports every unsupported
 * layer or node of a model at once ({@link io.quantkit.UnsupportedOpsException}) and every other
 * problem as a {@link io.quantkit.ModelFormatException} naming the file.
 */
public interface ModelImporter {

  /** Short name of the format, for messages: "keras-h5", "onnx". */
  String name();

  /**
   * File name endings of the format, lower case with the dot (".h5"). Only a fallback: {@link
   * Models#load} hands a file it recognizes by no importer's content check to the importer whose
   * extension it has, so that a damaged file gets that importer's precise error.
   */
  Set<String> extensions();

  /**
   * Whether the model at {@link ModelProbe#path()} is in this format, decided from its content
   * (signature bytes, directory layout), never from the name alone. Must not throw.
   */
  boolean recognizes(ModelProbe probe);

  /** Imports the model. */
  Graph load(Path path);
}
