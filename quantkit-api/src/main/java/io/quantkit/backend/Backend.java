package io.quantkit.backend;

import io.quantkit.BackendException;
import io.quantkit.ir.Graph;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns a {@link Graph} into a {@link Runner}. Implementations are discovered with
 * {@link java.util.ServiceLoader} (see {@link Backends}); a quantized model is simply a graph that
 * contains QuantizeLinear/DequantizeLinear nodes, so every backend that runs those runs INT8.
 *
 * <p>Before compiling, a caller can ask what the backend does ({@link #capabilities()}) and which
 * nodes of a graph it cannot run, with reasons ({@link #check}). Settings that only one backend
 * understands travel in {@link RunnerOptions#extension(Class)}. Every backend module runs the
 * shared conformance suite ({@code io.quantkit.conformance.BackendConformanceKit} in
 * quantkit-onnx's test-jar); CONTRIBUTING.md lists the steps of adding a backend.
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
   * The ops and element types this backend runs, whether QDQ runs as integer kernels, and whether
   * runners may be shared between threads. The default, for backends that do not say, claims every
   * op and type ({@link Capabilities#unspecified()}); then {@link #compile} is the first to refuse.
   */
  default Capabilities capabilities() {
    return Capabilities.unspecified();
  }

  /**
   * The nodes of {@code graph} this backend cannot run, each with the reason, in graph order;
   * empty when {@link #compile} should succeed. The default checks op classes and element types
   * against {@link #capabilities()}; backends with finer rules (an attribute value a runtime
   * refuses) add theirs.
   *
   * @throws io.quantkit.GraphException if the graph itself is inconsistent
   */
  default List<UnsupportedNode> check(Graph graph) {
    return capabilities().check(graph, name());
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
