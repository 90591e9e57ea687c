package io.quantkit.backend;

import io.quantkit.BackendException;
import io.quantkit.ir.Graph;
import java.nio.file.Path;

/**
 * Turns a {@link Graph} into a {@link Runner}. Implementations are discovered with
 * {@link java.util.ServiceLoader} (see {@link Backends}); a quantized model is simply a graph that
 * contains QuantizeLinear/DequantizeLinear nodes, so every backend that runs those runs INT8.
 *
 * <p>Thread-safety: implementations must be thread-safe ({@link #compile} and {@link #open} may be
 * called from several threads at once), and every runner they return follows {@link Runner}'s
 * contract: one runner may be shared by many threads.
 */
public interface Backend {

  /** Short name used on the command line: "reference", "onnx", "tf", "pytorch". */
  String name();

  /** Compiles the graph; the returned runner owns whatever native memory it needs. */
  Runner compile(Graph graph, RunnerOptions options);

  default Runner compile(Graph graph) {
    return compile(graph, RunnerOptions.defaults());
  }

  /**
   * Whether this backend runs {@code modelFile} as it is, in its own native format (a TorchScript
   * archive for PyTorch, a SavedModel directory for TensorFlow), without importing it into the IR.
   * Decided by content, not only by the file name.
   */
  default boolean canOpen(Path modelFile) {
    return false;
  }

  /**
   * Runs a native model file as it is (see {@link #canOpen}); the runner's {@link Runner#signature()}
   * comes from the file and its {@link Runner#graph()} throws. Backends without a native format
   * throw {@link BackendException}.
   */
  default Runner open(Path modelFile, RunnerOptions options) {
    throw new BackendException("backend '" + name() + "' does not run model files as they are: " + modelFile);
  }
}
