package io.quantkit.backend;

import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A compiled graph ready for batch inference. Not thread-safe: use one runner per thread. Close it
 * to release native memory deterministically.
 */
public interface Runner extends AutoCloseable {

  /** The graph this runner executes (its inputs and outputs define {@link #run}'s contract). */
  Graph graph();

  /** Name of the backend that compiled it. */
  String backendName();

  /**
   * Runs one batch. {@code inputs} maps each graph input name to a tensor whose shape matches
   * the declared one (unknown dimensions, typically the batch, may take any size). Returns every
   * graph output by name.
   */
  Map<String, Tensor> run(Map<String, Tensor> inputs);

  /**
   * Runs one batch and hands the outputs to {@code consumer}, which must not keep them: they may be
   * views of buffers the runner reuses for the next batch. Backends that can skip copying outputs
   * to the Java heap do so here (calibration reads hundreds of MB of activations this way); the
   * default simply calls {@link #run(Map)}.
   */
  default void runScoped(Map<String, Tensor> inputs, Consumer<Map<String, Tensor>> consumer) {
    consumer.accept(run(inputs));
  }

  /** Single-input, single-output convenience form of {@link #run(Map)}. */
  default Tensor run(Tensor input) {
    Graph g = graph();
    return run(Map.of(g.input().name(), input)).get(g.output());
  }

  @Override
  void close();
}
