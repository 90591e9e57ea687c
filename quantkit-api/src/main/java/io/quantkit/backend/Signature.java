package io.quantkit.backend;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import java.util.List;

/**
 * What a {@link Runner} takes and gives: the model's name, its inputs (name, type, shape) and its
 * output names. A runner compiled from a {@link Graph} derives it from the graph; a runner that
 * executes a native model file as it is (a TorchScript archive, a SavedModel directory) reads it
 * from the file, because no IR exists for that model.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record Signature(String modelName, ImmutableList<ValueInfo> inputs, ImmutableList<String> outputs) {

  public Signature {
    Preconditions.checkNotNull(modelName, "modelName");
    Preconditions.checkArgument(!inputs.isEmpty(), "a model has at least one input");
    Preconditions.checkArgument(!outputs.isEmpty(), "a model has at least one output");
  }

  public static Signature of(String modelName, List<ValueInfo> inputs, List<String> outputs) {
    return new Signature(modelName, ImmutableList.copyOf(inputs), ImmutableList.copyOf(outputs));
  }

  public static Signature of(Graph graph) {
    return new Signature(graph.name(), graph.inputs(), graph.outputs());
  }

  /** The single input; fails with a message naming the inputs when there are several. */
  public ValueInfo input() {
    Preconditions.checkState(inputs.size() == 1, "model %s has %s inputs %s; name the one you mean", modelName,
        inputs.size(), inputs.stream().map(ValueInfo::name).toList());
    return inputs.get(0);
  }

  /** The single output; fails with a message naming the outputs when there are several. */
  public String output() {
    Preconditions.checkState(outputs.size() == 1, "model %s has %s outputs %s; name the one you mean", modelName,
        outputs.size(), outputs);
    return outputs.get(0);
  }
}
