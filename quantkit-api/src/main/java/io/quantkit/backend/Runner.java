package io.quantkit.backend;

import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A compiled graph ready for batch inference. Close it to release native memory deterministically.
 *
 * <p><b>Thread-safety contract</b> (every implementation): {@link #run}, {@link #runScoped} and
 * {@link #signature()} may be called by any number of threads at once on one runner, and each
 * call returns exactly what it would return alone (bit-identical outputs). A runner keeps no
 * per-call state in its own fields: buffers it reuses between calls are owned by one call at a
 * time (borrowed per call or per thread). {@link #close()} may be called from any thread; it waits
 * for the calls in flight, and calls that start after it throw {@link io.quantkit.BackendException}.
 * A backend that cannot run calls concurrently must serialize them or detect concurrent use and
 * throw; it must never return wrong outputs. {@code io.quantkit.testing.ConcurrentRunnerCheck}
 * (quantkit-api's test jar) checks the contract for any backend.
 */
public interface Runner extends AutoCloseable {

  /**
   * The graph this runner executes. A runner that executes a native model file as it is (see
   * {@link Backend#open}) has no IR and throws {@link UnsupportedOperationException}; use
   * {@link #signature()} for what {@link #run} takes and gives.
   */
  Graph graph();

  /** The model's name, inputs and outputs: {@link #run}'s contract. */
  default Signature signature() {
    return Signature.of(graph());
  }

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
   * views of buffers the runner reuses for a later batch (never for a batch running at the same
   * time: the buffers belong to this call until the consumer returns). The consumer must not
   * close this runner. Backends that can skip copying outputs
   * to the Java heap do so here (calibration reads hundreds of MB of activations this way); the
   * default simply calls {@link #run(Map)}.
   */
  default void runScoped(Map<String, Tensor> inputs, Consumer<Map<String, Tensor>> consumer) {
    consumer.accept(run(inputs));
  }

  /** Single-input, single-output convenience form of {@link #run(Map)}. */
  default Tensor run(Tensor input) {
    Signature s = signature();
    return run(Map.of(s.input().name(), input)).get(s.output());
  }

  @Override
  void close();
}
