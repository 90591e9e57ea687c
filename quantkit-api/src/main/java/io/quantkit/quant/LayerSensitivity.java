package io.quantkit.quant;

import com.google.common.base.Preconditions;
import io.quantkit.CalibrationException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.passes.GraphSimplification;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each quantizable layer costs: for every node the plan quantizes (Conv, Gemm, Add, pools,
 * ...; not the 8-bit passthrough ops, which follow their neighbours), the model is run on a
 * validation set twice, once with only that node INT8 (every other quantizable node excluded) and
 * once with only that node FP32, against the FP32 model: top-1, flipped predictions and output
 * SQNR. Both configurations reuse the plan's activation parameters (excluding nodes only removes
 * Q/DQ pairs), so nothing is recalibrated; a configuration that would need a tensor the plan lacks
 * is reported as {@link SensitivityReport.Layer#note()}.
 *
 * <p>Costs 2 x layers + 2 runs over the validation set.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class LayerSensitivity {
  private final RunnerOptions runnerOptions;
  private final int batchSize;

  private LayerSensitivity(RunnerOptions runnerOptions, int batchSize) {
    this.runnerOptions = runnerOptions;
    this.batchSize = batchSize;
  }

  public static LayerSensitivity defaults() {
    return new LayerSensitivity(RunnerOptions.defaults(), 100);
  }

  public LayerSensitivity runnerOptions(RunnerOptions value) {
    return new LayerSensitivity(Preconditions.checkNotNull(value), batchSize);
  }

  public LayerSensitivity batchSize(int value) {
    Preconditions.checkArgument(value >= 1, "batch size must be >= 1, got %s", value);
    return new LayerSensitivity(runnerOptions, value);
  }

  /**
   * The nodes {@code plan} quantizes and a sensitivity study varies (names of the simplified
   * graph, in graph order), excluding those the plan's options already keep FP32.
   */
  public static List<String> quantizableLayers(Graph fp32, QuantPlan plan) {
    Graph folded = plan.adjustments().apply(GraphSimplification.forQuantization(fp32, plan.options().simplifyGraph()));
    QdqPlacement p = QdqPlacement.of(folded, plan.options());
    List<String> out = new ArrayList<>();
    for (Node n : p.graph.nodes()) {
      QdqPlacement.Role r = p.roles.get(n.name());
      if (r == QdqPlacement.Role.WEIGHTED || r == QdqPlacement.Role.ELEMENTWISE) {
        out.add(n.name());
      }
    }
    return out;
  }

  /** Measures every quantizable layer of {@code plan} on {@code validation}, running on {@code backend}. */
  public SensitivityReport measure(Graph fp32, QuantPlan plan, ValidationSet validation, Backend backend) {
    List<String> layers = quantizableLayers(fp32, plan);
    ModelOutputs reference = reference(fp32, validation, backend);
    Score fp32Score = reference.score(reference);
    Score all = score(fp32, plan, plan.options(), validation, backend, reference);
    List<SensitivityReport.Layer> out = new ArrayList<>();
    Graph simplified = GraphSimplification.forQuantization(fp32, plan.options().simplifyGraph());
    for (String layer : layers) {
      Node node = simplified.node(layer).orElse(null);
      String op = node == null ? "?" : node.op().type();
      Set<String> others = new TreeSet<>(plan.options().excludeNodes());
      layers.stream().filter(l -> !l.equals(layer)).forEach(others::add);
      Score alone = null;
      Score kept = null;
      String note = null;
      try {
        alone = score(fp32, plan, plan.options().toBuilder().excludeNodes(others).build(), validation, backend, reference);
        Set<String> just = new TreeSet<>(plan.options().excludeNodes());
        just.add(layer);
        kept = score(fp32, plan, plan.options().toBuilder().excludeNodes(just).build(), validation, backend, reference);
      } catch (CalibrationException e) {
        note = e.getMessage();
      }
      out.add(new SensitivityReport.Layer(layer, op, alone, kept, note));
    }
    return new SensitivityReport(fp32.name(), validation.description(), backend.name(), fp32Score, all, out);
  }

  ModelOutputs reference(Graph fp32, ValidationSet validation, Backend backend) {
    return ModelOutputs.run(fp32, validation.dataset(), backend, runnerOptions, batchSize);
  }

  Score score(Graph fp32, QuantPlan plan, QuantOptions options, ValidationSet validation, Backend backend,
      ModelOutputs reference) {
    Graph q = Qdq.quantize(fp32, plan, options).graph();
    return ModelOutputs.run(q, validation.dataset(), backend, runnerOptions, batchSize).score(reference);
  }
}
