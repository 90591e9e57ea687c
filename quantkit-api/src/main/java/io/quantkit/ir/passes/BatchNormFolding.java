package io.quantkit.ir.passes;

import io.quantkit.internal.Names;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Folds an inference BatchNormalization into the Conv that feeds it:
 * {@code W'[o] = W[o] * g[o] / sqrt(var[o] + eps)} and
 * {@code b'[o] = (b[o] - mean[o]) * g[o] / sqrt(var[o] + eps) + beta[o]} (b = 0 when the conv
 * had no bias), computed in double.
 *
 * <p>The folded conv writes the BatchNorm's output tensor, so every name downstream (and every
 * quantization plan key) is unchanged; the conv's own output name disappears. A folded weight
 * keeps its initializer name when nothing else reads it, otherwise gets a new one. A created
 * bias is named {@code <conv node>_bias}.
 *
 * <p>A BatchNorm is left as is when its input is not a Conv output read by it alone (and not a
 * graph output), or when any of its parameters or the conv's weight and bias are not constant
 * FLOAT32 initializers of matching length. Folding is idempotent.
 *
 * <p>Thread-safety: stateless; thread-safe (graphs are immutable, a new one is returned).
 */
public final class BatchNormFolding {
  private BatchNormFolding() {}

  public static Graph apply(Graph graph) {
    Graph.Builder b = graph.toBuilder();
    List<Node> nodes = new ArrayList<>(graph.nodes());
    Set<String> removed = new HashSet<>();
    Set<String> used = new HashSet<>(graph.initializers().keySet());
    graph.inputs().forEach(i -> used.add(i.name()));
    graph.nodes().forEach(n -> used.addAll(n.outputs()));
    boolean changed = false;
    for (Node bn : graph.nodes()) {
      if (!(bn.op() instanceof Op.BatchNorm)) {
        continue;
      }
      Optional<Node> convOpt = graph.producer(bn.input(0));
      if (convOpt.isEmpty() || !(convOpt.get().op() instanceof Op.Conv) || removed.contains(convOpt.get().name())) {
        continue;
      }
      Node conv = convOpt.get();
      String convOut = conv.output();
      if (graph.consumers(convOut).size() != 1 || graph.outputs().contains(convOut)) {
        continue;
      }
      Optional<Tensor> w = floatInit(graph, conv.input(1));
      if (w.isEmpty() || w.get().shape().rank() < 1) {
        continue;
      }
      int m = w.get().shape().dim(0);
      Optional<Tensor> gamma = vector(graph, bn.input(1), m);
      Optional<Tensor> beta = vector(graph, bn.input(2), m);
      Optional<Tensor> mean = vector(graph, bn.input(3), m);
      Optional<Tensor> var = vector(graph, bn.input(4), m);
      boolean hasBias = !conv.input(2).isEmpty();
      Optional<Tensor> bias = hasBias ? vector(graph, conv.input(2), m) : Optional.of(Tensor.wrapFloats(Shape.of(m), new float[m]));
      if (gamma.isEmpty() || beta.isEmpty() || mean.isEmpty() || var.isEmpty() || bias.isEmpty()) {
        continue;
      }
      float eps = ((Op.BatchNorm) bn.op()).epsilon();
      float[] wv = w.get().toFloatArray();
      int per = wv.length / m;
      float[] g = gamma.get().toFloatArray();
      float[] be = beta.get().toFloatArray();
      float[] mu = mean.get().toFloatArray();
      float[] va = var.get().toFloatArray();
      float[] bv = bias.get().toFloatArray();
      float[] newW = new float[wv.length];
      float[] newB = new float[m];
      for (int o = 0; o < m; o++) {
        double f = g[o] / Math.sqrt((double) va[o] + eps);
        for (int k = 0; k < per; k++) {
          newW[o * per + k] = (float) (wv[o * per + k] * f);
        }
        newB[o] = (float) ((bv[o] - (double) mu[o]) * f + be[o]);
      }
      String wName = conv.input(1);
      if (graph.consumers(wName).size() != 1) {
        wName = Names.unique(used, conv.name() + "_folded_weight");
      }
      String bName = hasBias && graph.consumers(conv.input(2)).size() == 1 ? conv.input(2)
          : Names.unique(used, conv.name() + (hasBias ? "_folded_bias" : "_bias"));
      b.initializer(wName, Tensor.wrapFloats(w.get().shape(), newW));
      b.initializer(bName, Tensor.wrapFloats(Shape.of(m), newB));
      Node folded = Node.of(conv.name(), conv.op(), List.of(conv.input(0), wName, bName), List.of(bn.output()));
      nodes.set(nodes.indexOf(conv), folded);
      nodes.remove(bn);
      removed.add(conv.name());
      changed = true;
    }
    if (!changed) {
      return graph;
    }
    b.clearNodes();
    nodes.forEach(b::node);
    return b.build();
  }

  private static Optional<Tensor> floatInit(Graph g, String name) {
    if (name.isEmpty()) {
      return Optional.empty();
    }
    return g.initializer(name).filter(t -> t.type() == DataType.FLOAT32);
  }

  private static Optional<Tensor> vector(Graph g, String name, int m) {
    return floatInit(g, name).filter(t -> t.size() == m);
  }
}
