package io.quantkit.reference;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.BackendException;
import io.quantkit.GraphException;
import io.quantkit.QuantkitException;
import io.quantkit.UnsupportedOpsException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.RunGate;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a graph node by node in topological order with plain Java kernels. Besides the graph
 * outputs it can return any intermediate tensor ({@link #run(Map, Collection)}), which is what
 * calibration and layer-by-layer comparisons need.
 *
 * <p>Thread-safe: any number of threads may call {@link #run} at once on one runner. What a run
 * changes lives in the run itself (its live values) or is borrowed by one thread at a time (the
 * workers' scratch buffers); the runner's own fields are immutable after construction, except the
 * shape cache, which is replaced as a whole. {@link #close()} waits for runs in flight.
 */
public final class ReferenceRunner implements Runner {
  private final Graph graph;
  private final Workers workers;
  private final Map<String, Value> constants = new HashMap<>();
  /**
   * FLOAT32 initializers of at least {@link #LARGE_CONSTANT_BYTES}, kept as the graph's tensors
   * (often views of the model file) and copied into an array only while the node reading them
   * runs: a second resident copy of every weight would cost as much memory as the model itself.
   */
  private final Map<String, Tensor> largeConstants = new HashMap<>();
  static final long LARGE_CONSTANT_BYTES = 16L << 20;
  /** Index of the last node reading each tensor, to drop intermediates as soon as possible. */
  private final Map<String, Integer> lastUse = new HashMap<>();
  private final Set<String> allTensors = new HashSet<>();
  /** Shapes of every tensor for the last input shapes seen (batches repeat); replaced, never mutated. */
  private volatile ShapeCache shapeCache;
  private final RunGate gate;

  private record ShapeCache(Map<String, Shape> inputShapes, Map<String, ValueInfo> info) {}

  ReferenceRunner(Graph graph, RunnerOptions options) {
    this.graph = graph;
    Map<String, ValueInfo> info = ShapeInference.infer(graph);
    UnsupportedOpsException.throwIfAny("backend '" + ReferenceBackend.NAME + "' cannot run graph '" + graph.name() + "'",
        unsupported(graph, info));
    graph.initializers().forEach((name, t) -> {
      if (t.type() == DataType.FLOAT32 && 4L * t.size() >= LARGE_CONSTANT_BYTES) {
        largeConstants.put(name, t);
      } else {
        constants.put(name, Value.fromTensor(t));
      }
    });
    List<Node> nodes = graph.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      for (String in : nodes.get(i).inputs()) {
        lastUse.put(in, i);
      }
    }
    allTensors.addAll(info.keySet());
    this.workers = new Workers(options.threads());
    this.gate = new RunGate("reference runner for graph " + graph.name());
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public String backendName() {
    return ReferenceBackend.NAME;
  }

  /** Number of worker threads, the calling thread included. */
  public int threads() {
    return workers.count();
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    return run(inputs, graph.outputs());
  }

  /**
   * Runs the graph and returns the tensors named in {@code wanted}, in that order: graph inputs,
   * initializers or any node output.
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> wanted) {
    try (RunGate.Pass pass = gate.enter()) {
      return runOpen(inputs, wanted);
    }
  }

  private Map<String, Tensor> runOpen(Map<String, Tensor> inputs, Collection<String> wanted) {
    for (String w : wanted) {
      if (!allTensors.contains(w)) {
        throw new BackendException("graph " + graph.name() + " has no tensor named '" + w + "'");
      }
    }
    Map<String, Shape> shapes = checkInputs(inputs);
    Map<String, ValueInfo> info = infoFor(shapes);
    Set<String> keep = new HashSet<>(wanted);
    Map<String, Value> live = new HashMap<>(constants);
    Map<String, Tensor> given = new HashMap<>();
    for (ValueInfo in : graph.inputs()) {
      Tensor t = inputs.get(in.name());
      given.put(in.name(), t);
      live.put(in.name(), Value.fromTensor(t));
    }
    List<Node> nodes = graph.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      Value[] args = new Value[n.inputs().size()];
      for (int j = 0; j < args.length; j++) {
        String name = n.inputs().get(j);
        if (name.isEmpty()) {
          args[j] = null;
        } else {
          Tensor large = largeConstants.get(name);
          args[j] = large != null ? Value.fromTensor(large) : live.get(name);
        }
      }
      live.put(n.output(), execute(n, args, info.get(n.output()).shape()));
      for (String in : n.inputs()) {
        if (lastUse.get(in) == i && !keep.contains(in) && !constants.containsKey(in)) {
          live.remove(in);
        }
      }
    }
    ImmutableMap.Builder<String, Tensor> out = ImmutableMap.builder();
    for (String w : new LinkedHashSet<>(wanted)) {
      if (given.containsKey(w)) {
        out.put(w, given.get(w));
      } else if (graph.isInitializer(w)) {
        out.put(w, graph.initializers().get(w));
      } else {
        out.put(w, live.get(w).toTensor());
      }
    }
    return out.build();
  }

  @Override
  public void close() {
    if (gate.close()) {
      workers.close();
    }
  }

  // ---- validation ----

  /**
   * Nodes the kernel table cannot run: a float kernel given a non-float input. Every op has a
   * kernel ({@link Kernels} is an exhaustive visitor), so op types are never the problem.
   */
  static List<UnsupportedNode> unsupported(Graph graph, Map<String, ValueInfo> info) {
    List<UnsupportedNode> out = new ArrayList<>();
    for (Node n : graph.nodes()) {
      if (!n.op().accept(Kernels.TABLE).floatOnly()) {
        continue;
      }
      for (String in : n.inputs()) {
        if (!in.isEmpty() && info.get(in).type() != DataType.FLOAT32) {
          out.add(new UnsupportedNode(n.name(), n.op().type(),
              "input '" + in + "' is " + info.get(in).type() + "; the reference backend runs this op on FLOAT32 only"));
          break;
        }
      }
    }
    return ImmutableList.copyOf(out);
  }

  private Map<String, Shape> checkInputs(Map<String, Tensor> inputs) {
    List<String> declared = new ArrayList<>();
    for (ValueInfo in : graph.inputs()) {
      declared.add(in.name());
    }
    for (String name : inputs.keySet()) {
      if (!declared.contains(name)) {
        throw new BackendException("graph " + graph.name() + " has no input '" + name + "'; its inputs are " + declared);
      }
    }
    Map<String, Shape> shapes = new LinkedHashMap<>();
    for (ValueInfo in : graph.inputs()) {
      Tensor t = inputs.get(in.name());
      if (t == null) {
        throw new BackendException("graph " + graph.name() + ": input '" + in.name() + "' is missing; its inputs are "
            + declared);
      }
      if (t.type() != in.type()) {
        throw new BackendException("graph " + graph.name() + ": input '" + in.name() + "' is " + t.type()
            + " but the graph declares " + in.type());
      }
      Shape s = t.shape();
      boolean ok = s.rank() == in.shape().rank();
      for (int i = 0; ok && i < s.rank(); i++) {
        ok = in.shape().dim(i) == Shape.UNKNOWN || in.shape().dim(i) == s.dim(i);
      }
      if (!ok) {
        throw new BackendException("graph " + graph.name() + ": input '" + in.name() + "' has shape " + s
            + " but the graph declares " + in.shape());
      }
      shapes.put(in.name(), s);
    }
    return shapes;
  }

  /** Shapes of every tensor for these input shapes; the last answer is kept since batches repeat. */
  private Map<String, ValueInfo> infoFor(Map<String, Shape> shapes) {
    ShapeCache cache = shapeCache;
    if (cache == null || !shapes.equals(cache.inputShapes())) {
      try {
        cache = new ShapeCache(shapes, ShapeInference.infer(graph, shapes));
      } catch (GraphException e) {
        throw new BackendException("graph " + graph.name() + " cannot run on inputs of shape " + shapes + ": "
            + e.getMessage(), e);
      }
      shapeCache = cache;
    }
    return cache.info();
  }

  // ---- execution ----

  private Value execute(Node n, Value[] in, Shape out) {
    try {
      return dispatch(n, in, out);
    } catch (QuantkitException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException("node '" + n.name() + "' (" + n.op().type() + ") failed on inputs "
          + describe(n, in) + ": " + e, e);
    }
  }

  private Value dispatch(Node n, Value[] in, Shape out) {
    return n.op().accept(Kernels.TABLE).run(workers, in, out);
  }

  private static String describe(Node n, Value[] in) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < in.length; i++) {
      parts.add(n.input(i) + (in[i] == null ? "" : " " + in[i].type + in[i].shape));
    }
    return ImmutableList.copyOf(parts).toString();
  }
}
