package io.quantkit.ir.passes;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.internal.Names;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Zero-pads the input channels of a QDQ graph's quantized convolutions that read a graph input
 * (the stem of an image network: 3 channels) up to a multiple of {@code multiple}. Off unless a
 * caller applies it; for ONNX Runtime on x86 a multiple of 4 is what its integer direct
 * convolution needs ({@code MlasConvSym} requires input channels divisible by 4; with 3 a
 * QLinearConv falls back to im2col + GEMM, which on ResNet8 made the INT8 stem ~3x slower than
 * the FP32 one).
 *
 * <p>The rewrite, for a Conv (one group) whose weight is a DequantizeLinear of a constant INT8/UINT8
 * initializer {@code [M, C, k...]} and whose data input comes from a FLOAT32 graph input through
 * per-tensor QuantizeLinear / DequantizeLinear and Transpose nodes only, each read by the next
 * alone, with at least one QuantizeLinear:
 * <ul>
 *   <li>a padding node between the graph input and the chain: a MatMul by {@code [I_C | 0]} when
 *       the channel axis is the input's last (NHWC), a 1x1 Conv with weights {@code [I_C ; 0]}
 *       when it is axis 1 (NCHW); the input's declared shape is unchanged;
 *   <li>the weight initializer gets {@code C' - C} more input channels holding the weight zero
 *       point, so they dequantize to exactly 0.
 * </ul>
 * The padded channels quantize to the activation zero point (0.0 exactly) and meet zero weights,
 * so every product they add is an exact zero, in integer kernels and in float ones: outputs are
 * the same as the unpadded graph's, bit for bit, for finite inputs (an infinite input value would
 * spread NaN to its pixel's other channels through the padding node's zero products). Names of
 * existing tensors do not change; new ones start with the graph input's name. Convolutions that
 * do not match are left as they are; applying the pass twice changes nothing more.
 *
 * <p>Backend-neutral: MatMul and Conv are in every backend's operator set. Whether it pays depends
 * on the backend's kernels: measure it ({@code quantkit-bench}: precision {@code int8-pad4}).
 *
 * <p>Thread-safety: stateless; thread-safe (graphs are immutable, a new one is returned).
 */
public final class ConvChannelPadding {
  private ConvChannelPadding() {}

  /** What the rewrite of one convolution needs. */
  private record Match(Node conv, String weight, Tensor weightValue, Tensor zeroPoint, String input, Node first, int axis,
      int rank) {}

  /**
   * Returns {@code graph} with the matching convolutions' input channels padded to a multiple of
   * {@code multiple}; {@code graph} itself when none matches.
   */
  public static Graph apply(Graph graph, int multiple) {
    Preconditions.checkArgument(multiple >= 1, "channel multiple must be >= 1, got %s", multiple);
    Graph g = graph;
    for (Node n : graph.nodes()) {
      Optional<Match> m = match(g, g.node(n.name()).orElse(null), multiple);
      if (m.isPresent()) {
        g = rewrite(g, m.get(), multiple);
      }
    }
    return g;
  }

  private static Optional<Match> match(Graph g, Node conv, int multiple) {
    if (conv == null || !(conv.op() instanceof Op.Conv op) || op.groups() != 1 || conv.inputs().size() < 2) {
      return Optional.empty();
    }
    Optional<Node> dqw = g.producer(conv.input(1));
    if (dqw.isEmpty() || !(dqw.get().op() instanceof Op.DequantizeLinear dq) || g.consumers(conv.input(1)).size() != 1) {
      return Optional.empty();
    }
    String weight = dqw.get().input(0);
    Optional<Tensor> w = g.initializer(weight);
    if (w.isEmpty() || (w.get().type() != DataType.INT8 && w.get().type() != DataType.UINT8) || w.get().shape().rank() < 3
        || g.consumers(weight).size() != 1 || w.get().shape().dim(1) % multiple == 0) {
      return Optional.empty();
    }
    int outChannels = w.get().shape().dim(0);
    Tensor zp = Tensor.wrapBytes(w.get().type(), Shape.of(1), new byte[1]);
    if (dqw.get().inputs().size() > 2 && !dqw.get().input(2).isEmpty()) {
      Optional<Tensor> z = g.initializer(dqw.get().input(2));
      boolean perChannel = z.isPresent() && z.get().size() == outChannels && (dq.axis() == 0 || dq.axis() == -w.get().shape().rank());
      if (z.isEmpty() || z.get().type() != w.get().type() || (z.get().size() != 1 && !perChannel)) {
        return Optional.empty();
      }
      zp = z.get();
    }
    // Walk from the conv's data input back to a graph input, following where the channel axis goes.
    String t = conv.input(0);
    int axis = 1;
    boolean quantized = false;
    Node first = conv;
    while (true) {
      if (g.outputs().contains(t) || g.consumers(t).size() != 1) {
        return Optional.empty();
      }
      first = g.consumers(t).get(0);
      String current = t;
      Optional<ValueInfo> input = g.inputs().stream().filter(v -> v.name().equals(current)).findFirst();
      if (input.isPresent()) {
        ValueInfo vi = input.get();
        int rank = vi.shape().rank();
        boolean last = axis == rank - 1;
        if (!quantized || vi.type() != DataType.FLOAT32 || rank < 3 || (!last && axis != 1)
            || vi.shape().dim(axis) != w.get().shape().dim(1)) {
          return Optional.empty();
        }
        return Optional.of(new Match(conv, weight, w.get(), zp, t, first, axis, rank));
      }
      Optional<Node> p = g.producer(t);
      if (p.isEmpty()) {
        return Optional.empty();
      }
      Op producerOp = p.get().op();
      if (producerOp instanceof Op.QuantizeLinear || producerOp instanceof Op.DequantizeLinear) {
        if (!perTensor(g, p.get())) {
          return Optional.empty();
        }
        quantized |= producerOp instanceof Op.QuantizeLinear;
      } else if (producerOp instanceof Op.Transpose tr) {
        if (axis >= tr.perm().length()) {
          return Optional.empty();
        }
        axis = tr.perm().get(axis);
      } else {
        return Optional.empty();
      }
      t = p.get().input(0);
    }
  }

  /** Scale and zero point constant with one element each. */
  private static boolean perTensor(Graph g, Node qdq) {
    for (int i = 1; i < Math.min(3, qdq.inputs().size()); i++) {
      String name = qdq.input(i);
      if (!name.isEmpty() && g.initializer(name).map(v -> v.size() != 1).orElse(true)) {
        return false;
      }
    }
    return true;
  }

  private static Graph rewrite(Graph g, Match m, int multiple) {
    Shape ws = m.weightValue().shape();
    int outChannels = ws.dim(0);
    int c = ws.dim(1);
    int padded = (c + multiple - 1) / multiple * multiple;
    int kernel = ws.size(2, ws.rank());

    byte[] src = m.weightValue().toByteArray();
    byte[] dst = new byte[outChannels * padded * kernel];
    for (int o = 0; o < outChannels; o++) {
      byte zero = (byte) m.zeroPoint().getLong(m.zeroPoint().size() == 1 ? 0 : o);
      java.util.Arrays.fill(dst, o * padded * kernel, (o + 1) * padded * kernel, zero);
      System.arraycopy(src, o * c * kernel, dst, o * padded * kernel, c * kernel);
    }
    int[] dims = new int[ws.rank()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = i == 1 ? padded : ws.dim(i);
    }

    Set<String> used = new HashSet<>(g.initializers().keySet());
    g.inputs().forEach(v -> used.add(v.name()));
    g.nodes().forEach(n -> {
      used.addAll(n.outputs());
      used.add(n.name());
    });
    String matrix = Names.unique(used, m.input() + "/channel_pad_weights");
    used.add(matrix);
    String out = Names.unique(used, m.input() + "/channels_padded");
    used.add(out);
    String nodeName = Names.unique(used, m.input() + "/pad_channels");

    Graph.Builder b = g.toBuilder().clearNodes();
    b.initializer(m.weight(), Tensor.wrapBytes(m.weightValue().type(), Shape.of(dims), dst));
    Node pad;
    if (m.axis() == m.rank() - 1) {
      float[] p = new float[c * padded];
      for (int i = 0; i < c; i++) {
        p[i * padded + i] = 1f;
      }
      b.initializer(matrix, Tensor.wrapFloats(Shape.of(c, padded), p));
      pad = Node.of(nodeName, new Op.MatMul(), ImmutableList.of(m.input(), matrix), ImmutableList.of(out));
    } else {
      int spatial = m.rank() - 2;
      int[] wdims = new int[m.rank()];
      java.util.Arrays.fill(wdims, 1);
      wdims[0] = padded;
      wdims[1] = c;
      float[] p = new float[padded * c];
      for (int i = 0; i < c; i++) {
        p[i * c + i] = 1f;
      }
      b.initializer(matrix, Tensor.wrapFloats(Shape.of(wdims), p));
      int[] ones = new int[spatial];
      java.util.Arrays.fill(ones, 1);
      pad = Node.of(nodeName, new Op.Conv(ImmutableIntArray.copyOf(ones), ImmutableIntArray.copyOf(ones), ImmutableIntArray.copyOf(ones), 1,
          Padding.Explicit.zeros(spatial)), ImmutableList.of(m.input(), matrix), ImmutableList.of(out));
    }
    for (Node n : g.nodes()) {
      if (n.name().equals(m.first().name())) {
        b.node(pad);
        List<String> inputs = new ArrayList<>(n.inputs());
        inputs.set(0, out);
        n = Node.of(n.name(), n.op(), inputs, n.outputs());
      }
      b.node(n);
    }
    return b.build();
  }
}
