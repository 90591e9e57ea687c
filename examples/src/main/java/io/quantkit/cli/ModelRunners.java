package io.quantkit.cli;

import io.quantkit.ModelFormatException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.ir.Graph;
import io.quantkit.tf.SavedModelOptions;
import io.quantkit.tf.SavedModels;
import io.quantkit.tf.TfBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Runners for a model on a backend: an IR model (.h5, .onnx) is imported and compiled; a model a
 * backend runs as it is (a SavedModel directory on tf) is opened there, with --input/--output
 * picking from its signature.
 */
final class ModelRunners {
  /** --input / --output for models run as they are. */
  static final class SignatureOptions {
    @Option(names = "--input", paramLabel = "NAME",
        description = "Model run as it is (SavedModel): the signature input to feed (default: its only input).")
    String input;

    @Option(names = "--output", paramLabel = "NAME",
        description = "Model run as it is (SavedModel): the signature output to score (default: its only output).")
    String output;
  }

  private final Map<Path, Graph> imported = new HashMap<>();

  /** "reference" for IR models; for a model file some backend runs as it is, the first such backend. */
  static String defaultBackend(Path model) {
    List<String> native_ = nativeBackends(model);
    return native_.isEmpty() ? "reference" : native_.get(0);
  }

  /** "fp32" or "int8" for an IR model or a SavedModel; null when a model file does not say. */
  String precision(Path model) {
    if (isIrModel(model)) {
      return ModelOptions.precisionOf(graph(model));
    }
    return SavedModels.isSavedModel(model) ? (SavedModels.isQuantized(model) ? "int8" : "fp32") : null;
  }

  /** Whether no backend runs {@code model} as it is (so it must be imported into the IR). */
  static boolean isIrModel(Path model) {
    return nativeBackends(model).isEmpty();
  }

  Runner open(String backendName, Path model, RunnerOptions options, SignatureOptions pick) {
    Backend backend = Backends.named(backendName);
    if (backend.canOpen(model)) {
      Runner r = backend instanceof TfBackend
          ? SavedModels.open(model, options, SavedModelOptions.builder().input(pick.input).output(pick.output).build())
          : backend.open(model, options);
      try {
        requireSingle(r.signature(), model, pick);
      } catch (RuntimeException e) {
        r.close();
        throw e;
      }
      return r;
    }
    List<String> native_ = nativeBackends(model);
    if (!native_.isEmpty()) {
      throw new ModelFormatException("backend '" + backendName + "' cannot run " + model + ", which has no IR import; "
          + "run it as it is on " + String.join(" or ", native_) + " (--backend " + native_.get(0) + "), or give "
          + backendName + " a converted model (.h5, .onnx)");
    }
    return backend.compile(graph(model), options);
  }

  /** The IR of an .h5 / .onnx file, imported once per path. */
  Graph graph(Path model) {
    return imported.computeIfAbsent(model, ModelOptions::load);
  }

  private static void requireSingle(Signature s, Path model, SignatureOptions pick) {
    if (s.inputs().size() > 1) {
      List<String> names = new ArrayList<>();
      s.inputs().forEach(v -> names.add(v.name()));
      throw new ModelFormatException(model + " has inputs " + names + "; pick the one to feed with --input NAME");
    }
    if (s.outputs().size() > 1) {
      throw new ModelFormatException(model + " has outputs " + s.outputs() + "; pick the one to score with --output NAME");
    }
  }

  private static List<String> nativeBackends(Path model) {
    List<String> out = new ArrayList<>();
    for (String name : Backends.available()) {
      if (Backends.named(name).canOpen(model)) {
        out.add(name);
      }
    }
    return out;
  }
}
