package io.quantkit.cli;

import io.quantkit.ModelFormatException;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** --model: a Keras .h5 or an .onnx file; the MLPerf Tiny ResNet8 in QUANTKIT_HOME by default. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "FILE", description = "Keras .h5, .onnx, or a TorchScript .pt (run as it is on pytorch) (default: ResNet8 in QUANTKIT_HOME).")
  Path model;

  Path path() {
    return model != null ? model : QuantkitHome.fromEnvironment().resnet8Model();
  }

  Graph load() {
    return load(path());
  }

  static Graph load(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".h5") || name.endsWith(".hdf5") || name.endsWith(".keras.h5")) {
      return KerasModel.load(file);
    }
    if (name.endsWith(".onnx")) {
      return OnnxModel.load(file);
    }
    String nativeBackend = NativeModels.nativeBackendOf(file);
    if (nativeBackend != null) {
      throw new ModelFormatException(file + " is a model file that backend '" + nativeBackend + "' runs as it is, without "
          + "an IR: use --backend " + nativeBackend + " (compare: --backends " + nativeBackend + "=" + file + ")");
    }
    throw new ModelFormatException(file + ": unknown model format (expected a Keras .h5 or an .onnx file)");
  }

  /** "fp32" or "int8" depending on whether the graph carries quantize/dequantize nodes. */
  static String precisionOf(Graph graph) {
    boolean quantized = graph.nodes().stream().anyMatch(n -> n.op().type().endsWith("QuantizeLinear"));
    return quantized ? "int8" : "fp32";
  }
}
