package io.quantkit.cli;

import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.model.Models;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --model: any format a model importer reads (Keras .h5, ONNX); the MLPerf Tiny ResNet8 in QUANTKIT_HOME by default. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "FILE", description = "Model file: Keras .h5 or .onnx, recognized by content, or a "
      + "TensorFlow SavedModel directory for eval/compare (default: ResNet8 in QUANTKIT_HOME).")
  Path model;

  Path path() {
    return model != null ? model : QuantkitHome.fromEnvironment().resnet8Model();
  }

  Graph load() {
    return load(path());
  }

  /** Any format a {@link io.quantkit.model.ModelImporter} on the class path reads, chosen by content. */
  static Graph load(Path file) {
    if (io.quantkit.tf.SavedModels.isSavedModel(file)) {
      throw new io.quantkit.ModelFormatException(file + " is a TensorFlow SavedModel, which has no IR import: run it as it "
          + "is with eval/compare on backend tf, or give this command the .h5 or .onnx it came from");
    }
    return Models.load(file);
  }

  /** "fp32" or "int8" depending on whether the graph carries quantize/dequantize nodes. */
  static String precisionOf(Graph graph) {
    boolean quantized = graph.nodes().stream().anyMatch(n -> n.op().type().endsWith("QuantizeLinear"));
    return quantized ? "int8" : "fp32";
  }
}
