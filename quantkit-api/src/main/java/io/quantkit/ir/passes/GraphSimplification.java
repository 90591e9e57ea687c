package io.quantkit.ir.passes;

import io.quantkit.GraphException;
import io.quantkit.internal.Names;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites that leave the function of a graph unchanged (within float rounding) but give the
 * quantizer fewer, better-conditioned ops. Applied before calibration and QDQ placement when
 * {@code QuantOptions.simplifyGraph()} is on (the default):
 * <ul>
 *   <li>BatchNorm after a Conv is folded ({@link BatchNormFolding}).
 *   <li>A per-channel affine op after a Conv, Gemm or MatMul (a BatchNorm, or a Mul/Add by a constant
 *       that varies at most along the channel axis) is folded into its weights and bias; a MatMul
 *       with a 2-D input that gains a bias becomes a Gemm.
 *   <li>The same affine op before a Conv, Gemm or MatMul is folded into the weights of the node
 *       that reads it when it scales every channel alike or reads a graph input (otherwise the
 *       node would read, and a quantizer quantize per tensor, the tensor before a per-channel
 *       scale); an additive part only where the conv has no padding, since padded zeros are not
 *       shifted.
 *   <li>An affine op after a Concat along channels whose inputs are all Conv/Gemm outputs read
 *       by the Concat alone is split per input and folded into each.
 *   <li>Two consecutive affine ops of which one is a BatchNorm become one BatchNorm (so a
 *       BatchNorm followed by Mul/Add by constants is one FP32 op instead of a BatchNorm and two
 *       quantized element-wise ops whose constants would be quantized per tensor).
 *   <li>Reshape, Flatten and Transpose of constants are computed: a weight reached through them
 *       becomes a plain initializer, so the op that reads it is quantizable.
 *   <li>Identity (and single-output Dropout) nodes, identity Transposes and Mul by 1 / Add of 0
 *       are removed.
 * </ul>
 *
 * <p>Names: a node folded into its producer disappears and the producer writes its output
 * tensor, so names downstream (and quantization plan keys) are unchanged; a node folded into its
 * consumer disappears with its output name. Changed weights keep their initializer's name when
 * nothing else reads it, otherwise get a fresh one ({@code <node>_folded_weight}). Arithmetic is
 * done in double and rounded once to float.
 *
 * <p>Thread-safety: stateless; thread-safe (graphs are immutable, a new one is returned).
 */
public final class GraphSimplification {
  /** Each step rewrites at least one node away or into constants, so this bounds nothing real. */
  private static final int MAX_STEPS = 100_000;

  private GraphSimplification() {}

  /**
   * The graph the quantizer works on: simplified when {@code simplify}, else only BatchNorm-folded
   * (the behaviour before simplification existed).
   */
  public static Graph forQuantization(Graph graph, boolean simplify) {
    return simplify ? apply(graph) : BatchNormFolding.apply(graph);
  }

  /** Applies every rewrite until none applies; returns {@code graph} itself when nothing changes. */
  public static Graph apply(Graph graph) {
    Graph g = BatchNormFolding.apply(graph);
    for (int i = 0; i < MAX_STEPS; i++) {
      Graph next = new Step(g).run();
      if (next == null) {
        return g;
      }
      g = next;
    }
    return g;
  }

  /** Per-channel y = x * scale + shift along {@code axis} of a rank-{@code rank} tensor with {@code count} channels. */
  private record Channels(int rank, int axis, int count) {}

  private record Affine(Node node, String input, double[] scale, double[] shift) {
    boolean hasShift() {
      for (double s : shift) {
        if (s != 0) {
          return true;
        }
      }
      return false;
    }

    boolean isIdentity() {
      for (double s : scale) {
        if (s != 1) {
          return false;
        }
      }
      return !hasShift();
    }
  }

  /** One rewrite of one graph: the first that applies, in a fixed order. */
  private static final class Step {
    private final Graph g;
    private final Map<String, ValueInfo> info;
    private final Set<String> used = new HashSet<>();

    Step(Graph g) {
      this.g = g;
      Map<String, ValueInfo> inferred;
      try {
        inferred = ShapeInference.infer(g);
      } catch (GraphException | IllegalArgumentException | IllegalStateException e) {
        inferred = Map.of(); // rewrites that need a rank or channel count then do not apply
      }
      this.info = inferred;
      g.inputs().forEach(v -> used.add(v.name()));
      used.addAll(g.initializers().keySet());
      for (Node n : g.nodes()) {
        used.add(n.name());
        used.addAll(n.outputs());
      }
    }

    Graph run() {
      for (Node n : g.nodes()) {
        Graph r = constant(n);
        if (r == null) {
          r = identity(n);
        }
        if (r == null) {
          r = foldIntoProducer(n);
        }
        if (r == null) {
          r = foldIntoConsumer(n);
        }
        if (r == null) {
          r = foldThroughConcat(n);
        }
        if (r == null) {
          r = mergeIntoBatchNorm(n);
        }
        if (r != null) {
          return r;
        }
      }
      return null;
    }

    // ---- constants and identities ----

    private Graph constant(Node n) {
      String type = n.op().type();
      boolean layout = n.op() instanceof Op.Reshape || n.op() instanceof Op.Flatten || n.op() instanceof Op.Transpose
          || isIdentityType(type);
      if (!layout || n.inputs().isEmpty() || n.outputs().size() != 1 || g.outputs().contains(n.output())) {
        return null;
      }
      for (String in : n.inputs()) {
        if (!in.isEmpty() && !g.isInitializer(in)) {
          return null;
        }
      }
      Tensor in = g.initializer(n.input(0)).orElseThrow();
      Tensor value;
      if (n.op() instanceof Op.Transpose t) {
        if (in.type() != DataType.FLOAT32) {
          return null;
        }
        value = transpose(in, t.perm().toArray());
      } else if (isIdentityType(type)) {
        value = in;
      } else {
        value = in.reshape(ShapeInference.inferNode(n, s -> new ValueInfo(s, in.type(), in.shape())).shape());
      }
      Graph.Builder b = without(n);
      b.initializer(n.output(), value);
      return b.build();
    }

    /** {@code t} with its axes permuted: output axis i is input axis perm[i]. */
    private static Tensor transpose(Tensor t, int[] perm) {
      int r = perm.length;
      int[] in = t.shape().toArray();
      int[] out = new int[r];
      for (int i = 0; i < r; i++) {
        out[i] = in[perm[i]];
      }
      int[] inStride = new int[r];
      for (int i = r - 1, s = 1; i >= 0; s *= in[i], i--) {
        inStride[i] = s;
      }
      float[] src = t.toFloatArray();
      float[] dst = new float[src.length];
      int[] idx = new int[r];
      for (int k = 0; k < dst.length; k++) {
        int from = 0;
        for (int i = 0; i < r; i++) {
          from += idx[i] * inStride[perm[i]];
        }
        dst[k] = src[from];
        for (int i = r - 1; i >= 0 && ++idx[i] == out[i]; i--) {
          idx[i] = 0;
        }
      }
      return Tensor.wrapFloats(Shape.of(out), dst);
    }

    private static boolean isIdentityType(String type) {
      return type.equals("Identity") || type.equals("Dropout");
    }

    private Graph identity(Node n) {
      boolean identity = isIdentityType(n.op().type());
      if (n.op() instanceof Op.Transpose t) {
        identity = true;
        for (int i = 0; i < t.perm().length(); i++) {
          identity &= t.perm().get(i) == i;
        }
      }
      if (!identity && (n.op() instanceof Op.Mul || n.op() instanceof Op.Add)) {
        Optional<Affine> a = uniformAffine(n);
        identity = a.isPresent() && a.get().isIdentity();
      }
      if (!identity || n.inputs().isEmpty()) {
        return null;
      }
      for (int i = 1; i < n.outputs().size(); i++) {
        if (!g.consumers(n.outputs().get(i)).isEmpty() || g.outputs().contains(n.outputs().get(i))) {
          return null;
        }
      }
      String in = identity && (n.op() instanceof Op.Mul || n.op() instanceof Op.Add) ? variableInput(n) : n.input(0);
      String out = n.output();
      if (!g.outputs().contains(out)) {
        Graph.Builder b = without(n);
        return renameReads(b, out, in).build();
      }
      // a graph output keeps its name: the producer of the input writes it instead
      Optional<Node> p = g.producer(in);
      if (p.isEmpty() || g.outputs().contains(in) || g.consumers(in).size() != 1 || p.get().outputs().size() != 1) {
        return null;
      }
      Graph.Builder b = without(n);
      replace(b, p.get(), Node.of(p.get().name(), p.get().op(), p.get().inputs(), List.of(out)));
      return b.build();
    }

    /** A Mul/Add by a constant with one value (scalar or all-ones shape that does not broadcast x up). */
    private Optional<Affine> uniformAffine(Node n) {
      String x = variableInput(n);
      if (x == null || !info.containsKey(x)) {
        return Optional.empty();
      }
      return affine(n, new Channels(info.get(x).shape().rank(), 0, 1));
    }

    // ---- affine ops ----

    /** The non-constant input of a binary Mul/Add by a constant, or null. */
    private String variableInput(Node n) {
      if (n.inputs().size() != 2) {
        return null;
      }
      boolean c0 = floatInit(n.input(0)).isPresent();
      boolean c1 = floatInit(n.input(1)).isPresent();
      if (c0 == c1) {
        return null;
      }
      return c0 ? n.input(1) : n.input(0);
    }

    /** {@code n} as a per-channel affine op on a tensor laid out as {@code c}, if it is one. */
    private Optional<Affine> affine(Node n, Channels c) {
      if (n.outputs().size() != 1) {
        return Optional.empty();
      }
      if (n.op() instanceof Op.BatchNorm bn) {
        if (c.axis != 1 || c.rank < 2) {
          return Optional.empty();
        }
        Optional<float[]> gamma = vector(n.input(1), c.count);
        Optional<float[]> beta = vector(n.input(2), c.count);
        Optional<float[]> mean = vector(n.input(3), c.count);
        Optional<float[]> var = vector(n.input(4), c.count);
        if (gamma.isEmpty() || beta.isEmpty() || mean.isEmpty() || var.isEmpty()) {
          return Optional.empty();
        }
        double[] scale = new double[c.count];
        double[] shift = new double[c.count];
        for (int i = 0; i < c.count; i++) {
          scale[i] = gamma.get()[i] / Math.sqrt((double) var.get()[i] + bn.epsilon());
          shift[i] = beta.get()[i] - mean.get()[i] * scale[i];
        }
        return Optional.of(new Affine(n, n.input(0), scale, shift));
      }
      if (!(n.op() instanceof Op.Mul) && !(n.op() instanceof Op.Add)) {
        return Optional.empty();
      }
      String x = variableInput(n);
      if (x == null) {
        return Optional.empty();
      }
      Tensor k = floatInit(n.input(0)).or(() -> floatInit(n.input(1))).orElseThrow();
      double[] v = channelVector(k, c);
      if (v == null) {
        return Optional.empty();
      }
      double[] ones = new double[c.count];
      java.util.Arrays.fill(ones, 1);
      return Optional.of(n.op() instanceof Op.Mul ? new Affine(n, x, v, new double[c.count]) : new Affine(n, x, ones, v));
    }

    /**
     * The constant as one value per channel, or null when it varies along another axis or would
     * broadcast the tensor to a larger shape.
     */
    private static double[] channelVector(Tensor k, Channels c) {
      Shape s = k.shape();
      if (s.rank() > c.rank) {
        return null;
      }
      boolean perChannel = false;
      for (int j = 0; j < s.rank(); j++) {
        int axis = j + c.rank - s.rank();
        if (s.dim(j) == 1) {
          continue;
        }
        if (axis != c.axis || s.dim(j) != c.count) {
          return null;
        }
        perChannel = true;
      }
      double[] v = new double[c.count];
      for (int i = 0; i < c.count; i++) {
        v[i] = k.getFloat(perChannel ? i : 0);
      }
      return v;
    }

    /** The channel layout of the output of a Conv/Gemm/MatMul with a constant weight, or null. */
    private Channels outputChannels(Node p) {
      Optional<Tensor> w = floatInit(p.input(1));
      if (w.isEmpty() || p.outputs().size() != 1) {
        return null;
      }
      Shape ws = w.get().shape();
      if (p.op() instanceof Op.Conv) {
        return ws.rank() >= 3 ? new Channels(ws.rank(), 1, ws.dim(0)) : null;
      }
      if (p.op() instanceof Op.Gemm gemm) {
        return ws.rank() == 2 ? new Channels(2, 1, gemm.transB() ? ws.dim(0) : ws.dim(1)) : null;
      }
      if (p.op() instanceof Op.MatMul) {
        int r = rank(p.input(0));
        return ws.rank() == 2 && r >= 2 ? new Channels(r, r - 1, ws.dim(1)) : null;
      }
      return null;
    }

    /** The channel layout of input 0 of a Conv/Gemm/MatMul with a constant weight, or null. */
    private Channels inputChannels(Node q) {
      Optional<Tensor> w = floatInit(q.input(1));
      if (w.isEmpty()) {
        return null;
      }
      Shape ws = w.get().shape();
      if (q.op() instanceof Op.Conv conv) {
        return ws.rank() >= 3 ? new Channels(ws.rank(), 1, ws.dim(1) * conv.groups()) : null;
      }
      if (q.op() instanceof Op.Gemm gemm) {
        return ws.rank() == 2 && !gemm.transA() ? new Channels(2, 1, gemm.transB() ? ws.dim(1) : ws.dim(0)) : null;
      }
      if (q.op() instanceof Op.MatMul) {
        int r = rank(q.input(0));
        return ws.rank() == 2 && r >= 2 ? new Channels(r, r - 1, ws.dim(0)) : null;
      }
      return null;
    }

    /** y = affine(P(x)) -> P'(x). */
    private Graph foldIntoProducer(Node n) {
      Optional<Node> pOpt = g.producer(n.input(0).isEmpty() ? "" : affineInputName(n));
      if (pOpt.isEmpty()) {
        return null;
      }
      Node p = pOpt.get();
      if (!soleReader(p.output(), n)) {
        return null;
      }
      Channels c = outputChannels(p);
      if (c == null) {
        return null;
      }
      Optional<Affine> a = affine(n, c).filter(x -> x.input.equals(p.output()));
      if (a.isEmpty()) {
        return null;
      }
      Graph.Builder b = without(n);
      Node folded = scaleOutputs(b, p, a.get().scale, a.get().shift, n.output());
      if (folded == null) {
        return null;
      }
      replace(b, p, folded);
      return b.build();
    }

    /** The tensor an affine candidate reads (its variable input), or "" when it is no candidate. */
    private String affineInputName(Node n) {
      if (n.op() instanceof Op.BatchNorm) {
        return n.input(0);
      }
      if (n.op() instanceof Op.Mul || n.op() instanceof Op.Add) {
        String x = variableInput(n);
        return x == null ? "" : x;
      }
      return "";
    }

    /**
     * P with output channel o scaled by {@code scale[o]} and shifted by {@code shift[o]}, writing
     * {@code output}; its new initializers go to {@code b}. Null when P cannot carry the shift.
     */
    private Node scaleOutputs(Graph.Builder b, Node p, double[] scale, double[] shift, String output) {
      Tensor w = floatInit(p.input(1)).orElseThrow();
      float[] wv = w.toFloatArray();
      int m = scale.length;
      boolean hasShift = new Affine(p, "", scale, shift).hasShift();
      if (p.op() instanceof Op.Conv) {
        Optional<double[]> bias = biasOf(p.input(2), m, 1);
        if (bias.isEmpty()) {
          return null;
        }
        int per = wv.length / m;
        for (int o = 0; o < m; o++) {
          for (int k = 0; k < per; k++) {
            wv[o * per + k] = (float) (wv[o * per + k] * scale[o]);
          }
        }
        String wName = weightName(b, p, w, wv);
        String bName = biasName(b, p, affineBias(bias.get(), scale, shift));
        return Node.of(p.name(), p.op(), List.of(p.input(0), wName, bName), List.of(output));
      }
      if (p.op() instanceof Op.Gemm gemm) {
        Optional<double[]> bias = biasOf(p.input(2), m, gemm.beta());
        if (bias.isEmpty()) {
          return null;
        }
        scaleMatrix(wv, w.shape(), gemm.transB() ? 0 : 1, scale);
        String wName = weightName(b, p, w, wv);
        String bName = biasName(b, p, affineBias(bias.get(), scale, shift));
        return Node.of(p.name(), new Op.Gemm(gemm.alpha(), 1f, gemm.transA(), gemm.transB()),
            List.of(p.input(0), wName, bName), List.of(output));
      }
      // MatMul
      if (hasShift && rank(p.input(0)) != 2) {
        return null;
      }
      scaleMatrix(wv, w.shape(), 1, scale);
      String wName = weightName(b, p, w, wv);
      if (!hasShift) {
        return Node.of(p.name(), p.op(), List.of(p.input(0), wName), List.of(output));
      }
      String bName = biasName(b, p, affineBias(new double[m], scale, shift));
      return Node.of(p.name(), new Op.Gemm(1f, 1f, false, false), List.of(p.input(0), wName, bName), List.of(output));
    }

    private static double[] affineBias(double[] bias, double[] scale, double[] shift) {
      double[] out = new double[bias.length];
      for (int o = 0; o < out.length; o++) {
        out[o] = bias[o] * scale[o] + shift[o];
      }
      return out;
    }

    /** Multiplies row (axis 0) or column (axis 1) i of a 2-D matrix by {@code f[i]}. */
    private static void scaleMatrix(float[] wv, Shape s, int axis, double[] f) {
      int rows = s.dim(0);
      int cols = s.dim(1);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          wv[r * cols + c] = (float) (wv[r * cols + c] * f[axis == 0 ? r : c]);
        }
      }
    }

    private static boolean uniform(double[] v) {
      for (double x : v) {
        if (x != v[0]) {
          return false;
        }
      }
      return true;
    }

    /** y = Q(affine(x)) -> Q'(x). */
    private Graph foldIntoConsumer(Node n) {
      if (!(n.op() instanceof Op.BatchNorm || n.op() instanceof Op.Mul || n.op() instanceof Op.Add)) {
        return null;
      }
      List<Node> readers = g.consumers(n.output());
      if (readers.size() != 1 || g.outputs().contains(n.output())) {
        return null;
      }
      Node q = readers.get(0);
      if (!q.input(0).equals(n.output()) || q.inputs().lastIndexOf(n.output()) != 0) {
        return null;
      }
      Channels c = inputChannels(q);
      if (c == null) {
        return null;
      }
      Optional<Affine> aOpt = affine(n, c);
      if (aOpt.isEmpty()) {
        return null;
      }
      Affine a = aOpt.get();
      if (!uniform(a.scale) && !g.inputs().stream().anyMatch(v -> v.name().equals(a.input))) {
        // the consumer would then read (and a quantizer quantize per tensor) the tensor before a
        // per-channel scale, whose channels may differ widely; a graph input is raw data, fine
        return null;
      }
      Tensor w = floatInit(q.input(1)).orElseThrow();
      float[] src = w.toFloatArray();
      float[] wv = src.clone();
      if (q.op() instanceof Op.Conv conv) {
        if (a.hasShift() && !(conv.padding() instanceof Padding.Explicit e && e.isZero())) {
          return null; // padded zeros would not be shifted
        }
        int m = w.shape().dim(0);
        Optional<double[]> bias = biasOf(q.input(2), m, 1);
        if (bias.isEmpty() || m % conv.groups() != 0) {
          return null;
        }
        int cg = w.shape().dim(1);
        int per = wv.length / (m * cg);
        double[] nb = bias.get().clone();
        for (int o = 0; o < m; o++) {
          int group = o / (m / conv.groups());
          for (int j = 0; j < cg; j++) {
            int ch = group * cg + j;
            for (int k = 0; k < per; k++) {
              int at = (o * cg + j) * per + k;
              nb[o] += src[at] * a.shift[ch];
              wv[at] = (float) (src[at] * a.scale[ch]);
            }
          }
        }
        Graph.Builder b = without(n);
        String wName = weightName(b, q, w, wv);
        String bName = a.hasShift() || !q.input(2).isEmpty() ? biasName(b, q, nb) : "";
        List<String> ins = bName.isEmpty() ? List.of(a.input, wName) : List.of(a.input, wName, bName);
        replace(b, q, Node.of(q.name(), q.op(), ins, q.outputs()));
        return b.build();
      }
      boolean gemm = q.op() instanceof Op.Gemm;
      Op.Gemm gq = gemm ? (Op.Gemm) q.op() : new Op.Gemm(1f, 1f, false, false);
      if (!gemm && a.hasShift() && rank(q.input(0)) != 2) {
        return null;
      }
      // weight as [K, M] (transB: [M, K])
      int kAxis = gq.transB() ? 1 : 0;
      int k = w.shape().dim(kAxis);
      int m = w.shape().dim(1 - kAxis);
      Optional<double[]> bias = gemm ? biasOf(q.input(2), m, gq.beta()) : Optional.of(new double[m]);
      if (bias.isEmpty()) {
        return null;
      }
      double[] nb = bias.get().clone();
      for (int i = 0; i < k; i++) {
        for (int o = 0; o < m; o++) {
          int at = gq.transB() ? o * k + i : i * m + o;
          nb[o] += gq.alpha() * src[at] * a.shift[i];
          wv[at] = (float) (src[at] * a.scale[i]);
        }
      }
      Graph.Builder b = without(n);
      String wName = weightName(b, q, w, wv);
      Node folded;
      if (gemm) {
        folded = Node.of(q.name(), new Op.Gemm(gq.alpha(), 1f, gq.transA(), gq.transB()),
            List.of(a.input, wName, biasName(b, q, nb)), q.outputs());
      } else if (a.hasShift()) {
        folded = Node.of(q.name(), gq, List.of(a.input, wName, biasName(b, q, nb)), q.outputs());
      } else {
        folded = Node.of(q.name(), q.op(), List.of(a.input, wName), q.outputs());
      }
      replace(b, q, folded);
      return b.build();
    }

    /** y = affine(Concat(P1(x1), P2(x2), ...)) along channels -> Concat(P1'(x1), P2'(x2), ...). */
    private Graph foldThroughConcat(Node n) {
      String in = affineInputName(n);
      Optional<Node> ccOpt = in.isEmpty() ? Optional.empty() : g.producer(in);
      if (ccOpt.isEmpty() || !(ccOpt.get().op() instanceof Op.Concat concat) || !soleReader(in, n)) {
        return null;
      }
      Node cc = ccOpt.get();
      int r = rank(in);
      if (r < 2 || (concat.axis() < 0 ? concat.axis() + r : concat.axis()) != 1 || !info.containsKey(in)
          || info.get(in).shape().dim(1) <= 0) {
        return null;
      }
      int total = info.get(in).shape().dim(1);
      Optional<Affine> aOpt = affine(n, new Channels(r, 1, total));
      if (aOpt.isEmpty() || !aOpt.get().input.equals(in)) {
        return null;
      }
      Affine a = aOpt.get();
      List<Node> producers = new ArrayList<>();
      int sum = 0;
      for (String part : cc.inputs()) {
        Optional<Node> p = g.producer(part);
        if (p.isEmpty() || !(p.get().op() instanceof Op.Conv || p.get().op() instanceof Op.Gemm)
            || producers.contains(p.get()) || !soleReader(part, cc)) {
          return null;
        }
        Channels c = outputChannels(p.get());
        if (c == null || c.rank != r) {
          return null;
        }
        producers.add(p.get());
        sum += c.count;
      }
      if (sum != total) {
        return null;
      }
      Graph.Builder b = without(n);
      int at = 0;
      for (Node p : producers) {
        int m = outputChannels(p).count;
        double[] s = java.util.Arrays.copyOfRange(a.scale, at, at + m);
        double[] t = java.util.Arrays.copyOfRange(a.shift, at, at + m);
        Node folded = scaleOutputs(b, p, s, t, p.output());
        if (folded == null) {
          return null;
        }
        replace(b, p, folded);
        at += m;
      }
      replace(b, cc, Node.of(cc.name(), cc.op(), cc.inputs(), List.of(n.output())));
      return b.build();
    }

    /** Two consecutive affine ops, one of them a BatchNorm, become one BatchNorm. */
    private Graph mergeIntoBatchNorm(Node second) {
      String mid = affineInputName(second);
      Optional<Node> firstOpt = mid.isEmpty() ? Optional.empty() : g.producer(mid);
      if (firstOpt.isEmpty() || !soleReader(mid, second)) {
        return null;
      }
      Node first = firstOpt.get();
      if (!(first.op() instanceof Op.BatchNorm) && !(second.op() instanceof Op.BatchNorm)) {
        return null;
      }
      String x = affineInputName(first);
      if (x.isEmpty() || !info.containsKey(x) || info.get(x).shape().rank() < 2 || info.get(x).shape().dim(1) <= 0) {
        return null;
      }
      Channels c = new Channels(info.get(x).shape().rank(), 1, info.get(x).shape().dim(1));
      Optional<Affine> a1 = affine(first, c).filter(a -> a.input.equals(x));
      Optional<Affine> a2 = affine(second, c).filter(a -> a.input.equals(mid));
      if (a1.isEmpty() || a2.isEmpty()) {
        return null;
      }
      float[] gamma = new float[c.count];
      float[] beta = new float[c.count];
      float[] ones = new float[c.count];
      for (int i = 0; i < c.count; i++) {
        gamma[i] = (float) (a1.get().scale[i] * a2.get().scale[i]);
        beta[i] = (float) (a1.get().shift[i] * a2.get().scale[i] + a2.get().shift[i]);
        ones[i] = 1;
      }
      Graph.Builder b = without(second);
      String base = first.name();
      String gName = Names.unique(used, base + "_merged_scale");
      String bName = Names.unique(used, base + "_merged_bias");
      String mName = Names.unique(used, base + "_merged_mean");
      String vName = Names.unique(used, base + "_merged_var");
      Shape s = Shape.of(c.count);
      b.initializer(gName, Tensor.wrapFloats(s, gamma));
      b.initializer(bName, Tensor.wrapFloats(s, beta));
      b.initializer(mName, Tensor.wrapFloats(s, new float[c.count]));
      b.initializer(vName, Tensor.wrapFloats(s, ones));
      // epsilon 0 and variance 1 make it exactly x * gamma + beta
      replace(b, first, Node.of(first.name(), new Op.BatchNorm(0f), List.of(x, gName, bName, mName, vName),
          List.of(second.output())));
      return b.build();
    }

    // ---- helpers ----

    /** Whether {@code reader} is the only node reading {@code tensor}, once, and it is no graph output. */
    private boolean soleReader(String tensor, Node reader) {
      List<Node> readers = g.consumers(tensor);
      return readers.size() == 1 && readers.get(0).equals(reader) && !g.outputs().contains(tensor);
    }

    private int rank(String tensor) {
      ValueInfo v = info.get(tensor);
      return v == null ? -1 : v.shape().rank();
    }

    private Optional<Tensor> floatInit(String name) {
      if (name.isEmpty()) {
        return Optional.empty();
      }
      return g.initializer(name).filter(t -> t.type() == DataType.FLOAT32);
    }

    private Optional<float[]> vector(String name, int m) {
      return floatInit(name).filter(t -> t.size() == m).map(Tensor::toFloatArray);
    }

    /**
     * The bias as {@code factor} x one value per output channel (absent: zeros), or empty when it
     * is not a constant of one or {@code m} values broadcast along the last axis.
     */
    private Optional<double[]> biasOf(String name, int m, float factor) {
      double[] out = new double[m];
      if (name.isEmpty()) {
        return Optional.of(out);
      }
      Optional<Tensor> t = floatInit(name);
      if (t.isEmpty()) {
        return Optional.empty();
      }
      Shape s = t.get().shape();
      for (int j = 0; j < s.rank() - 1; j++) {
        if (s.dim(j) != 1) {
          return Optional.empty();
        }
      }
      if (t.get().size() != 1 && t.get().size() != m) {
        return Optional.empty();
      }
      for (int o = 0; o < m; o++) {
        out[o] = (double) factor * t.get().getFloat(t.get().size() == 1 ? 0 : o);
      }
      return Optional.of(out);
    }

    private String weightName(Graph.Builder b, Node n, Tensor old, float[] values) {
      String name = n.input(1);
      if (g.consumers(name).size() != 1 || g.outputs().contains(name)) {
        name = Names.unique(used, n.name() + "_folded_weight");
      }
      b.initializer(name, Tensor.wrapFloats(old.shape(), values));
      return name;
    }

    private String biasName(Graph.Builder b, Node n, double[] values) {
      String old = n.input(2);
      String name = !old.isEmpty() && g.consumers(old).size() == 1 && !g.outputs().contains(old) ? old
          : Names.unique(used, n.name() + (old.isEmpty() ? "_bias" : "_folded_bias"));
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      b.initializer(name, Tensor.wrapFloats(Shape.of(f.length), f));
      return name;
    }

    private Graph.Builder without(Node n) {
      Graph.Builder b = g.toBuilder().clearNodes();
      for (Node m : g.nodes()) {
        if (!m.equals(n)) {
          b.node(m);
        }
      }
      return b;
    }

    private static void replace(Graph.Builder b, Node old, Node now) {
      List<Node> nodes = new ArrayList<>(b.nodes());
      int i = nodes.indexOf(old);
      nodes.set(i, now);
      b.clearNodes();
      nodes.forEach(b::node);
    }

    /** Every read of {@code from} reads {@code to} instead. */
    private static Graph.Builder renameReads(Graph.Builder b, String from, String to) {
      List<Node> nodes = new ArrayList<>(b.nodes());
      b.clearNodes();
      for (Node m : nodes) {
        if (m.inputs().contains(from)) {
          List<String> ins = new ArrayList<>(m.inputs());
          ins.replaceAll(s -> s.equals(from) ? to : s);
          m = Node.of(m.name(), m.op(), ins, m.outputs());
        }
        b.node(m);
      }
      return b;
    }
  }
}
