package io.quantkit.ir.passes;

import com.google.common.collect.ImmutableList;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.QuantizedOpGroup.Input;
import io.quantkit.ir.passes.QuantizedOpGroup.Output;
import io.quantkit.ir.passes.QuantizedOpGroup.QdqParams;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the quantized operations of a QDQ graph: every node, other than QuantizeLinear and
 * DequantizeLinear themselves, that reads at least one tensor produced by a DequantizeLinear. See
 * {@link QuantizedOpGroup} for what each group resolves.
 *
 * <p>The graph is not changed; this is an analysis that backends (integer kernels, simulated
 * INT8), the inspector and tests share, so they all agree on which nodes form a quantized op. It
 * works on QDQ graphs from any tool: quantkit's {@code Qdq}, ONNX Runtime's quantizer, or a
 * hand-written model (zero points may be omitted, scales may be scalars or per-axis vectors).
 *
 * <p>Stateless and thread-safe.
 */
public final class QuantizedOpGroups {
  private QuantizedOpGroups() {}

  /** The groups of {@code graph}, in node (topological) order; empty for a float graph. */
  public static ImmutableList<QuantizedOpGroup> find(Graph graph) {
    ImmutableList.Builder<QuantizedOpGroup> groups = ImmutableList.builder();
    for (Node n : graph.nodes()) {
      if (isQdq(n)) {
        continue;
      }
      List<Input> inputs = new ArrayList<>(n.inputs().size());
      boolean any = false;
      for (int i = 0; i < n.inputs().size(); i++) {
        Input in = input(graph, i, n.input(i));
        any |= in.isDequantized();
        inputs.add(in);
      }
      if (any) {
        groups.add(new QuantizedOpGroup(n, ImmutableList.copyOf(inputs), output(graph, n)));
      }
    }
    return groups.build();
  }

  /**
   * The resolved scale and zero point of one QuantizeLinear or DequantizeLinear node of
   * {@code graph}, also one outside any group (the graph input's QuantizeLinear, a requantizing
   * pair); empty when they are not constants of the graph.
   *
   * @throws IllegalArgumentException when {@code qdq} is neither
   */
  public static Optional<QdqParams> params(Graph graph, Node qdq) {
    if (qdq.op() instanceof Op.QuantizeLinear) {
      return params(graph, qdq, ((Op.QuantizeLinear) qdq.op()).axis());
    }
    if (qdq.op() instanceof Op.DequantizeLinear) {
      return params(graph, qdq, ((Op.DequantizeLinear) qdq.op()).axis());
    }
    throw new IllegalArgumentException("node " + qdq.name() + " is " + qdq.op().type() + ", not QuantizeLinear/DequantizeLinear");
  }

  private static boolean isQdq(Node n) {
    return n.op() instanceof Op.QuantizeLinear || n.op() instanceof Op.DequantizeLinear;
  }

  private static Input input(Graph g, int index, String tensor) {
    Optional<Node> dq = tensor.isEmpty() ? Optional.empty()
        : g.producer(tensor).filter(p -> p.op() instanceof Op.DequantizeLinear);
    if (dq.isEmpty()) {
      return new Input(index, tensor, Optional.empty(), Optional.empty(), Optional.empty());
    }
    Node d = dq.get();
    return new Input(index, tensor, dq, params(g, d, ((Op.DequantizeLinear) d.op()).axis()), g.initializer(d.input(0)));
  }

  private static Optional<Output> output(Graph g, Node n) {
    String out = n.output();
    List<Node> quantizers = new ArrayList<>();
    boolean other = g.outputs().contains(out);
    for (Node c : g.consumers(out)) {
      if (c.op() instanceof Op.QuantizeLinear && c.input(0).equals(out)) {
        quantizers.add(c);
      } else {
        other = true;
      }
    }
    if (quantizers.size() != 1) {
      // none: a float output; several: no single output quantization to report
      return Optional.empty();
    }
    Node q = quantizers.get(0);
    return Optional.of(new Output(out, q, params(g, q, ((Op.QuantizeLinear) q.op()).axis()), other));
  }

  /** The node's scale and zero point when both are initializers (a missing zero point is fine). */
  private static Optional<QdqParams> params(Graph g, Node qdq, int axis) {
    Optional<Tensor> scale = g.initializer(qdq.input(1));
    String zpName = qdq.input(2);
    Optional<Tensor> zp = zpName.isEmpty() ? Optional.empty() : g.initializer(zpName);
    if (scale.isEmpty() || (!zpName.isEmpty() && zp.isEmpty()) || scale.get().type() != DataType.FLOAT32) {
      return Optional.empty();
    }
    return Optional.of(new QdqParams(scale.get(), zp, type(g, qdq, zp), axis));
  }

  /**
   * The integer type: the zero point's; for a DequantizeLinear without one, the type of what it
   * reads (an initializer, or the output of a QuantizeLinear with a zero point); else UINT8.
   */
  private static DataType type(Graph g, Node qdq, Optional<Tensor> zp) {
    if (zp.isPresent()) {
      return zp.get().type();
    }
    if (qdq.op() instanceof Op.DequantizeLinear) {
      String data = qdq.input(0);
      Optional<Tensor> constant = g.initializer(data);
      if (constant.isPresent()) {
        return constant.get().type();
      }
      Optional<Node> q = g.producer(data).filter(p -> p.op() instanceof Op.QuantizeLinear);
      if (q.isPresent() && !q.get().input(2).isEmpty()) {
        Optional<Tensor> qzp = g.initializer(q.get().input(2));
        if (qzp.isPresent()) {
          return qzp.get().type();
        }
      }
    }
    return DataType.UINT8;
  }
}
