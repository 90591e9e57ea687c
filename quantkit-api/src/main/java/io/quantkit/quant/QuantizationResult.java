package io.quantkit.quant;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.ir.Graph;
import java.util.List;
import java.util.Map;

/**
 * What {@link Qdq#quantize} produced: the QDQ graph, the plan it actually used (every tensor that
 * got a QuantizeLinear or DequantizeLinear, weights and biases included), the nodes left FP32 and
 * why, the ReLU/Clip nodes folded into their producers, and warnings a user may want to act on
 * (excluded or unsupported ops, biases that stayed FP32, INT32 bias overflow).
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record QuantizationResult(
    Graph graph,
    QuantPlan plan,
    ImmutableMap<String, String> floatNodes,
    ImmutableList<String> foldedActivations,
    ImmutableList<String> warnings) {

  public QuantizationResult(Graph graph, QuantPlan plan, Map<String, String> floatNodes, List<String> foldedActivations,
      List<String> warnings) {
    this(graph, plan, ImmutableMap.copyOf(floatNodes), ImmutableList.copyOf(foldedActivations), ImmutableList.copyOf(warnings));
  }
}
