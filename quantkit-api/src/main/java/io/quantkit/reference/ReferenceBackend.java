package io.quantkit.reference;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Capabilities;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The pure-Java executor of the IR and the oracle other backends are checked against: every op
 * with ONNX opset-13 semantics, no native code, no graph rewriting ({@link
 * RunnerOptions#optimization()} is ignored). {@link RunnerOptions#threads()} sets the number of
 * worker threads (0 = all cores).
 *
 * <p>Thread-safety: stateless and thread-safe; its runners may be shared by many threads ({@link
 * ReferenceRunner}).
 */
public final class ReferenceBackend implements Backend {
  public static final String NAME = "reference";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Every op of the IR (its kernel table is an exhaustive {@link Op.Visitor}), every element type
   * (float kernels take FLOAT32 only, which {@link #check} reports per node), QDQ computed exactly
   * in float (dequantize, float op, quantize: the arithmetic other backends are compared with).
   */
  @Override
  public Capabilities capabilities() {
    return Capabilities.builder().ops(Op.classes()).dataTypes(EnumSet.allOf(DataType.class)).integerQdqKernels(false)
        .threadSafeRunners(true).build();
  }

  @Override
  public List<UnsupportedNode> check(Graph graph) {
    return ReferenceRunner.unsupported(graph, ShapeInference.infer(graph));
  }

  @Override
  public ReferenceRunner compile(Graph graph, RunnerOptions options) {
    return new ReferenceRunner(graph, options);
  }

  @Override
  public ReferenceRunner compile(Graph graph) {
    return compile(graph, RunnerOptions.defaults());
  }

  /**
   * One-off run returning the named tensors (inputs, initializers or intermediates) instead of
   * the graph outputs. For repeated runs compile once and use {@link ReferenceRunner#run(Map,
   * Collection)}.
   */
  public static Map<String, Tensor> execute(Graph graph, Map<String, Tensor> inputs, Collection<String> wanted) {
    try (ReferenceRunner runner = new ReferenceRunner(graph, RunnerOptions.defaults())) {
      return runner.run(inputs, wanted);
    }
  }
}
