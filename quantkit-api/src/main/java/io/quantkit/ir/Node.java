package io.quantkit.ir;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * One operation applied to named tensors. An empty string in {@code inputs} marks an omitted
 * optional input (as in ONNX).
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record Node(String name, Op op, ImmutableList<String> inputs, ImmutableList<String> outputs) {
  public Node {
    Preconditions.checkArgument(name != null && !name.isEmpty(), "node name must not be empty (op %s)", op);
    Preconditions.checkNotNull(op, "node %s has no op", name);
    Preconditions.checkArgument(!outputs.isEmpty(), "node %s has no outputs", name);
  }

  public static Node of(String name, Op op, List<String> inputs, List<String> outputs) {
    return new Node(name, op, ImmutableList.copyOf(inputs), ImmutableList.copyOf(outputs));
  }

  public String input(int i) {
    return i < inputs.size() ? inputs.get(i) : "";
  }

  public String output() {
    return outputs.get(0);
  }

  @Override
  public String toString() {
    return op.type() + " '" + name + "' " + inputs + " -> " + outputs;
  }
}
