package io.quantkit.backend;

import io.quantkit.ir.Graph;

/**
 * Turns a {@link Graph} into a {@link Runner}. Implementations are discovered with
 * {@link java.util.ServiceLoader} (see {@link Backends}); a quantized model is simply a graph that
 * contains QuantizeLinear/DequantizeLinear nodes, so every backend that runs those runs INT8.
 */
public interface Backend {

  /** Short name used on the command line: "reference", "onnx", "tf", "pytorch". */
  String name();

  /** Compiles the graph; the returned runner owns whatever native memory it needs. */
  Runner compile(Graph graph, RunnerOptions options);

  default Runner compile(Graph graph) {
    return compile(graph, RunnerOptions.defaults());
  }
}
