package io.quantkit.ir;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.GraphException;
import io.quantkit.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable dataflow graph: inputs, constant initializers (weights), nodes in topological
 * order, and named outputs. Tensor names are stable across passes and backends; they are the keys
 * of a quantization plan.
 *
 * <p>{@link Builder#build()} sorts nodes topologically and rejects dangling names, duplicate
 * producers and cycles, so every Graph a caller holds is well formed.
 *
 * <p>Thread-safety: immutable and thread-safe; its {@link Builder} is not.
 */
public final class Graph {
  private final String name;
  private final ImmutableList<ValueInfo> inputs;
  private final ImmutableList<String> outputs;
  private final ImmutableList<Node> nodes;
  private final ImmutableMap<String, Tensor> initializers;
  private final ImmutableMap<String, String> metadata;
  private final Map<String, Node> producers;
  private final ImmutableMap<String, ImmutableList<Node>> consumers;

  private Graph(Builder b, List<Node> sorted) {
    this.name = b.name;
    this.inputs = ImmutableList.copyOf(b.inputs);
    this.outputs = ImmutableList.copyOf(b.outputs);
    this.nodes = ImmutableList.copyOf(sorted);
    this.initializers = ImmutableMap.copyOf(b.initializers);
    this.metadata = ImmutableMap.copyOf(b.metadata);
    Map<String, Node> prod = new HashMap<>();
    Map<String, List<Node>> cons = new HashMap<>();
    for (Node n : nodes) {
      for (String o : n.outputs()) {
        prod.put(o, n);
      }
      for (String i : n.inputs()) {
        if (!i.isEmpty()) {
          cons.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
      }
    }
    this.producers = prod;
    ImmutableMap.Builder<String, ImmutableList<Node>> c = ImmutableMap.builderWithExpectedSize(cons.size());
    cons.forEach((k, v) -> c.put(k, ImmutableList.copyOf(v)));
    this.consumers = c.build();
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A builder holding this graph's contents, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.inputs.addAll(inputs);
    b.outputs.addAll(outputs);
    b.nodes.addAll(nodes);
    b.initializers.putAll(initializers);
    b.metadata.putAll(metadata);
    return b;
  }

  public String name() {
    return name;
  }

  public ImmutableList<ValueInfo> inputs() {
    return inputs;
  }

  public ValueInfo input() {
    Preconditions.checkState(inputs.size() == 1, "graph %s has %s inputs, not one", name, inputs.size());
    return inputs.get(0);
  }

  public ImmutableList<String> outputs() {
    return outputs;
  }

  public String output() {
    Preconditions.checkState(outputs.size() == 1, "graph %s has %s outputs, not one", name, outputs.size());
    return outputs.get(0);
  }

  public ImmutableList<Node> nodes() {
    return nodes;
  }

  public ImmutableMap<String, Tensor> initializers() {
    return initializers;
  }

  public Optional<Tensor> initializer(String tensorName) {
    return Optional.ofNullable(initializers.get(tensorName));
  }

  public boolean isInitializer(String tensorName) {
    return initializers.containsKey(tensorName);
  }

  /** Free-form facts about the model: source file, input layout, framework. */
  public ImmutableMap<String, String> metadata() {
    return metadata;
  }

  public Optional<Node> producer(String tensorName) {
    return Optional.ofNullable(producers.get(tensorName));
  }

  /** The nodes reading {@code tensorName}, in graph order (a node reading it twice appears once per read). */
  public ImmutableList<Node> consumers(String tensorName) {
    return consumers.getOrDefault(tensorName, ImmutableList.of());
  }

  public Optional<Node> node(String nodeName) {
    return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
  }

  /** The same graph with a different set of outputs, e.g. to expose intermediates to calibration. */
  public Graph withOutputs(List<String> newOutputs) {
    Builder b = toBuilder();
    b.outputs.clear();
    b.outputs.addAll(newOutputs);
    return b.build();
  }

  @Override
  public String toString() {
    return "Graph(" + name + ", " + nodes.size() + " nodes, " + initializers.size() + " initializers)";
  }

  /** Collects graph parts in any order; {@link #build()} validates and sorts. */
  public static final class Builder {
    private String name;
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String name) {
      this.name = name;
    }

    public Builder name(String newName) {
      this.name = newName;
      return this;
    }

    public Builder input(ValueInfo input) {
      inputs.add(input);
      return this;
    }

    public Builder output(String tensorName) {
      outputs.add(tensorName);
      return this;
    }

    public Builder clearOutputs() {
      outputs.clear();
      return this;
    }

    public Builder node(Node node) {
      nodes.add(node);
      return this;
    }

    public Builder clearNodes() {
      nodes.clear();
      return this;
    }

    public Builder initializer(String tensorName, Tensor value) {
      initializers.put(tensorName, value);
      return this;
    }

    public Builder removeInitializer(String tensorName) {
      initializers.remove(tensorName);
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    /** The nodes added so far, in the order added (a snapshot). */
    public ImmutableList<Node> nodes() {
      return ImmutableList.copyOf(nodes);
    }

    public boolean hasInitializer(String tensorName) {
      return initializers.containsKey(tensorName);
    }

    /** Validates names, sorts topologically and drops initializers nothing reads. */
    public Graph build() {
      Set<String> available = new HashSet<>();
      for (ValueInfo in : inputs) {
        if (!available.add(in.name())) {
          throw new GraphException("graph " + name + ": input '" + in.name() + "' declared twice");
        }
      }
      for (String init : initializers.keySet()) {
        if (!available.add(init)) {
          throw new GraphException("graph " + name + ": '" + init + "' is both an input and an initializer");
        }
      }
      Set<String> nodeNames = new HashSet<>();
      Map<String, Node> producerOf = new HashMap<>();
      for (Node n : nodes) {
        if (!nodeNames.add(n.name())) {
          throw new GraphException("graph " + name + ": node name '" + n.name() + "' used twice");
        }
        for (String o : n.outputs()) {
          if (available.contains(o) || producerOf.put(o, n) != null) {
            throw new GraphException("graph " + name + ": tensor '" + o + "' (output of node " + n.name() + ") is defined twice");
          }
        }
      }
      // Kahn's algorithm, stable with respect to the given order.
      Map<Node, Integer> pending = new LinkedHashMap<>();
      Map<String, List<Node>> waiting = new HashMap<>();
      Deque<Node> ready = new ArrayDeque<>();
      for (Node n : nodes) {
        int missing = 0;
        for (String i : n.inputs()) {
          if (i.isEmpty() || available.contains(i)) {
            continue;
          }
          if (!producerOf.containsKey(i)) {
            throw new GraphException("graph " + name + ": node " + n.name() + " (" + n.op().type() + ") reads '" + i
                + "', which no input, initializer or node defines");
          }
          missing++;
          waiting.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
        pending.put(n, missing);
        if (missing == 0) {
          ready.add(n);
        }
      }
      List<Node> sorted = new ArrayList<>(nodes.size());
      while (!ready.isEmpty()) {
        Node n = ready.poll();
        sorted.add(n);
        for (String o : n.outputs()) {
          for (Node c : waiting.getOrDefault(o, List.of())) {
            int left = pending.merge(c, -1, Integer::sum);
            if (left == 0) {
              ready.add(c);
            }
          }
        }
      }
      if (sorted.size() != nodes.size()) {
        List<String> stuck = new ArrayList<>();
        pending.forEach((n, left) -> {
          if (left > 0) {
            stuck.add(n.name());
          }
        });
        throw new GraphException("graph " + name + " has a cycle through nodes " + stuck);
      }
      if (outputs.isEmpty()) {
        throw new GraphException("graph " + name + " has no outputs");
      }
      for (String o : outputs) {
        if (!available.contains(o) && !producerOf.containsKey(o)) {
          throw new GraphException("graph " + name + ": output '" + o + "' is not produced by any node");
        }
      }
      Set<String> read = new HashSet<>(outputs);
      for (Node n : nodes) {
        read.addAll(n.inputs());
      }
      initializers.keySet().retainAll(read);
      return new Graph(this, sorted);
    }
  }
}
