package io.quantkit.tf;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.BackendException;
import io.quantkit.GraphException;
import io.quantkit.QuantkitException;
import io.quantkit.UnsupportedOpException;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Output;

/**
 * Translates an IR {@link Graph} (NCHW, ONNX opset-13 semantics) into a TensorFlow graph that
 * computes the same function on TensorFlow's CPU kernels.
 *
 * <p><b>Layout.</b> TensorFlow's CPU convolution and pooling kernels want channels last (NHWC), the
 * IR is channels first. Every IR tensor is held as a TensorFlow tensor plus a permutation saying
 * which IR axis each stored axis holds ({@link TfValue}); an IR Transpose only changes that
 * permutation, and a real transpose is emitted only where an op needs an axis order the value does
 * not have. So the Keras input contract (NHWC input, Transpose to NCHW) costs nothing: the Transpose
 * and the convolutions' wish for NHWC cancel, and the layout Transpose before Flatten cancels too.
 * Constants (weights) are transposed in Java, once.
 *
 * <p><b>Quantization.</b> QuantizeLinear and DequantizeLinear are built from TensorFlow ops with
 * ONNX semantics: {@code saturate(round_half_even(x / scale) + zero_point)} and
 * {@code (x - zero_point) * scale} with the difference taken in integers, per tensor or per axis,
 * exactly as the reference executor computes them. Activation scales are hidden from Grappler's
 * constant folding ({@link TfGraphBuilder#opaque}), which would otherwise turn the division into a
 * multiplication by the reciprocal and round some values the other way. Dequantized weights and
 * biases keep plain constants: Grappler folds them once with the same float arithmetic.
 *
 * <p>One method per op type; {@link #translate(Node)} dispatches.
 */
final class GraphTranslator {
  /** IR ops this translator does not handle yet; {@link TfBackend#check} reports them. */
  static final java.util.Set<Class<? extends Op>> UNTRANSLATED = java.util.Set.of();

  /** Why the tf backend cannot run {@code op} as parameterized, or null when it can. */
  static String refusal(Op op) {
    if (UNTRANSLATED.contains(op.getClass())) {
      return "the tf backend does not translate " + op.type() + " yet";
    }
    if (op instanceof Op.Pad p && p.mode().equals("edge")) {
      return "the tf backend pads in constant and reflect modes only";
    }
    if (op instanceof Op.Resize r) {
      boolean spatialOnly = r.scales().size() == 4 && r.scales().get(0) == 1f && r.scales().get(1) == 1f;
      boolean nearestOk = r.mode().equals("nearest") && r.coordinateMode().equals("asymmetric") && r.nearestMode().equals("floor");
      if (!spatialOnly || (r.mode().equals("nearest") && !nearestOk)) {
        return "the tf backend resizes the H and W of 4-D inputs, nearest only with asymmetric coordinates rounded down";
      }
    }
    return null;
  }

  private final Graph ir;
  private final TfGraphBuilder b;
  private final Map<String, ValueInfo> info;
  private final Map<String, TfValue> values = new HashMap<>();
  private String scope = "";

  private GraphTranslator(Graph ir, TfGraphBuilder b) {
    this.ir = ir;
    this.b = b;
    try {
      this.info = ShapeInference.infer(ir);
    } catch (GraphException e) {
      throw new BackendException("graph '" + ir.name() + "' cannot be translated to TensorFlow: " + e.getMessage(), e);
    }
  }

  /** Where the IR's inputs and outputs live in the TensorFlow graph. */
  record Translation(ImmutableMap<String, Output<?>> inputs, ImmutableMap<String, Output<?>> outputs) {}

  /**
   * Adds {@code ir} to {@code tfGraph}: one Placeholder per IR input (named after it, batch size
   * free where the IR leaves it unknown) and one Identity per IR output (named after it).
   *
   * @throws UnsupportedOpException for an op or form the translation does not cover
   */
  static Translation translate(Graph ir, org.tensorflow.Graph tfGraph) {
    GraphTranslator t = new GraphTranslator(ir, new TfGraphBuilder(tfGraph));
    return t.run();
  }

  private Translation run() {
    Map<String, Output<?>> inputs = new LinkedHashMap<>();
    for (ValueInfo in : ir.inputs()) {
      Output<?> p = b.op("Placeholder", in.name()).attr("dtype", TfTensors.boundaryType(in.type()))
          .attr("shape", TfGraphBuilder.tfShape(in.shape())).build();
      inputs.put(in.name(), p);
      Output<?> v = p;
      if (in.type() == DataType.INT8) {
        v = b.op("Cast", in.name() + "/int8").in(p).attr("DstT", org.tensorflow.proto.DataType.DT_INT8).build();
      }
      values.put(in.name(), TfValue.of(v, in.type(), in.shape()));
    }
    ir.initializers().forEach((name, t) -> values.put(name, TfValue.constant(t)));
    for (Node n : ir.nodes()) {
      scope = n.name();
      TfValue out;
      try {
        out = translate(n);
      } catch (QuantkitException e) {
        throw e;
      } catch (RuntimeException e) {
        // TensorFlow's own shape checks run as ops are added and name the TF op, not the IR node.
        throw new BackendException("TensorFlow rejected the translation of node '" + n.name() + "' (" + n.op().type()
            + "): " + firstLine(e.getMessage()), e);
      }
      values.put(n.output(), out);
    }
    scope = "";
    Map<String, Output<?>> outputs = new LinkedHashMap<>();
    for (String name : ir.outputs()) {
      TfValue v = values.get(name);
      Output<?> x = materialize(v, identity(v.rank()));
      if (v.type == DataType.INT8) {
        x = b.op("Cast", name + "/int32").in(x).attr("DstT", org.tensorflow.proto.DataType.DT_INT32).build();
      }
      outputs.put(name, b.op("Identity", outputName(name, inputs)).in(x).build());
    }
    return new Translation(ImmutableMap.copyOf(inputs), ImmutableMap.copyOf(outputs));
  }

  /** An output that is also an input keeps the input's name on the Placeholder. */
  private static String outputName(String name, Map<String, Output<?>> inputs) {
    return inputs.containsKey(name) ? name + "/output" : name;
  }

  // ---- dispatch: one method per op type ----

  private TfValue translate(Node n) {
    return n.op().accept(new Op.Visitor<TfValue>() {
      public TfValue conv(Op.Conv op) {
        return GraphTranslator.this.conv(n, op);
      }

      public TfValue batchNorm(Op.BatchNorm op) {
        return GraphTranslator.this.batchNorm(n, op);
      }

      public TfValue relu(Op.Relu op) {
        return GraphTranslator.this.relu(n);
      }

      public TfValue clip(Op.Clip op) {
        return GraphTranslator.this.clip(n, op);
      }

      public TfValue add(Op.Add op) {
        return binary(n, "AddV2");
      }

      public TfValue mul(Op.Mul op) {
        return binary(n, "Mul");
      }

      public TfValue maxPool(Op.MaxPool op) {
        return GraphTranslator.this.maxPool(n, op);
      }

      public TfValue averagePool(Op.AveragePool op) {
        return GraphTranslator.this.averagePool(n, op);
      }

      public TfValue globalAveragePool(Op.GlobalAveragePool op) {
        return GraphTranslator.this.globalAveragePool(n);
      }

      public TfValue flatten(Op.Flatten op) {
        return GraphTranslator.this.reshape(n);
      }

      public TfValue reshape(Op.Reshape op) {
        return GraphTranslator.this.reshape(n);
      }

      public TfValue gemm(Op.Gemm op) {
        return GraphTranslator.this.gemm(n, op);
      }

      public TfValue matMul(Op.MatMul op) {
        return GraphTranslator.this.matMul(n);
      }

      public TfValue softmax(Op.Softmax op) {
        return GraphTranslator.this.softmax(n, op);
      }

      public TfValue concat(Op.Concat op) {
        return GraphTranslator.this.concat(n, op);
      }

      public TfValue transpose(Op.Transpose op) {
        return GraphTranslator.this.transpose(n, op);
      }

      public TfValue quantizeLinear(Op.QuantizeLinear op) {
        return GraphTranslator.this.quantizeLinear(n, op);
      }

      public TfValue dequantizeLinear(Op.DequantizeLinear op) {
        return GraphTranslator.this.dequantizeLinear(n, op);
      }

      public TfValue sigmoid(Op.Sigmoid op) {
        TfValue x = value(n.input(0));
        requireFloat(n, x);
        return unary(n, x, b.op("Sigmoid", name("sigmoid")).in(stored(x)).build());
      }

      public TfValue sum(Op.Sum op) {
        return GraphTranslator.this.sum(n);
      }

      public TfValue hardSwish(Op.HardSwish op) {
        return GraphTranslator.this.hardSwish(n);
      }

      public TfValue lrn(Op.Lrn op) {
        return GraphTranslator.this.lrn(n, op);
      }

      public TfValue sub(Op.Sub op) {
        return binary(n, "Sub");
      }

      public TfValue div(Op.Div op) {
        return binary(n, "RealDiv");
      }

      public TfValue tanh(Op.Tanh op) {
        TfValue x = value(n.input(0));
        requireFloat(n, x);
        return unary(n, x, b.op("Tanh", name("tanh")).in(stored(x)).build());
      }

      public TfValue leakyRelu(Op.LeakyRelu op) {
        TfValue x = value(n.input(0));
        requireFloat(n, x);
        return unary(n, x, b.op("LeakyRelu", name("leaky_relu")).in(stored(x)).attr("alpha", op.alpha()).build());
      }

      public TfValue hardSigmoid(Op.HardSigmoid op) {
        TfValue x = value(n.input(0));
        requireFloat(n, x);
        Output<?> lin = b.op("AddV2", name("hs_shift")).in(b.op("Mul", name("hs_scale")).in(stored(x))
            .in(b.scalar(name("hs_alpha"), op.alpha())).build()).in(b.scalar(name("hs_beta"), op.beta())).build();
        return unary(n, x, b.op("ClipByValue", name("hard_sigmoid")).in(lin).in(b.scalar(name("hs_zero"), 0f))
            .in(b.scalar(name("hs_one"), 1f)).build());
      }

      // The ops below depend on axis positions, which this backend may hold channels-last: not
      // translated yet, so the backend reports them unsupported and the caller can choose another.
      public TfValue pRelu(Op.PRelu op) {
        return GraphTranslator.this.pRelu(n);
      }

      public TfValue globalMaxPool(Op.GlobalMaxPool op) {
        return GraphTranslator.this.globalPool(n, "Max");
      }

      public TfValue pad(Op.Pad op) {
        return GraphTranslator.this.pad(n, op);
      }

      public TfValue slice(Op.Slice op) {
        return GraphTranslator.this.slice(n, op);
      }

      public TfValue reduceMean(Op.ReduceMean op) {
        return GraphTranslator.this.reduceMean(n, op);
      }

      public TfValue resize(Op.Resize op) {
        return GraphTranslator.this.resize(n, op);
      }
    });
  }

  private TfValue sum(Node n) {
    TfValue acc = value(n.input(0));
    for (int i = 1; i < n.inputs().size(); i++) {
      acc = add(n, acc, value(n.input(i)), i == n.inputs().size() - 1 ? shape(n.output()) : null);
    }
    return acc;
  }

  private TfValue hardSwish(Node n) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    Output<?> in = stored(x);
    Output<?> gate = b.op("AddV2", name("shift")).in(b.op("Mul", name("sixth")).in(in)
        .in(b.scalar(name("one_sixth"), 1f / 6f)).build()).in(b.scalar(name("half"), 0.5f)).build();
    gate = b.op("ClipByValue", name("gate")).in(gate).in(b.scalar(name("zero"), 0f)).in(b.scalar(name("one"), 1f)).build();
    return unary(n, x, b.op("Mul", name("hardswish")).in(in).in(gate).build());
  }

  private TfValue lrn(Node n, Op.Lrn op) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    if (x.rank() != 4 || op.size() % 2 == 0) {
      throw unsupported(n, "the tf backend runs LRN on 4-D inputs with an odd size (TensorFlow's window is symmetric)");
    }
    // TensorFlow's LRN: channels last, x / (bias + alpha' * sum of squares over depth_radius each side)^beta.
    Output<?> in = materialize(x, channelsLast(4));
    Output<?> y = b.op("LRN", name("lrn")).in(in).attr("depth_radius", (op.size() - 1) / 2).attr("bias", op.bias())
        .attr("alpha", op.alpha() / op.size()).attr("beta", op.beta()).build();
    return TfValue.of(y, channelsLastPerm(4), DataType.FLOAT32, shape(n.output()));
  }

  // ---- ops ----

  private TfValue conv(Node n, Op.Conv op) {
    TfValue x = value(n.input(0));
    TfValue w = value(n.input(1));
    int rank = x.rank();
    int spatial = rank - 2;
    requireFloat(n, x, w);
    if (spatial < 1 || spatial > 3) {
      throw unsupported(n, "only 1-D, 2-D and 3-D convolutions are supported, input has rank " + rank);
    }
    Shape xs = shape(n.input(0));
    int channels = xs.dim(1);
    int outChannels = shape(n.input(1)).dim(0);
    int groups = op.groups();
    Output<?> xin = materialize(x, channelsLast(rank));
    // [k..., C/groups, M]: HWIO for 2-D.
    Output<?> filter = materialize(w, filterOrder(rank));
    int[] kernel = op.kernel().toArray();
    int[] strides = op.strides().toArray();
    int[] dilations = op.dilations().toArray();
    Pads pads = pads(n, op.padding(), xs, op.kernel(), op.strides(), op.dilations(), false, shape(n.output()));
    if (spatial == 1) {
      xin = expandDims(xin, 1);
      filter = expandDims(filter, 0);
      kernel = new int[] {1, kernel[0]};
      strides = new int[] {1, strides[0]};
      dilations = new int[] {1, dilations[0]};
      pads = pads.promoteTo2d();
    }
    int sp = kernel.length;
    Output<?> y;
    if (groups == 1) {
      y = convNd(xin, filter, sp, strides, dilations, pads, false);
    } else if (sp == 2 && groups == channels && outChannels % channels == 0) {
      // Depthwise: output channel c * multiplier + j reads input channel c, as TensorFlow's kernel.
      Output<?> dw = reshapeTo(filter, new int[] {kernel[0], kernel[1], channels, outChannels / channels});
      y = convNd(xin, dw, sp, strides, dilations, pads, true);
    } else {
      List<Output<?>> xs2 = split(xin, sp + 1, groups);
      List<Output<?>> fs = split(filter, sp + 1, groups);
      List<Output<?>> parts = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        parts.add(convNd(xs2.get(g), fs.get(g), sp, strides, dilations, pads, false));
      }
      y = concatOutputs(parts, sp + 1);
    }
    if (spatial == 1) {
      y = b.op("Squeeze", name("squeeze")).in(y).attr("squeeze_dims", new long[] {1}).build();
    }
    if (!n.input(2).isEmpty()) {
      y = b.op("BiasAdd", name("bias")).in(y).in(materialize(value(n.input(2)), new int[] {0}))
          .attr("data_format", "NHWC").build();
    }
    return TfValue.of(y, channelsLastPerm(rank), DataType.FLOAT32, shape(n.output()));
  }

  /** Conv2D / DepthwiseConv2dNative / Conv3D on channels-last data with the given padding. */
  private Output<?> convNd(Output<?> x, Output<?> filter, int sp, int[] strides, int[] dilations, Pads pads, boolean depthwise) {
    String padding = pads.tfSame ? "SAME" : "VALID";
    long[] explicit = null;
    if (!pads.tfSame && !pads.isZero()) {
      if (sp == 2 && !depthwise) {
        padding = "EXPLICIT";
        explicit = new long[] {0, 0, pads.begin[0], pads.end[0], pads.begin[1], pads.end[1], 0, 0};
      } else {
        x = pad(x, pads, sp, 0f);
      }
    }
    String type = sp == 3 ? "Conv3D" : depthwise ? "DepthwiseConv2dNative" : "Conv2D";
    TfGraphBuilder.Op o = b.op(type, name(type.toLowerCase())).in(x).in(filter)
        .attr("strides", window(strides)).attr("dilations", window(dilations)).attr("padding", padding)
        .attr("data_format", sp == 3 ? "NDHWC" : "NHWC");
    if (explicit != null) {
      o.attr("explicit_paddings", explicit);
    }
    return o.build();
  }

  private TfValue batchNorm(Node n, Op.BatchNorm op) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int rank = x.rank();
    int[] bshape = channelBroadcast(x, 1);
    Tensor scale = constantOrNull(n.input(1));
    Tensor bias = constantOrNull(n.input(2));
    Tensor mean = constantOrNull(n.input(3));
    Tensor var = constantOrNull(n.input(4));
    Output<?> stored = x.stored;
    if (x.constant != null) {
      stored = materialize(x, identity(rank));
      bshape = channelBroadcast(TfValue.of(stored, x.type, x.shape), 1);
    }
    Output<?> y;
    if (scale != null && bias != null && mean != null && var != null) {
      // (x - mean) * k + bias with k as the reference executor computes it.
      int c = scale.size();
      float[] k = new float[c];
      for (int i = 0; i < c; i++) {
        k[i] = (float) (scale.getFloat(i) / Math.sqrt((double) var.getFloat(i) + op.epsilon()));
      }
      Output<?> centered = b.op("Sub", name("center")).in(stored).in(b.constant(name("mean"),
          mean.reshape(Shape.of(bshape)))).build();
      Output<?> scaled = b.op("Mul", name("scale")).in(centered).in(b.constant(name("k"),
          Tensor.wrapFloats(Shape.of(bshape), k))).build();
      y = b.op("AddV2", name("shift")).in(scaled).in(b.constant(name("beta"), bias.reshape(Shape.of(bshape)))).build();
    } else {
      Output<?> s = reshapeTo(materialize(value(n.input(1)), new int[] {0}), bshape);
      Output<?> bb = reshapeTo(materialize(value(n.input(2)), new int[] {0}), bshape);
      Output<?> m = reshapeTo(materialize(value(n.input(3)), new int[] {0}), bshape);
      Output<?> v = reshapeTo(materialize(value(n.input(4)), new int[] {0}), bshape);
      Output<?> inv = b.op("Rsqrt", name("rsqrt")).in(b.op("AddV2", name("var_eps")).in(v)
          .in(b.scalar(name("epsilon"), op.epsilon())).build()).build();
      Output<?> k = b.op("Mul", name("k")).in(s).in(inv).build();
      Output<?> centered = b.op("Sub", name("center")).in(stored).in(m).build();
      y = b.op("AddV2", name("shift")).in(b.op("Mul", name("scale")).in(centered).in(k).build()).in(bb).build();
    }
    return TfValue.of(y, x.constant != null ? identity(rank) : x.perm, DataType.FLOAT32, shape(n.output()));
  }

  private TfValue relu(Node n) {
    TfValue x = value(n.input(0));
    return unary(n, x, b.op("Relu", name("relu")).in(stored(x)).build());
  }

  private TfValue clip(Node n, Op.Clip op) {
    TfValue x = value(n.input(0));
    Output<?> lo;
    Output<?> hi;
    switch (x.type) {
      case FLOAT32:
        lo = b.scalar(name("min"), op.min());
        hi = b.scalar(name("max"), op.max());
        break;
      case INT32:
        lo = b.constant(name("min"), Tensor.ofInts(Shape.scalar(), saturatedInt(op.min())));
        hi = b.constant(name("max"), Tensor.ofInts(Shape.scalar(), saturatedInt(op.max())));
        break;
      case INT64:
        lo = b.constant(name("min"), Tensor.ofLongs(Shape.scalar(), (long) Math.ceil(op.min())));
        hi = b.constant(name("max"), Tensor.ofLongs(Shape.scalar(), (long) Math.floor(op.max())));
        break;
      default:
        throw unsupported(n, "Clip on " + x.type + " is not supported");
    }
    return unary(n, x, b.op("ClipByValue", name("clip")).in(stored(x)).in(lo).in(hi).build());
  }

  private static int saturatedInt(float v) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  /** Element-wise binary op with numpy broadcasting; the result keeps the higher-rank operand's layout. */
  private TfValue binary(Node n, String tfOp) {
    return binary(n, tfOp, value(n.input(0)), value(n.input(1)), shape(n.output()));
  }

  private TfValue add(Node n, TfValue a, TfValue c, Shape out) {
    return binary(n, "AddV2", a, c, out);
  }

  private TfValue binary(Node n, String tfOp, TfValue a, TfValue c, Shape out) {
    int rank = Math.max(a.rank(), c.rank());
    TfValue lead = a.rank() > c.rank() || (a.rank() == c.rank() && (a.constant == null || c.constant != null)) ? a : c;
    int[] perm = lead.constant != null ? identity(rank) : lead.perm;
    Output<?> x = materialize(broadcastRank(a, rank), perm);
    Output<?> y = materialize(broadcastRank(c, rank), perm);
    Shape shape = out != null ? out : broadcastShape(a.shape, c.shape);
    return TfValue.of(b.op(tfOp, name(tfOp.toLowerCase())).in(x).in(y).build(), perm, a.type, shape);
  }

  private static Shape broadcastShape(Shape a, Shape c) {
    int r = Math.max(a.rank(), c.rank());
    int[] d = new int[r];
    for (int i = 0; i < r; i++) {
      int ia = i - (r - a.rank());
      int ic = i - (r - c.rank());
      int da = ia < 0 ? 1 : a.dim(ia);
      int dc = ic < 0 ? 1 : c.dim(ic);
      d[i] = da == 1 ? dc : da;
    }
    return Shape.of(d);
  }

  private TfValue maxPool(Node n, Op.MaxPool op) {
    TfValue x = value(n.input(0));
    int rank = x.rank();
    int spatial = rank - 2;
    if (spatial < 1 || spatial > 3) {
      throw unsupported(n, "only 1-D, 2-D and 3-D pooling is supported, input has rank " + rank);
    }
    Shape xs = shape(n.input(0));
    Shape ys = shape(n.output());
    Pads pads = pads(n, op.padding(), xs, op.kernel(), op.strides(), op.dilations(), op.ceilMode(), ys);
    Output<?> xin = materialize(x, channelsLast(rank));
    boolean dilated = Arrays.stream(op.dilations().toArray()).anyMatch(d -> d != 1);
    Output<?> y;
    if (dilated || spatial == 3 && x.type != DataType.FLOAT32) {
      y = maxOverTaps(n, xin, x.type, op, pads, ys);
    } else {
      int[] kernel = op.kernel().toArray();
      int[] strides = op.strides().toArray();
      if (spatial == 1) {
        xin = expandDims(xin, 1);
        kernel = new int[] {1, kernel[0]};
        strides = new int[] {1, strides[0]};
        pads = pads.promoteTo2d();
      }
      int sp = kernel.length;
      if (!pads.tfSame && !pads.isZero()) {
        // Padding never wins: the lowest value of the type (ONNX and the reference ignore padded taps).
        xin = pad(xin, pads, sp, lowest(x.type));
      }
      y = b.op(sp == 3 ? "MaxPool3D" : "MaxPool", name("maxpool")).in(xin).attr("ksize", window(kernel))
          .attr("strides", window(strides)).attr("padding", pads.tfSame ? "SAME" : "VALID")
          .attr("data_format", sp == 3 ? "NDHWC" : "NHWC").build();
      if (spatial == 1) {
        y = b.op("Squeeze", name("squeeze")).in(y).attr("squeeze_dims", new long[] {1}).build();
      }
    }
    return TfValue.of(y, channelsLastPerm(rank), x.type, ys);
  }

  /**
   * Max pooling as the element-wise maximum of one strided slice per kernel tap: covers dilations,
   * which TensorFlow's pooling kernels lack.
   */
  private Output<?> maxOverTaps(Node n, Output<?> xin, DataType type, Op.MaxPool op, Pads pads, Shape ys) {
    int sp = op.kernel().length();
    requireKnown(n, ys, 2, sp);
    Output<?> xp = pads.isZero() && !pads.tfSame ? xin : pad(xin, pads, sp, lowest(type));
    int[] kernel = op.kernel().toArray();
    int taps = Arrays.stream(kernel).reduce(1, (p, q) -> p * q);
    Output<?> acc = null;
    for (int t = 0; t < taps; t++) {
      int[] tap = new int[sp];
      for (int i = sp - 1, rest = t; i >= 0; rest /= kernel[i], i--) {
        tap[i] = rest % kernel[i];
      }
      int[] begin = new int[sp + 2];
      int[] end = new int[sp + 2];
      int[] stride = new int[sp + 2];
      stride[0] = 1;
      stride[sp + 1] = 1;
      for (int i = 0; i < sp; i++) {
        begin[i + 1] = tap[i] * op.dilations().get(i);
        end[i + 1] = begin[i + 1] + (ys.dim(2 + i) - 1) * op.strides().get(i) + 1;
        stride[i + 1] = op.strides().get(i);
      }
      // Masks: take the whole batch and channel axes.
      long mask = 1L | (1L << (sp + 1));
      Output<?> slice = b.op("StridedSlice", name("tap")).in(xp).in(b.ints(name("begin"), begin))
          .in(b.ints(name("end"), end)).in(b.ints(name("strides"), stride)).attr("begin_mask", mask)
          .attr("end_mask", mask).build();
      acc = acc == null ? slice : b.op("Maximum", name("max")).in(acc).in(slice).build();
    }
    return acc;
  }

  private TfValue averagePool(Node n, Op.AveragePool op) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int rank = x.rank();
    int spatial = rank - 2;
    if (spatial < 1 || spatial > 3) {
      throw unsupported(n, "only 1-D, 2-D and 3-D pooling is supported, input has rank " + rank);
    }
    Shape xs = shape(n.input(0));
    Shape ys = shape(n.output());
    ImmutableIntArray ones = ImmutableIntArray.copyOf(ones(spatial));
    Pads pads = pads(n, op.padding(), xs, op.kernel(), op.strides(), ones, op.ceilMode(), ys);
    // TensorFlow's SAME average leaves padded cells out of the divisor, as count_include_pad=0 does.
    if (pads.tfSame && op.countIncludePad()) {
      pads = pads.explicit();
    }
    Output<?> xin = materialize(x, channelsLast(rank));
    int[] kernel = op.kernel().toArray();
    int[] strides = op.strides().toArray();
    float[] factor = null;
    if (!pads.tfSame && (!pads.isZero() || op.ceilMode())) {
      requireKnown(n, ys, 2, spatial);
      factor = divisorCorrection(xs, ys, op, pads);
    }
    if (spatial == 1) {
      xin = expandDims(xin, 1);
      kernel = new int[] {1, kernel[0]};
      strides = new int[] {1, strides[0]};
      pads = pads.promoteTo2d();
    }
    int sp = kernel.length;
    if (!pads.tfSame && !pads.isZero()) {
      xin = pad(xin, pads, sp, 0f);
    }
    Output<?> y = b.op(sp == 3 ? "AvgPool3D" : "AvgPool", name("avgpool")).in(xin).attr("ksize", window(kernel))
        .attr("strides", window(strides)).attr("padding", pads.tfSame ? "SAME" : "VALID")
        .attr("data_format", sp == 3 ? "NDHWC" : "NHWC").build();
    if (spatial == 1) {
      y = b.op("Squeeze", name("squeeze")).in(y).attr("squeeze_dims", new long[] {1}).build();
    }
    if (factor != null) {
      int[] fshape = new int[rank];
      fshape[0] = 1;
      for (int i = 0; i < spatial; i++) {
        fshape[1 + i] = ys.dim(2 + i);
      }
      fshape[rank - 1] = 1;
      y = b.op("Mul", name("divisor")).in(y).in(b.constant(name("factor"), Tensor.wrapFloats(Shape.of(fshape), factor)))
          .build();
    }
    return TfValue.of(y, channelsLastPerm(rank), DataType.FLOAT32, ys);
  }

  /**
   * AvgPool over the zero-padded input divides by the kernel area; ONNX divides by the taps inside
   * the input (count_include_pad=0) or inside input + pads (=1, which ceil mode can still cut).
   * Returns area / count per output position, or null when they are equal everywhere.
   */
  private static float[] divisorCorrection(Shape xs, Shape ys, Op.AveragePool op, Pads pads) {
    int sp = op.kernel().length();
    int[] out = new int[sp];
    int total = 1;
    int area = 1;
    for (int i = 0; i < sp; i++) {
      out[i] = ys.dim(2 + i);
      total *= out[i];
      area *= op.kernel().get(i);
    }
    float[] f = new float[total];
    boolean any = false;
    int[] o = new int[sp];
    for (int p = 0; p < total; p++) {
      for (int i = sp - 1, rest = p; i >= 0; rest /= out[i], i--) {
        o[i] = rest % out[i];
      }
      int count = 1;
      for (int i = 0; i < sp; i++) {
        int in = xs.dim(2 + i);
        int start = o[i] * op.strides().get(i) - pads.begin[i];
        int end = start + op.kernel().get(i);
        count *= op.countIncludePad()
            ? Math.min(end, in + pads.end[i]) - start
            : Math.min(end, in) - Math.max(start, 0);
      }
      f[p] = (float) area / count;
      any |= count != area;
    }
    return any ? f : null;
  }

  private TfValue globalAveragePool(Node n) {
    return globalPool(n, "Mean");
  }

  /** Mean or Max over the spatial axes, wherever the input's layout holds them. */
  private TfValue globalPool(Node n, String tfOp) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int rank = x.rank();
    Output<?> stored = materializeIfConstant(x);
    int[] perm = x.constant != null ? identity(rank) : x.perm;
    int[] inv = inverse(perm);
    int[] axes = new int[rank - 2];
    for (int a = 2; a < rank; a++) {
      axes[a - 2] = inv[a];
    }
    Output<?> y = b.op(tfOp, name(tfOp.toLowerCase())).in(stored).in(b.ints(name("axes"), axes)).attr("keep_dims", true).build();
    return TfValue.of(y, perm, DataType.FLOAT32, shape(n.output()));
  }

  /** relu(x) + slope * min(x, 0), the slope broadcast in the IR's axis order. */
  private TfValue pRelu(Node n) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int r = x.rank();
    Shape ys = shape(n.output());
    Output<?> in = materialize(x, identity(r));
    TfValue neg = TfValue.of(b.op("Minimum", name("prelu_neg")).in(in).in(b.scalar(name("prelu_zero"), 0f)).build(),
        identity(r), DataType.FLOAT32, ys);
    TfValue scaled = binary(n, "Mul", neg, value(n.input(1)), ys);
    Output<?> y = b.op("AddV2", name("prelu")).in(b.op("Relu", name("prelu_pos")).in(in).build())
        .in(materialize(scaled, identity(r))).build();
    return TfValue.of(y, identity(r), DataType.FLOAT32, ys);
  }

  /** ResizeNearestNeighbor / ResizeBilinear on channels-last data; ONNX's coordinate modes map to their two flags. */
  private TfValue resize(Node n, Op.Resize op) {
    String why = refusal(op);
    if (why != null) {
      throw unsupported(n, why);
    }
    TfValue x = value(n.input(0));
    Shape ys = shape(n.output());
    if (ys.dim(2) == Shape.UNKNOWN || ys.dim(3) == Shape.UNKNOWN) {
      throw unsupported(n, "the tf backend resizes to a known height and width only");
    }
    Output<?> in = materialize(x, channelsLast(4));
    Output<?> size = b.ints(name("resize_size"), ys.dim(2), ys.dim(3));
    Output<?> y;
    if (op.mode().equals("nearest")) {
      y = b.op("ResizeNearestNeighbor", name("resize")).in(in).in(size).attr("align_corners", false)
          .attr("half_pixel_centers", false).build();
    } else {
      requireFloat(n, x);
      boolean align = op.coordinateMode().equals("align_corners");
      boolean half = op.coordinateMode().equals("half_pixel") || op.coordinateMode().equals("pytorch_half_pixel");
      y = b.op("ResizeBilinear", name("resize")).in(in).in(size).attr("align_corners", align)
          .attr("half_pixel_centers", half).build();
    }
    return TfValue.of(y, channelsLastPerm(4), x.type, ys);
  }

  /** In the IR's axis order: PadV2 (constant) or MirrorPad REFLECT, which is ONNX's reflect. */
  private TfValue pad(Node n, Op.Pad op) {
    String why = refusal(op);
    if (why != null) {
      throw unsupported(n, why);
    }
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int r = x.rank();
    Output<?> in = materialize(x, identity(r));
    int[] p = new int[2 * r];
    for (int i = 0; i < r; i++) {
      p[2 * i] = op.pads().get(i);
      p[2 * i + 1] = op.pads().get(i + r);
    }
    Output<?> pads = b.ints(name("paddings"), Shape.of(r, 2), p);
    Output<?> y = op.mode().equals("constant")
        ? b.op("PadV2", name("pad")).in(in).in(pads).in(b.scalar(name("pad_value"), op.value())).build()
        : b.op("MirrorPad", name("pad")).in(in).in(pads).attr("mode", "REFLECT").build();
    return TfValue.of(y, identity(r), DataType.FLOAT32, shape(n.output()));
  }

  /** StridedSlice in the IR's axis order, bounds resolved on the known sizes (end_mask where a negative step runs past 0). */
  private TfValue slice(Node n, Op.Slice op) {
    TfValue x = value(n.input(0));
    int r = x.rank();
    Shape xs = x.shape;
    int[] begin = new int[r];
    int[] end = new int[r];
    int[] strides = new int[r];
    long endMask = 0;
    for (int a = 0; a < r; a++) {
      strides[a] = 1;
      endMask |= 1L << a;
    }
    for (int i = 0; i < op.axes().length(); i++) {
      int a = op.axes().get(i) < 0 ? op.axes().get(i) + r : op.axes().get(i);
      if (xs.dim(a) == Shape.UNKNOWN) {
        throw unsupported(n, "the tf backend slices axes of known size only");
      }
      int step = op.steps().get(i);
      int[] bounds = ShapeInference.sliceBounds(xs.dim(a), op.starts().get(i), op.ends().get(i), step);
      begin[a] = bounds[0];
      end[a] = bounds[0] + bounds[1] * step;
      strides[a] = step;
      if (end[a] >= 0) {
        endMask &= ~(1L << a);
      }
    }
    Output<?> in = materialize(x, identity(r));
    Output<?> y = b.op("StridedSlice", name("slice")).in(in).in(b.ints(name("begin"), begin)).in(b.ints(name("end"), end))
        .in(b.ints(name("strides"), strides)).attr("end_mask", endMask).build();
    return TfValue.of(y, identity(r), x.type, shape(n.output()));
  }

  /** In the IR's axis order, so that the kept axes need no layout bookkeeping. */
  private TfValue reduceMean(Node n, Op.ReduceMean op) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int rank = x.rank();
    int[] axes = op.axes().toArray();
    if (axes.length == 0) {
      axes = identity(rank);
    }
    for (int i = 0; i < axes.length; i++) {
      axes[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
    }
    Output<?> in = materialize(x, identity(rank));
    Output<?> y = b.op("Mean", name("reduce_mean")).in(in).in(b.ints(name("axes"), axes)).attr("keep_dims", op.keepDims()).build();
    Shape ys = shape(n.output());
    return TfValue.of(y, identity(ys.rank()), DataType.FLOAT32, ys);
  }

  /** Flatten and Reshape: both read the IR's row-major order, so the input is brought to IR order first. */
  private TfValue reshape(Node n) {
    TfValue x = value(n.input(0));
    Shape ys = shape(n.output());
    Output<?> in = materialize(x, identity(x.rank()));
    return TfValue.of(reshapeTo(in, staticShape(n, ys)), ys.rank() == 0 ? new int[0] : identity(ys.rank()), x.type, ys);
  }

  private TfValue gemm(Node n, Op.Gemm op) {
    TfValue a = value(n.input(0));
    TfValue bb = value(n.input(1));
    requireFloat(n, a, bb);
    Output<?> y = b.op("MatMul", name("matmul")).in(materialize(a, identity(2))).in(materialize(bb, identity(2)))
        .attr("transpose_a", op.transA()).attr("transpose_b", op.transB()).build();
    if (op.alpha() != 1f) {
      y = b.op("Mul", name("alpha")).in(y).in(b.scalar(name("alpha_value"), op.alpha())).build();
    }
    if (!n.input(2).isEmpty()) {
      TfValue c = value(n.input(2));
      Output<?> cv = materialize(c, identity(c.rank()));
      if (op.beta() != 1f) {
        cv = b.op("Mul", name("beta")).in(cv).in(b.scalar(name("beta_value"), op.beta())).build();
      }
      y = b.op("AddV2", name("add_c")).in(y).in(cv).build();
    }
    return TfValue.of(y, identity(2), DataType.FLOAT32, shape(n.output()));
  }

  private TfValue matMul(Node n) {
    TfValue a = value(n.input(0));
    TfValue c = value(n.input(1));
    Output<?> x = materialize(a, identity(a.rank()));
    Output<?> y = materialize(c, identity(c.rank()));
    if (a.rank() == 1) {
      x = expandDims(x, 0);
    }
    if (c.rank() == 1) {
      y = expandDims(y, 1);
    }
    Output<?> out = b.op("BatchMatMulV2", name("matmul")).in(x).in(y).build();
    Shape ys = shape(n.output());
    if (a.rank() == 1 || c.rank() == 1) {
      out = reshapeTo(out, staticShape(n, ys));
    }
    return TfValue.of(out, identity(ys.rank()), a.type, ys);
  }

  private TfValue softmax(Node n, Op.Softmax op) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    int rank = x.rank();
    int axis = op.axis() < 0 ? op.axis() + rank : op.axis();
    int[] perm = x.constant != null ? identity(rank) : x.perm;
    if (perm[rank - 1] != axis) {
      // TensorFlow's Softmax works on the last stored axis: keep the others' order, move the axis last.
      int[] moved = new int[rank];
      for (int i = 0, j = 0; i < rank; i++) {
        if (perm[i] != axis) {
          moved[j++] = perm[i];
        }
      }
      moved[rank - 1] = axis;
      perm = moved;
    }
    Output<?> in = materialize(x, perm);
    return TfValue.of(b.op("Softmax", name("softmax")).in(in).build(), perm, DataType.FLOAT32, shape(n.output()));
  }

  private TfValue concat(Node n, Op.Concat op) {
    List<TfValue> parts = new ArrayList<>();
    for (String in : n.inputs()) {
      if (!in.isEmpty()) {
        parts.add(value(in));
      }
    }
    int rank = parts.get(0).rank();
    int axis = op.axis() < 0 ? op.axis() + rank : op.axis();
    int[] perm = parts.stream().filter(p -> p.constant == null).findFirst().map(p -> p.perm).orElse(identity(rank));
    List<Output<?>> stored = new ArrayList<>();
    for (TfValue p : parts) {
      stored.add(materialize(p, perm));
    }
    Output<?> y = concatOutputs(stored, inverse(perm)[axis]);
    return TfValue.of(y, perm, parts.get(0).type, shape(n.output()));
  }

  private TfValue transpose(Node n, Op.Transpose op) {
    TfValue x = value(n.input(0));
    int[] q = op.perm().toArray();
    if (x.constant != null) {
      return TfValue.constant(Layout.transpose(x.constant, q));
    }
    // Stored axis i held IR axis perm[i]; in the output that axis sits at q^-1[perm[i]].
    int[] qinv = inverse(q);
    int[] perm = new int[x.perm.length];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = qinv[x.perm[i]];
    }
    return TfValue.of(x.stored, perm, x.type, shape(n.output()));
  }

  private TfValue quantizeLinear(Node n, Op.QuantizeLinear op) {
    TfValue x = value(n.input(0));
    requireFloat(n, x);
    Output<?> stored = materializeIfConstant(x);
    int[] perm = x.constant != null ? identity(x.rank()) : x.perm;
    TfValue xv = TfValue.of(stored, perm, x.type, x.shape);
    String zpName = n.input(2);
    DataType qtype = zpName.isEmpty() ? DataType.UINT8 : shape2type(zpName);
    Output<?> scale = quantParam(n, n.input(1), xv, op.axis(), DataType.FLOAT32, true);
    Output<?> zp = zpName.isEmpty() ? null : quantParam(n, zpName, xv, op.axis(), DataType.FLOAT32, true);
    Output<?> q = b.op("Round", name("round")).in(b.op("RealDiv", name("divide")).in(stored).in(scale).build()).build();
    if (zp != null) {
      q = b.op("AddV2", name("zero_point")).in(q).in(zp).build();
    }
    float lo = qtype == DataType.INT8 ? -128f : 0f;
    float hi = qtype == DataType.INT8 ? 127f : 255f;
    q = b.op("ClipByValue", name("saturate")).in(q).in(b.scalar(name("qmin"), lo)).in(b.scalar(name("qmax"), hi)).build();
    q = b.op("Cast", name("cast")).in(q).attr("DstT", TfTensors.graphType(qtype)).build();
    return TfValue.of(q, perm, qtype, shape(n.output()));
  }

  private TfValue dequantizeLinear(Node n, Op.DequantizeLinear op) {
    TfValue x = value(n.input(0));
    if (x.type == DataType.FLOAT32 || x.type == DataType.INT64) {
      throw unsupported(n, "DequantizeLinear of " + x.type + " is not supported (INT8, UINT8 or INT32)");
    }
    // A weight or bias: constant scales, which Grappler may fold into one float constant.
    boolean activation = x.constant == null;
    Output<?> stored = materializeIfConstant(x);
    int[] perm = x.constant != null ? identity(x.rank()) : x.perm;
    TfValue xv = TfValue.of(stored, perm, x.type, x.shape);
    Output<?> v = x.type == DataType.INT32 ? stored
        : b.op("Cast", name("widen")).in(stored).attr("DstT", org.tensorflow.proto.DataType.DT_INT32).build();
    if (!n.input(2).isEmpty()) {
      // The difference is taken in integers, as the reference executor and ONNX Runtime do.
      v = b.op("Sub", name("zero_point")).in(v).in(quantParam(n, n.input(2), xv, op.axis(), DataType.INT32, activation))
          .build();
    }
    v = b.op("Cast", name("to_float")).in(v).attr("DstT", org.tensorflow.proto.DataType.DT_FLOAT).build();
    Output<?> y = b.op("Mul", name("scale")).in(v)
        .in(quantParam(n, n.input(1), xv, op.axis(), DataType.FLOAT32, activation)).build();
    return TfValue.of(y, perm, DataType.FLOAT32, shape(n.output()));
  }

  /**
   * A scale or zero point as {@code as} (FLOAT32 or INT32), shaped to broadcast against {@code x}'s
   * stored layout: a scalar per tensor, or the per-axis vector placed on the stored position of IR
   * axis {@code axis}.
   */
  private Output<?> quantParam(Node n, String name, TfValue x, int axis, DataType as, boolean hideFromFolding) {
    Tensor t = constantOrNull(name);
    int count = shape(name).rank() == 0 ? 1 : shape(name).dim(0);
    int[] target = count == 1 ? new int[0] : channelBroadcast(x, axis < 0 ? axis + x.rank() : axis);
    if (t == null) {
      Output<?> v = materialize(value(name), identity(shape(name).rank()));
      if (as == DataType.FLOAT32 && value(name).type != DataType.FLOAT32
          || as == DataType.INT32 && value(name).type != DataType.INT32) {
        v = b.op("Cast", name("param")).in(v).attr("DstT", TfTensors.graphType(as)).build();
      }
      return reshapeTo(v, target);
    }
    Tensor converted;
    if (as == DataType.FLOAT32) {
      converted = Tensor.wrapFloats(Shape.of(target), t.toFloatArray());
    } else {
      int[] v = new int[t.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = Math.toIntExact(t.getLong(i));
      }
      converted = Tensor.wrapInts(Shape.of(target), v);
    }
    String label = name("q_" + (as == DataType.FLOAT32 ? "scale" : "zero_point"));
    return hideFromFolding ? b.opaque(label, converted) : b.constant(label, converted);
  }

  private DataType shape2type(String tensor) {
    DataType t = info.get(tensor).type();
    if (t != DataType.INT8 && t != DataType.UINT8) {
      throw new UnsupportedOpException(scope, "QuantizeLinear", "zero point '" + tensor + "' is " + t
          + "; the tf backend quantizes to INT8 or UINT8");
    }
    return t;
  }

  // ---- layout ----

  /**
   * A TensorFlow tensor holding {@code v} with its axes in IR order {@code target}: stored axis i
   * holds IR axis target[i]. Emits a transpose only when the stored order differs, and a reshape
   * instead when the axes that move all have size 1.
   */
  private Output<?> materialize(TfValue v, int[] target) {
    if (v.constant != null) {
      return v.constantAs(target, b, name("const"));
    }
    int[] inv = inverse(v.perm);
    int[] t = new int[target.length];
    boolean id = true;
    for (int i = 0; i < target.length; i++) {
      t[i] = inv[target[i]];
      id &= t[i] == i;
    }
    if (id) {
      return v.stored;
    }
    int[] dims = new int[target.length];
    int unknown = 0;
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < target.length; i++) {
      dims[i] = v.shape.dim(target[i]);
      if (dims[i] == Shape.UNKNOWN) {
        unknown++;
      }
      if (dims[i] != 1) {
        order.add(t[i]);
      }
    }
    boolean sorted = true;
    for (int i = 1; i < order.size(); i++) {
      sorted &= order.get(i - 1) < order.get(i);
    }
    if (sorted && unknown <= 1) {
      return reshapeTo(v.stored, dims);
    }
    if (v.type == DataType.UINT8 || v.type == DataType.INT8) {
      // oneDNN's transpose takes only floats here: for 8-bit (or 32-bit integer) data TensorFlow logs
      // an error line to the process's stderr and falls back. Floats hold 8-bit values exactly. The
      // PlaceholderWithDefault ops keep Grappler from moving the transpose to the 8-bit side of a cast.
      Output<?> wide = keep(b.op("Cast", name("widen")).in(v.stored).attr("DstT", org.tensorflow.proto.DataType.DT_FLOAT)
          .build());
      Output<?> moved = keep(b.op("Transpose", name("transpose")).in(wide).in(b.ints(name("perm"), t)).build());
      return b.op("Cast", name("narrow")).in(moved).attr("DstT", TfTensors.graphType(v.type)).build();
    }
    return b.op("Transpose", name("transpose")).in(v.stored).in(b.ints(name("perm"), t)).build();
  }

  /** An identity Grappler does not see through (it could be fed), to pin an op's data type. */
  private Output<?> keep(Output<?> x) {
    return b.op("PlaceholderWithDefault", name("keep")).in(x).attr("dtype", x.dataType())
        .attr("shape", org.tensorflow.ndarray.Shape.unknown()).build();
  }

  private Output<?> materializeIfConstant(TfValue v) {
    return v.constant != null ? materialize(v, identity(v.rank())) : v.stored;
  }

  private Output<?> stored(TfValue v) {
    return materializeIfConstant(v);
  }

  private TfValue unary(Node n, TfValue x, Output<?> y) {
    return TfValue.of(y, x.constant != null ? identity(x.rank()) : x.perm, x.type, shape(n.output()));
  }

  /** {@code v} seen with leading size-1 axes up to {@code rank} (numpy broadcasting). */
  private TfValue broadcastRank(TfValue v, int rank) {
    if (v.rank() == rank) {
      return v;
    }
    int extra = rank - v.rank();
    int[] dims = new int[rank];
    Arrays.fill(dims, 1);
    for (int i = 0; i < v.rank(); i++) {
      dims[extra + i] = v.shape.dim(i);
    }
    if (v.constant != null) {
      return TfValue.constant(v.constant.reshape(Shape.of(dims)));
    }
    Output<?> inOrder = materialize(v, identity(v.rank()));
    return TfValue.of(reshapeTo(inOrder, dims), identity(rank), v.type, Shape.of(dims));
  }

  /** Shape of a [C] parameter broadcast against {@code x}'s stored layout along IR axis {@code axis}. */
  private static int[] channelBroadcast(TfValue x, int axis) {
    int rank = x.rank();
    int[] dims = new int[rank];
    Arrays.fill(dims, 1);
    int[] perm = x.constant != null ? identity(rank) : x.perm;
    dims[inverse(perm)[axis]] = x.shape.dim(axis);
    return dims;
  }

  static int[] identity(int rank) {
    int[] p = new int[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = i;
    }
    return p;
  }

  static int[] inverse(int[] perm) {
    int[] inv = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      inv[perm[i]] = i;
    }
    return inv;
  }

  /** IR order [N, C, spatial...] stored as [N, spatial..., C]. */
  private static int[] channelsLast(int rank) {
    int[] t = new int[rank];
    t[0] = 0;
    for (int i = 1; i < rank - 1; i++) {
      t[i] = i + 1;
    }
    t[rank - 1] = 1;
    return t;
  }

  private static int[] channelsLastPerm(int rank) {
    return channelsLast(rank);
  }

  /** OIHW-style weights [M, C/g, k...] stored as [k..., C/g, M]. */
  private static int[] filterOrder(int rank) {
    int[] t = new int[rank];
    for (int i = 0; i < rank - 2; i++) {
      t[i] = i + 2;
    }
    t[rank - 2] = 1;
    t[rank - 1] = 0;
    return t;
  }

  // ---- small op helpers ----

  private Output<?> reshapeTo(Output<?> x, int[] dims) {
    return b.op("Reshape", name("reshape")).in(x).in(b.ints(name("shape"), dims)).build();
  }

  private Output<?> expandDims(Output<?> x, int axis) {
    return b.op("ExpandDims", name("expand")).in(x).in(b.constant(name("axis"), Tensor.ofInts(Shape.scalar(), axis))).build();
  }

  private List<Output<?>> split(Output<?> x, int axis, int parts) {
    org.tensorflow.GraphOperation op = b.op("Split", name("split"))
        .in(b.constant(name("axis"), Tensor.ofInts(Shape.scalar(), axis))).in(x).attr("num_split", parts)
        .buildOperation();
    List<Output<?>> out = new ArrayList<>();
    for (int i = 0; i < parts; i++) {
      out.add(op.output(i));
    }
    return out;
  }

  private Output<?> concatOutputs(List<Output<?>> parts, int axis) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    return b.op("ConcatV2", name("concat")).inList(parts).in(b.constant(name("axis"), Tensor.ofInts(Shape.scalar(), axis)))
        .build();
  }

  /** Pads the spatial axes (1..sp) of channels-last data with {@code value}. */
  private Output<?> pad(Output<?> x, Pads pads, int sp, float value) {
    int[] p = new int[2 * (sp + 2)];
    for (int i = 0; i < sp; i++) {
      p[2 * (i + 1)] = pads.begin[i];
      p[2 * (i + 1) + 1] = pads.end[i];
    }
    Output<?> amounts = b.ints(name("pads"), Shape.of(sp + 2, 2), p);
    DataType type = TfTensors.fromTf(x.dataType());
    Tensor fill = type == DataType.FLOAT32 ? Tensor.scalar(value)
        : type == DataType.UINT8 ? Tensor.ofBytes(DataType.UINT8, Shape.scalar(), (byte) (int) value)
        : type == DataType.INT8 ? Tensor.ofBytes(DataType.INT8, Shape.scalar(), (byte) (int) value)
        : type == DataType.INT32 ? Tensor.ofInts(Shape.scalar(), (int) value)
        : Tensor.ofLongs(Shape.scalar(), (long) value);
    return b.op("PadV2", name("pad")).in(x).in(amounts).in(b.constant(name("pad_value"), fill)).build();
  }

  private static float lowest(DataType t) {
    switch (t) {
      case FLOAT32: return Float.NEGATIVE_INFINITY;
      case UINT8: return 0f;
      case INT8: return -128f;
      case INT32: return Integer.MIN_VALUE;
      default: return Long.MIN_VALUE;
    }
  }

  private static long[] window(int[] spatial) {
    long[] w = new long[spatial.length + 2];
    w[0] = 1;
    w[w.length - 1] = 1;
    for (int i = 0; i < spatial.length; i++) {
      w[i + 1] = spatial[i];
    }
    return w;
  }

  private static int[] ones(int n) {
    int[] a = new int[n];
    Arrays.fill(a, 1);
    return a;
  }

  /** The output shape as Reshape wants it: at most one unknown dimension, written -1. */
  private int[] staticShape(Node n, Shape s) {
    int[] dims = s.toArray();
    int unknown = 0;
    for (int d : dims) {
      if (d == Shape.UNKNOWN) {
        unknown++;
      }
    }
    if (unknown > 1) {
      throw unsupported(n, "output shape " + s + " has more than one unknown dimension; give the input a concrete shape");
    }
    return dims;
  }

  // ---- padding ----

  /** Begin/end pads per spatial axis, or {@code tfSame} when TensorFlow's SAME computes exactly these. */
  static final class Pads {
    final int[] begin;
    final int[] end;
    final boolean tfSame;

    Pads(int[] begin, int[] end, boolean tfSame) {
      this.begin = begin;
      this.end = end;
      this.tfSame = tfSame;
    }

    boolean isZero() {
      return Arrays.stream(begin).allMatch(v -> v == 0) && Arrays.stream(end).allMatch(v -> v == 0);
    }

    Pads explicit() {
      return new Pads(begin, end, false);
    }

    Pads promoteTo2d() {
      return new Pads(new int[] {0, begin[0]}, new int[] {0, end[0]}, tfSame);
    }
  }

  /**
   * Resolves a window's padding. Same-upper without ceil mode stays TensorFlow's SAME (computed at
   * run time, so unknown spatial sizes work); anything else needs known spatial sizes and becomes
   * explicit pads, including the extra end padding ceil mode needs.
   */
  private Pads pads(Node n, Padding padding, Shape xs, ImmutableIntArray kernel, ImmutableIntArray strides,
      ImmutableIntArray dilations, boolean ceil, Shape ys) {
    int sp = kernel.length();
    int[] in = new int[sp];
    boolean known = true;
    for (int i = 0; i < sp; i++) {
      in[i] = xs.dim(2 + i);
      known &= in[i] != Shape.UNKNOWN;
    }
    boolean same = padding instanceof Padding.Same && ((Padding.Same) padding).upper();
    if (!known) {
      if (same && !ceil) {
        return new Pads(new int[sp], new int[sp], true);
      }
      if (padding instanceof Padding.Valid && !ceil) {
        return new Pads(new int[sp], new int[sp], false);
      }
      throw unsupported(n, "padding " + padding + (ceil ? " with ceil mode" : "") + " needs known spatial sizes, input is "
          + xs);
    }
    Padding.Explicit p = padding.resolve(in, kernel, strides, dilations);
    int[] begin = p.begins().toArray();
    int[] end = p.ends().toArray();
    if (ceil) {
      for (int i = 0; i < sp; i++) {
        int needed = (ys.dim(2 + i) - 1) * strides.get(i) + (kernel.get(i) - 1) * dilations.get(i) + 1;
        end[i] += Math.max(0, needed - (in[i] + begin[i] + end[i]));
      }
    }
    return new Pads(begin, end, same && !ceil);
  }

  // ---- lookups and errors ----

  private TfValue value(String name) {
    TfValue v = values.get(name);
    if (v == null) {
      throw new BackendException("graph '" + ir.name() + "': tensor '" + name + "' read by node '" + scope
          + "' has no value");
    }
    return v;
  }

  private Tensor constantOrNull(String name) {
    TfValue v = value(name);
    return v.constant;
  }

  private Shape shape(String tensor) {
    return info.get(tensor).shape();
  }

  private String name(String op) {
    return scope.isEmpty() ? op : scope + "/" + op;
  }

  private void requireFloat(Node n, TfValue... vs) {
    for (TfValue v : vs) {
      if (v.type != DataType.FLOAT32) {
        throw unsupported(n, "input is " + v.type + "; this op runs on FLOAT32 only");
      }
    }
  }

  private void requireKnown(Node n, Shape s, int from, int count) {
    for (int i = from; i < from + count; i++) {
      if (s.dim(i) == Shape.UNKNOWN) {
        throw unsupported(n, "needs known spatial sizes, output is " + s);
      }
    }
  }

  private static UnsupportedOpException unsupported(Node n, String why) {
    return new UnsupportedOpException(n.name(), n.op().type(), why);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** An IR tensor as the TensorFlow graph holds it. */
  static final class TfValue {
    /** Null for a constant not yet placed in the graph. */
    final Output<?> stored;
    /** Stored axis i holds IR axis perm[i]. */
    final int[] perm;
    final DataType type;
    /** The IR shape (may have unknown dimensions). */
    final Shape shape;
    /** An initializer in IR order, placed in the graph per requested order on first use. */
    final Tensor constant;
    private final Map<List<Integer>, Output<?>> placed = new HashMap<>();

    private TfValue(Output<?> stored, int[] perm, DataType type, Shape shape, Tensor constant) {
      this.stored = stored;
      this.perm = perm;
      this.type = type;
      this.shape = shape;
      this.constant = constant;
    }

    static TfValue of(Output<?> stored, int[] perm, DataType type, Shape shape) {
      return new TfValue(stored, perm, type, shape, null);
    }

    static TfValue of(Output<?> stored, DataType type, Shape shape) {
      return new TfValue(stored, identity(shape.rank()), type, shape, null);
    }

    static TfValue constant(Tensor t) {
      return new TfValue(null, identity(t.shape().rank()), t.type(), t.shape(), t);
    }

    int rank() {
      return shape.rank();
    }

    Output<?> constantAs(int[] target, TfGraphBuilder b, String name) {
      List<Integer> key = ImmutableList.copyOf(Arrays.stream(target).boxed().toList());
      return placed.computeIfAbsent(key, k -> b.constant(name, Layout.transpose(constant, target)));
    }
  }
}
