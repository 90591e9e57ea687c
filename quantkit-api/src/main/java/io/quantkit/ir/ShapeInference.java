package io.quantkit.ir;

import com.google.common.collect.ImmutableMap;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.GraphException;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Element type and shape of every tensor of a {@link Graph}: inputs, initializers and node outputs,
 * following ONNX opset 13. Dimensions that depend on an unknown input dimension (typically the
 * batch) stay {@link Shape#UNKNOWN}; with concrete input shapes every shape comes out known.
 *
 * <p>Inconsistent graphs (channel or rank mismatches, bad axes, wrong element types) raise a
 * {@link GraphException} naming the node.
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
public final class ShapeInference {
  private static final int U = Shape.UNKNOWN;
  private static final Set<DataType> FLOAT = EnumSet.of(DataType.FLOAT32);
  private static final Set<DataType> NUMERIC = EnumSet.of(DataType.FLOAT32, DataType.INT32, DataType.INT64);
  private static final Set<DataType> ANY = EnumSet.allOf(DataType.class);

  private ShapeInference() {}

  /** Infers with the graph's declared input shapes. */
  public static Map<String, ValueInfo> infer(Graph g) {
    return infer(g, Map.of());
  }

  /**
   * Infers with some inputs given concrete shapes (for instance the batch size of the next run);
   * each must agree with the declared shape wherever that one is known. Inputs not named keep
   * their declared shape.
   */
  public static Map<String, ValueInfo> infer(Graph g, Map<String, Shape> concreteInputShapes) {
    Map<String, ValueInfo> known = new LinkedHashMap<>();
    for (String name : concreteInputShapes.keySet()) {
      if (g.inputs().stream().noneMatch(in -> in.name().equals(name))) {
        throw new GraphException("graph " + g.name() + " has no input '" + name + "' (inputs: "
            + g.inputs().stream().map(ValueInfo::name).toList() + ")");
      }
    }
    for (ValueInfo in : g.inputs()) {
      Shape concrete = concreteInputShapes.get(in.name());
      if (concrete == null) {
        known.put(in.name(), in);
      } else {
        checkCompatible(g, in, concrete);
        known.put(in.name(), new ValueInfo(in.name(), in.type(), concrete));
      }
    }
    g.initializers().forEach((name, t) -> known.put(name, new ValueInfo(name, t.type(), t.shape())));
    for (Node n : g.nodes()) {
      known.put(n.output(), inferNode(n, known::get));
    }
    return ImmutableMap.copyOf(known);
  }

  /**
   * Element type and shape of one node's output, given what is known of its inputs ({@code
   * known} returns null for a tensor it does not know). This is the rule {@link #infer} applies
   * node by node; importers call it while they build a graph, to check each node as it is made
   * and to read shapes they need for later nodes (a missing kernel_shape, an old-opset Softmax).
   *
   * @throws GraphException naming the node when its inputs contradict the op, or an input is
   *     unknown
   */
  public static ValueInfo inferNode(Node node, Function<String, ValueInfo> known) {
    ValueInfo[] ins = new ValueInfo[node.inputs().size()];
    for (int i = 0; i < ins.length; i++) {
      String name = node.inputs().get(i);
      ins[i] = name.isEmpty() ? null : known.apply(name);
    }
    return new NodeInference(node, ins).infer();
  }

  private static void checkCompatible(Graph g, ValueInfo declared, Shape concrete) {
    Shape d = declared.shape();
    boolean ok = d.rank() == concrete.rank();
    for (int i = 0; ok && i < d.rank(); i++) {
      ok = d.dim(i) == U || d.dim(i) == concrete.dim(i);
    }
    if (!ok) {
      throw new GraphException("graph " + g.name() + ": input '" + declared.name() + "' is declared " + d
          + ", which shape " + concrete + " does not match");
    }
  }

  /**
   * Numpy broadcasting of two shapes (ONNX's multidirectional broadcasting); an unknown dimension
   * takes the other side's size.
   *
   * @throws GraphException when a pair of known dimensions is neither equal nor 1
   */
  public static Shape broadcast(Shape a, Shape b) {
    return broadcast(a, b, "broadcast");
  }

  /** Numpy broadcasting of two shapes; {@code where} prefixes the error message. */
  static Shape broadcast(Shape a, Shape b, String where) {
    int r = Math.max(a.rank(), b.rank());
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      int ia = i - (r - a.rank());
      int ib = i - (r - b.rank());
      int da = ia < 0 ? 1 : a.dim(ia);
      int db = ib < 0 ? 1 : b.dim(ib);
      if (da == db || db == 1) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else if (da == U) {
        out[i] = db;
      } else if (db == U) {
        out[i] = da;
      } else {
        throw new GraphException(where + ": shapes " + a + " and " + b + " do not broadcast (axis " + i + ": "
            + da + " vs " + db + ")");
      }
    }
    return Shape.of(out);
  }

  /**
   * Output size of a sliding window (convolution or pooling) along one axis: {@link Shape#UNKNOWN}
   * when the input size is unknown, 0 when the window does not fit the padded input. Every
   * window computation of the project (shape rules, the Keras importer, executors through the
   * inferred shapes) goes through this one.
   */
  public static int windowOutput(int in, int padBegin, int padEnd, int kernel, int stride, int dilation, boolean ceil) {
    if (in == U) {
      return U;
    }
    int span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
    if (span < 0) {
      return 0;
    }
    int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
    // As PyTorch and later ONNX specify: in ceil mode a window may not start in the end padding.
    if (ceil && (out - 1) * stride >= in + padBegin) {
      out--;
    }
    return out;
  }

  /**
   * Output sizes of a sliding window over spatial sizes {@code in} (unknown stays unknown, a
   * window that does not fit gives 0). "Same" padding gives ceil(in / stride) whatever the pads
   * turn out to be.
   */
  public static int[] windowOutputs(int[] in, ImmutableIntArray kernel, ImmutableIntArray strides,
      ImmutableIntArray dilations, Padding padding, boolean ceil) {
    int spatial = in.length;
    int[] out = new int[spatial];
    if (padding instanceof Padding.Same) {
      for (int i = 0; i < spatial; i++) {
        out[i] = in[i] == U ? U : (in[i] + strides.get(i) - 1) / strides.get(i);
      }
      return out;
    }
    Padding.Explicit pads = padding.resolve(in, kernel, strides, dilations);
    for (int i = 0; i < spatial; i++) {
      out[i] = windowOutput(in[i], pads.begins().get(i), pads.ends().get(i), kernel.get(i), strides.get(i),
          dilations.get(i), ceil);
    }
    return out;
  }

  /** Inference of one node; holds the node for error messages. */
  private static final class NodeInference implements Op.Visitor<ValueInfo> {
    private final Node node;
    private final ValueInfo[] ins;

    NodeInference(Node node, ValueInfo[] ins) {
      this.node = node;
      this.ins = ins;
    }

    ValueInfo infer() {
      if (node.outputs().size() != 1) {
        throw fail("has " + node.outputs().size() + " outputs " + node.outputs()
            + "; the IR defines exactly one (optional extra outputs such as MaxPool indices are not supported)");
      }
      return node.op().accept(this);
    }

    // ---- ops ----

    @Override
    public ValueInfo conv(Op.Conv c) {
      return convolution(c);
    }

    @Override
    public ValueInfo batchNorm(Op.BatchNorm op) {
      return batchNormalization();
    }

    @Override
    public ValueInfo relu(Op.Relu op) {
      arity(1, 1);
      return same(type(0, FLOAT));
    }

    @Override
    public ValueInfo clip(Op.Clip c) {
      arity(1, 1);
      if (!(c.min() <= c.max())) {
        throw fail("min " + c.min() + " exceeds max " + c.max());
      }
      return same(type(0, NUMERIC));
    }

    @Override
    public ValueInfo add(Op.Add op) {
      return binary();
    }

    @Override
    public ValueInfo mul(Op.Mul op) {
      return binary();
    }

    private ValueInfo binary() {
      arity(2, 2);
      DataType t = sameType(NUMERIC);
      return out(t, broadcast(shape(0), shape(1), where()));
    }

    @Override
    public ValueInfo maxPool(Op.MaxPool p) {
      arity(1, 1);
      DataType t = type(0, EnumSet.of(DataType.FLOAT32, DataType.INT8, DataType.UINT8));
      return out(t, pool(p.kernel(), p.strides(), p.dilations(), p.padding(), p.ceilMode()));
    }

    @Override
    public ValueInfo averagePool(Op.AveragePool p) {
      arity(1, 1);
      DataType t = type(0, FLOAT);
      ImmutableIntArray ones = ones(p.kernel().length());
      return out(t, pool(p.kernel(), p.strides(), ones, p.padding(), p.ceilMode()));
    }

    @Override
    public ValueInfo globalAveragePool(Op.GlobalAveragePool op) {
      arity(1, 1);
      DataType t = type(0, FLOAT);
      Shape x = shape(0);
      if (x.rank() < 3) {
        throw fail("input " + x + " needs rank >= 3 ([N, C, spatial...])");
      }
      int[] dims = x.toArray();
      Arrays.fill(dims, 2, dims.length, 1);
      return out(t, Shape.of(dims));
    }

    @Override
    public ValueInfo flatten(Op.Flatten op) {
      arity(1, 1);
      Shape x = shape(0);
      int a = axis(op.axis(), x.rank(), true);
      return out(type(0, ANY), Shape.of(product(x, 0, a), product(x, a, x.rank())));
    }

    @Override
    public ValueInfo reshape(Op.Reshape op) {
      arity(1, 1);
      return reshapeTo(op.shape());
    }

    @Override
    public ValueInfo matMul(Op.MatMul op) {
      arity(2, 2);
      return out(sameType(NUMERIC), matMulShape(shape(0), shape(1)));
    }

    @Override
    public ValueInfo softmax(Op.Softmax op) {
      arity(1, 1);
      DataType t = type(0, FLOAT);
      axis(op.axis(), shape(0).rank(), false);
      return out(t, shape(0));
    }

    @Override
    public ValueInfo concat(Op.Concat op) {
      return concatenate(op.axis());
    }

    @Override
    public ValueInfo transpose(Op.Transpose op) {
      arity(1, 1);
      return out(type(0, ANY), permute(shape(0), op.perm()));
    }

    @Override
    public ValueInfo quantizeLinear(Op.QuantizeLinear op) {
      return quantize(op.axis());
    }

    @Override
    public ValueInfo dequantizeLinear(Op.DequantizeLinear op) {
      return dequantize(op.axis());
    }

    @Override
    public ValueInfo sigmoid(Op.Sigmoid op) {
      arity(1, 1);
      return same(type(0, FLOAT));
    }

    @Override
    public ValueInfo hardSwish(Op.HardSwish op) {
      arity(1, 1);
      return same(type(0, FLOAT));
    }

    @Override
    public ValueInfo lrn(Op.Lrn op) {
      arity(1, 1);
      DataType t = type(0, FLOAT);
      if (shape(0).rank() < 2) {
        throw fail("input " + shape(0) + " needs rank >= 2 ([N, C, ...])");
      }
      return out(t, shape(0));
    }

    @Override
    public ValueInfo sum(Op.Sum op) {
      if (ins.length == 0) {
        throw fail("has no inputs");
      }
      for (int i = 0; i < ins.length; i++) {
        if (!present(i)) {
          throw fail("input " + i + " is empty");
        }
      }
      DataType t = sameType(FLOAT);
      Shape s = shape(0);
      for (int i = 1; i < ins.length; i++) {
        s = broadcast(s, shape(i), where());
      }
      return out(t, s);
    }


    @Override
    public ValueInfo sub(Op.Sub op) {
      return binary();
    }

    @Override
    public ValueInfo div(Op.Div op) {
      return binary();
    }

    @Override
    public ValueInfo tanh(Op.Tanh op) {
      arity(1, 1);
      return same(type(0, FLOAT));
    }

    @Override
    public ValueInfo leakyRelu(Op.LeakyRelu op) {
      arity(1, 1);
      return same(type(0, FLOAT));
    }

    @Override
    public ValueInfo hardSigmoid(Op.HardSigmoid op) {
      arity(1, 1);
      return same(type(0, FLOAT));
    }

    @Override
    public ValueInfo pRelu(Op.PRelu op) {
      arity(2, 2);
      DataType t = sameType(FLOAT);
      Shape b = broadcast(shape(0), shape(1), where());
      if (b.rank() != shape(0).rank()) {
        throw fail("slope " + shape(1) + " has more axes than the input " + shape(0));
      }
      for (int i = 0; i < b.rank(); i++) {
        if (shape(0).dim(i) != U && b.dim(i) != shape(0).dim(i)) {
          throw fail("slope " + shape(1) + " does not broadcast to the input " + shape(0));
        }
      }
      return out(t, shape(0));
    }

    @Override
    public ValueInfo globalMaxPool(Op.GlobalMaxPool op) {
      arity(1, 1);
      DataType t = type(0, EnumSet.of(DataType.FLOAT32, DataType.INT8, DataType.UINT8));
      Shape x = shape(0);
      if (x.rank() < 3) {
        throw fail("input " + x + " needs rank >= 3 ([N, C, spatial...])");
      }
      int[] dims = x.toArray();
      Arrays.fill(dims, 2, dims.length, 1);
      return out(t, Shape.of(dims));
    }

    @Override
    public ValueInfo pad(Op.Pad op) {
      arity(1, 1);
      DataType t = type(0, FLOAT);
      Shape x = shape(0);
      int r = x.rank();
      if (op.pads().length() != 2 * r) {
        throw fail("pads " + op.pads() + " need " + 2 * r + " values for input " + x);
      }
      int[] dims = x.toArray();
      for (int i = 0; i < r; i++) {
        int b = op.pads().get(i);
        int e = op.pads().get(i + r);
        if (dims[i] == U) {
          continue;
        }
        if (op.mode().equals("reflect") && (b >= dims[i] || e >= dims[i]) && (b > 0 || e > 0)) {
          throw fail("reflect padding " + b + "/" + e + " needs axis " + i + " of " + x + " to be longer than the padding");
        }
        if (op.mode().equals("edge") && dims[i] == 0 && (b > 0 || e > 0)) {
          throw fail("edge padding of the empty axis " + i + " of " + x);
        }
        dims[i] += b + e;
      }
      return out(t, Shape.of(dims));
    }

    @Override
    public ValueInfo slice(Op.Slice op) {
      arity(1, 1);
      DataType t = type(0, ANY);
      Shape x = shape(0);
      int[] dims = x.toArray();
      boolean[] seen = new boolean[x.rank()];
      for (int i = 0; i < op.axes().length(); i++) {
        int a = axis(op.axes().get(i), x.rank(), false);
        if (seen[a]) {
          throw fail("axis " + a + " sliced twice");
        }
        seen[a] = true;
        if (dims[a] != U) {
          dims[a] = sliceBounds(dims[a], op.starts().get(i), op.ends().get(i), op.steps().get(i))[1];
        }
      }
      return out(t, Shape.of(dims));
    }

    @Override
    public ValueInfo reduceMean(Op.ReduceMean op) {
      arity(1, 1);
      DataType t = type(0, FLOAT);
      Shape x = shape(0);
      boolean[] reduced = reducedAxes(op.axes(), x.rank());
      List<Integer> dims = new ArrayList<>();
      for (int i = 0; i < x.rank(); i++) {
        if (!reduced[i]) {
          dims.add(x.dim(i));
        } else if (op.keepDims()) {
          dims.add(1);
        }
      }
      return out(t, Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()));
    }

    private boolean[] reducedAxes(ImmutableIntArray axes, int rank) {
      boolean[] reduced = new boolean[rank];
      if (axes.isEmpty()) {
        Arrays.fill(reduced, true);
      }
      for (int i = 0; i < axes.length(); i++) {
        reduced[axis(axes.get(i), rank, false)] = true;
      }
      return reduced;
    }

    @Override
    public ValueInfo resize(Op.Resize op) {
      arity(1, 1);
      DataType t = op.mode().equals("nearest") ? type(0, EnumSet.of(DataType.FLOAT32, DataType.INT8, DataType.UINT8))
          : type(0, FLOAT);
      Shape x = shape(0);
      if (op.scales().size() != x.rank()) {
        throw fail("scales " + op.scales() + " need one value per axis of " + x);
      }
      int[] dims = x.toArray();
      for (int i = 0; i < dims.length; i++) {
        if (dims[i] != U) {
          dims[i] = resizedDim(dims[i], op.scales().get(i));
        }
      }
      return out(t, Shape.of(dims));
    }

    private ValueInfo convolution(Op.Conv c) {
      arity(2, 3);
      type(0, FLOAT);
      type(1, FLOAT);
      Shape x = shape(0);
      Shape w = shape(1);
      int spatial = c.kernel().length();
      if (x.rank() != spatial + 2) {
        throw fail("input " + x + " has rank " + x.rank() + " but a " + spatial + "-D kernel needs rank " + (spatial + 2));
      }
      if (w.rank() != spatial + 2) {
        throw fail("weight " + w + " has rank " + w.rank() + " but a " + spatial + "-D kernel needs rank " + (spatial + 2));
      }
      for (int i = 0; i < spatial; i++) {
        if (w.dim(2 + i) != U && w.dim(2 + i) != c.kernel().get(i)) {
          throw fail("weight " + w + " does not match kernel " + c.kernel());
        }
      }
      int groups = c.groups();
      int m = w.dim(0);
      if (m != U && m % groups != 0) {
        throw fail(m + " output channels are not divisible by groups=" + groups);
      }
      if (x.dim(1) != U && w.dim(1) != U && x.dim(1) != w.dim(1) * groups) {
        throw fail("input " + x + " has " + x.dim(1) + " channels but weight " + w + " expects " + w.dim(1) * groups
            + " (" + w.dim(1) + " per group x " + groups + " groups)");
      }
      if (present(2)) {
        type(2, FLOAT);
        Shape b = shape(2);
        if (b.rank() != 1 || (b.dim(0) != U && m != U && b.dim(0) != m)) {
          throw fail("bias " + b + " must be [" + m + "]");
        }
      }
      int[] dims = new int[spatial + 2];
      dims[0] = x.dim(0);
      dims[1] = m;
      int[] outSpatial = windows(x, c.kernel(), c.strides(), c.dilations(), c.padding(), false);
      System.arraycopy(outSpatial, 0, dims, 2, spatial);
      return out(DataType.FLOAT32, Shape.of(dims));
    }

    private ValueInfo batchNormalization() {
      arity(5, 5);
      Shape x = shape(0);
      type(0, FLOAT);
      if (x.rank() < 2) {
        throw fail("input " + x + " needs rank >= 2 ([N, C, ...])");
      }
      String[] names = {"scale", "bias", "mean", "var"};
      for (int i = 1; i < 5; i++) {
        type(i, FLOAT);
        Shape p = shape(i);
        if (p.rank() != 1 || (p.dim(0) != U && x.dim(1) != U && p.dim(0) != x.dim(1))) {
          throw fail(names[i - 1] + " '" + node.input(i) + "' is " + p + " but the input has " + x.dim(1) + " channels");
        }
      }
      return out(DataType.FLOAT32, x);
    }

    private Shape pool(ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations, Padding padding,
        boolean ceil) {
      Shape x = shape(0);
      int spatial = kernel.length();
      if (strides.length() != spatial || dilations.length() != spatial) {
        throw fail("kernel " + kernel + ", strides " + strides + " and dilations " + dilations + " differ in rank");
      }
      if (x.rank() != spatial + 2) {
        throw fail("input " + x + " has rank " + x.rank() + " but a " + spatial + "-D window needs rank " + (spatial + 2));
      }
      int[] dims = x.toArray();
      int[] outSpatial = windows(x, kernel, strides, dilations, padding, ceil);
      System.arraycopy(outSpatial, 0, dims, 2, spatial);
      return Shape.of(dims);
    }

    /** Output spatial sizes of a convolution or pooling window over {@code x}. */
    private int[] windows(Shape x, ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations,
        Padding padding, boolean ceil) {
      int spatial = kernel.length();
      for (int i = 0; i < spatial; i++) {
        if (kernel.get(i) < 1 || strides.get(i) < 1 || dilations.get(i) < 1) {
          throw fail("kernel " + kernel + ", strides " + strides + " and dilations " + dilations + " must be positive");
        }
      }
      if (padding instanceof Padding.Explicit && ((Padding.Explicit) padding).begins().length() != spatial) {
        throw fail("pads " + padding + " do not have " + spatial + " spatial axes");
      }
      int[] in = new int[spatial];
      for (int i = 0; i < spatial; i++) {
        in[i] = x.dim(2 + i);
      }
      int[] out = windowOutputs(in, kernel, strides, dilations, padding, ceil);
      for (int i = 0; i < spatial; i++) {
        if (out[i] == 0) {
          throw fail("window " + kernel + " (dilations " + dilations + ") does not fit input " + x + " padded by "
              + padding.resolve(in, kernel, strides, dilations));
        }
      }
      return out;
    }

    private ValueInfo reshapeTo(ImmutableIntArray target) {
      Shape x = shape(0);
      int r = target.length();
      int[] out = new int[r];
      int inferred = -1;
      boolean[] copied = new boolean[x.rank()];
      long knownProduct = 1;
      for (int i = 0; i < r; i++) {
        int d = target.get(i);
        if (d == 0) {
          if (i >= x.rank()) {
            throw fail("target shape " + target + " copies dimension " + i + " (0) of input " + x + ", which has no such axis");
          }
          out[i] = x.dim(i);
          copied[i] = true;
        } else if (d == -1) {
          if (inferred >= 0) {
            throw fail("target shape " + target + " has more than one -1");
          }
          inferred = i;
        } else if (d < -1) {
          throw fail("target shape " + target + " has a negative dimension");
        } else {
          out[i] = d;
          knownProduct *= d;
        }
      }
      // Input elements not accounted for by copied axes must fill the remaining target axes;
      // an unknown copied axis (the batch, usually) cancels out.
      long rest = 1;
      boolean restKnown = true;
      for (int i = 0; i < x.rank(); i++) {
        if (!copied[i]) {
          if (x.dim(i) == U) {
            restKnown = false;
          } else {
            rest *= x.dim(i);
          }
        }
      }
      if (inferred >= 0) {
        if (!restKnown) {
          out[inferred] = U;
        } else if (knownProduct == 0 || rest % knownProduct != 0) {
          throw fail("cannot reshape " + x + " to " + target + ": " + rest + " elements do not divide into " + knownProduct);
        } else {
          out[inferred] = (int) (rest / knownProduct);
        }
      } else if (restKnown && rest != knownProduct) {
        throw fail("cannot reshape " + x + " (" + rest + " elements besides copied axes) to " + target);
      }
      return out(type(0, ANY), Shape.of(out));
    }

    @Override
    public ValueInfo gemm(Op.Gemm g) {
      arity(2, 3);
      DataType t = sameType(NUMERIC);
      Shape a = shape(0);
      Shape b = shape(1);
      if (a.rank() != 2 || b.rank() != 2) {
        throw fail("A " + a + " and B " + b + " must both be matrices");
      }
      int m = g.transA() ? a.dim(1) : a.dim(0);
      int ka = g.transA() ? a.dim(0) : a.dim(1);
      int kb = g.transB() ? b.dim(1) : b.dim(0);
      int n = g.transB() ? b.dim(0) : b.dim(1);
      if (ka != U && kb != U && ka != kb) {
        throw fail("inner dimensions differ: A" + (g.transA() ? "^T" : "") + " " + a + " vs B" + (g.transB() ? "^T" : "")
            + " " + b);
      }
      Shape y = Shape.of(m, n);
      if (present(2)) {
        if (type(2, NUMERIC) != t) {
          throw fail("C is " + ins[2].type() + " but A is " + t);
        }
        Shape c = shape(2);
        if (c.rank() > 2 || !broadcast(y, c, where()).equals(y) && y.isKnown()) {
          throw fail("C " + c + " does not broadcast to the output " + y);
        }
      }
      return out(t, y);
    }

    private Shape matMulShape(Shape a, Shape b) {
      if (a.rank() == 0 || b.rank() == 0) {
        throw fail("MatMul needs operands of rank >= 1, got " + a + " and " + b);
      }
      Shape a2 = a.rank() == 1 ? Shape.of(1, a.dim(0)) : a;
      Shape b2 = b.rank() == 1 ? Shape.of(b.dim(0), 1) : b;
      int ka = a2.dim(-1);
      int kb = b2.dim(-2);
      if (ka != U && kb != U && ka != kb) {
        throw fail("inner dimensions differ: " + a + " x " + b);
      }
      Shape batchA = Shape.of(Arrays.copyOf(a2.toArray(), a2.rank() - 2));
      Shape batchB = Shape.of(Arrays.copyOf(b2.toArray(), b2.rank() - 2));
      int[] batch = broadcast(batchA, batchB, where()).toArray();
      int[] dims = Arrays.copyOf(batch, batch.length + 2);
      dims[batch.length] = a2.dim(-2);
      dims[batch.length + 1] = b2.dim(-1);
      int[] out = dims;
      if (a.rank() == 1) {
        out = remove(out, out.length - 2);
      }
      if (b.rank() == 1) {
        out = remove(out, out.length - 1);
      }
      return Shape.of(out);
    }

    private ValueInfo concatenate(int axis) {
      if (ins.length == 0) {
        throw fail("has no inputs");
      }
      DataType t = sameType(ANY);
      Shape first = shape(0);
      int a = axis(axis, first.rank(), false);
      int[] dims = first.toArray();
      for (int i = 1; i < ins.length; i++) {
        Shape s = shape(i);
        if (s.rank() != first.rank()) {
          throw fail("input " + i + " " + s + " has rank " + s.rank() + ", input 0 " + first + " has " + first.rank());
        }
        for (int d = 0; d < dims.length; d++) {
          if (d == a) {
            dims[d] = dims[d] == U || s.dim(d) == U ? U : dims[d] + s.dim(d);
          } else if (s.dim(d) != U && dims[d] != U && s.dim(d) != dims[d]) {
            throw fail("input " + i + " " + s + " differs from " + first + " on axis " + d + " (concat axis " + a + ")");
          } else if (dims[d] == U) {
            dims[d] = s.dim(d);
          }
        }
      }
      return out(t, Shape.of(dims));
    }

    private Shape permute(Shape x, ImmutableIntArray perm) {
      int r = x.rank();
      int[] p = perm.isEmpty() ? reversed(r) : perm.toArray();
      if (p.length != r) {
        throw fail("perm " + perm + " does not have one entry per axis of " + x);
      }
      boolean[] seen = new boolean[r];
      int[] out = new int[r];
      for (int i = 0; i < r; i++) {
        if (p[i] < 0 || p[i] >= r || seen[p[i]]) {
          throw fail("perm " + perm + " is not a permutation of 0.." + (r - 1));
        }
        seen[p[i]] = true;
        out[i] = x.dim(p[i]);
      }
      return Shape.of(out);
    }

    private ValueInfo quantize(int axis) {
      arity(2, 3);
      type(0, EnumSet.of(DataType.FLOAT32, DataType.INT32));
      type(1, FLOAT);
      DataType out = DataType.UINT8;
      if (present(2)) {
        out = type(2, EnumSet.of(DataType.INT8, DataType.UINT8));
      }
      quantParams(axis);
      return out(out, shape(0));
    }

    private ValueInfo dequantize(int axis) {
      arity(2, 3);
      DataType t = type(0, EnumSet.of(DataType.INT8, DataType.UINT8, DataType.INT32));
      type(1, FLOAT);
      if (present(2) && type(2, ANY) != t) {
        throw fail("zero point '" + node.input(2) + "' is " + ins[2].type() + " but x is " + t);
      }
      quantParams(axis);
      return out(DataType.FLOAT32, shape(0));
    }

    /** Scale and zero point: scalars (per tensor) or 1-D of the size of x's {@code axis}. */
    private void quantParams(int axis) {
      Shape x = shape(0);
      Shape scale = shape(1);
      if (scale.rank() > 1) {
        throw fail("scale '" + node.input(1) + "' is " + scale + "; it must be a scalar or 1-D");
      }
      if (scale.rank() == 1) {
        int a = axis(axis, x.rank(), false);
        int n = scale.dim(0);
        if (n != 1 && n != U && x.dim(a) != U && n != x.dim(a)) {
          throw fail("per-axis scale '" + node.input(1) + "' has " + n + " entries but axis " + a + " of " + x + " has "
              + x.dim(a));
        }
      }
      if (present(2) && !shape(2).equals(scale)) {
        throw fail("zero point '" + node.input(2) + "' " + shape(2) + " and scale '" + node.input(1) + "' " + scale
            + " differ in shape");
      }
    }

    // ---- helpers ----

    private void arity(int min, int max) {
      int n = ins.length;
      while (n > 0 && node.input(n - 1).isEmpty()) {
        n--;
      }
      if (n < min || n > max) {
        throw fail("has " + n + " inputs " + node.inputs() + ", expected " + (min == max ? "" + min : min + " to " + max));
      }
      for (int i = 0; i < min; i++) {
        if (node.input(i).isEmpty()) {
          throw fail("required input " + i + " is missing");
        }
      }
    }

    private boolean present(int i) {
      return i < ins.length && !node.input(i).isEmpty();
    }

    private ValueInfo info(int i) {
      ValueInfo v = i < ins.length ? ins[i] : null;
      if (v == null) {
        throw fail("input " + i + " ('" + node.input(i) + "') has no known type and shape");
      }
      return v;
    }

    private Shape shape(int i) {
      return info(i).shape();
    }

    private DataType type(int i, Set<DataType> allowed) {
      DataType t = info(i).type();
      if (!allowed.contains(t)) {
        throw fail("input " + i + " '" + node.input(i) + "' is " + t + ", expected one of " + allowed);
      }
      return t;
    }

    /** All present inputs share one type from {@code allowed}. */
    private DataType sameType(Set<DataType> allowed) {
      DataType t = type(0, allowed);
      for (int i = 1; i < ins.length; i++) {
        if (present(i) && info(i).type() != t) {
          throw fail("input " + i + " '" + node.input(i) + "' is " + info(i).type() + " but input 0 is " + t);
        }
      }
      return t;
    }

    /** Normalizes an ONNX axis; {@code inclusive} allows axis == rank (Flatten). */
    private int axis(int axis, int rank, boolean inclusive) {
      int hi = inclusive ? rank : rank - 1;
      if (axis < -rank || axis > hi) {
        throw fail("axis " + axis + " is out of range for rank " + rank);
      }
      return axis < 0 ? axis + rank : axis;
    }

    private ValueInfo same(DataType t) {
      return out(t, shape(0));
    }

    private ValueInfo out(DataType t, Shape s) {
      return new ValueInfo(node.output(), t, s);
    }

    private String where() {
      return "node '" + node.name() + "' (" + node.op().type() + ")";
    }

    private GraphException fail(String message) {
      return new GraphException(where() + ": " + message);
    }
  }

  /**
   * ONNX Slice on one axis of size {@code dim}: {first index, element count}, with negative
   * indices counted from the end and start/end clamped as ONNX specifies for the step's sign.
   */
  public static int[] sliceBounds(int dim, int start, int end, int step) {
    long s = start < 0 ? (long) start + dim : start;
    long e = end < 0 ? (long) end + dim : end;
    if (step > 0) {
      s = Math.max(0, Math.min(dim, s));
      e = Math.max(0, Math.min(dim, e));
    } else {
      s = Math.max(0, Math.min(dim - 1L, s));
      e = Math.max(-1, Math.min(dim - 1L, e));
    }
    long count = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
    return new int[] {(int) s, (int) Math.max(0, count)};
  }

  /** Resize's output size along an axis: floor(dim * scale), as ONNX defines it. */
  public static int resizedDim(int dim, float scale) {
    return (int) Math.floor(dim * (double) scale);
  }

  private static int product(Shape s, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (s.dim(i) == U) {
        return U;
      }
      p *= s.dim(i);
    }
    return Math.toIntExact(p);
  }

  private static ImmutableIntArray ones(int n) {
    int[] a = new int[n];
    Arrays.fill(a, 1);
    return ImmutableIntArray.copyOf(a);
  }

  private static int[] reversed(int r) {
    int[] p = new int[r];
    for (int i = 0; i < r; i++) {
      p[i] = r - 1 - i;
    }
    return p;
  }

  private static int[] remove(int[] a, int index) {
    int[] out = new int[a.length - 1];
    System.arraycopy(a, 0, out, 0, index);
    System.arraycopy(a, index + 1, out, index, a.length - index - 1);
    return out;
  }
}
