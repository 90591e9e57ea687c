package io.quantkit.cli;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Runners for a model file: a backend that runs the file in its own format (a TorchScript .pt on
 * "pytorch") opens it as it is; otherwise the file is imported into the IR and compiled.
 */
final class NativeModels {
  private NativeModels() {}

  /**
   * A backend spec is {@code NAME} (compile the --model) or {@code NAME=FILE} (run FILE as it is
   * on that backend, e.g. {@code pytorch=resnet8.pt}).
   */
  static Runner runner(String spec, Path model, Supplier<Graph> graph, RunnerOptions options) {
    int eq = spec.indexOf('=');
    String name = eq < 0 ? spec : spec.substring(0, eq);
    Backend backend = Backends.named(name);
    if (eq >= 0) {
      return backend.open(Path.of(spec.substring(eq + 1)), options);
    }
    if (backend.canOpen(model)) {
      return backend.open(model, options);
    }
    return backend.compile(graph.get(), options);
  }

  /** Name of a backend that runs {@code file} as it is, or null. */
  static String nativeBackendOf(Path file) {
    for (String name : Backends.available()) {
      if (Backends.named(name).canOpen(file)) {
        return name;
      }
    }
    return null;
  }
}
