package io.quantkit.conformance;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One graph per case, each a single op on small tensors whose output was worked out by hand (the
 * arithmetic is in the comments), so no executor's answer is the expectation. The conformance kit
 * runs every case on the backend under test; every IR op has at least one case, which the kit
 * checks, so an op added to the IR needs a case here.
 */
public final class OpCases {
  private OpCases() {}

  /**
   * One hand-computed case: a one-node graph, its inputs, the expected output. Integer outputs
   * must match exactly, floats within the kit's tolerance times max(1, |expected|).
   */
  public record OpCase(String name, Graph graph, ImmutableMap<String, Tensor> inputs, Tensor expected) {
    public Op op() {
      return graph.nodes().get(0).op();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * A one-node graph: {@code args[0]} is the graph input "x" (others inputs too when {@code
   * allInputs}), the rest initializers; a null argument is an omitted optional input.
   */
  private static OpCase of(String name, Op op, Tensor expected, boolean allInputs, Tensor... args) {
    Graph.Builder b = Graph.builder(name);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i] == null) {
        names.add("");
        continue;
      }
      String n = i == 0 ? "x" : "in" + i;
      names.add(n);
      if (i == 0 || allInputs) {
        b.input(new ValueInfo(n, args[i].type(), args[i].shape()));
        inputs.put(n, args[i]);
      } else {
        b.initializer(n, args[i]);
      }
    }
    Graph g = b.node(Node.of("node", op, names, List.of("y"))).output("y").build();
    return new OpCase(name, g, ImmutableMap.copyOf(inputs), expected);
  }

  private static OpCase of(String name, Op op, Tensor expected, Tensor... args) {
    return of(name, op, expected, false, args);
  }

  private static Tensor f(Shape s, float... v) {
    return Tensor.ofFloats(s, v);
  }

  private static Tensor range(Shape s, int from) {
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = from + i;
    }
    return Tensor.wrapFloats(s, v);
  }

  private static Tensor u8(Shape s, int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return Tensor.wrapBytes(DataType.UINT8, s, b);
  }

  private static Tensor i8(Shape s, int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return Tensor.wrapBytes(DataType.INT8, s, b);
  }

  private static ImmutableIntArray ints(int... v) {
    return ImmutableIntArray.copyOf(v);
  }

  /** Every case, in IR op order. */
  public static ImmutableList<OpCase> all() {
    ImmutableList.Builder<OpCase> c = ImmutableList.builder();
    Shape s5 = Shape.of(5);
    Tensor ramp5 = f(s5, -2, -0.5f, 0, 3, 7);

    // Conv: x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,-1]]: y[i][j] = x[i][j] - x[i+1][j+1] = -4, plus bias 10
    c.add(of("Conv 2x2 valid with bias", new Op.Conv(ints(2, 2), ints(1, 1), ints(1, 1), 1, Padding.valid()),
        f(Shape.of(1, 1, 2, 2), 6, 6, 6, 6),
        range(Shape.of(1, 1, 3, 3), 1), f(Shape.of(1, 1, 2, 2), 1, 0, 0, -1), f(Shape.of(1), 10)));
    // x = 1..16 in 4x4, 3x3 ones, stride 2, SAME_UPPER: output 2x2, total pad 1 at the end of each axis;
    // sums of rows/cols {0..2}x{0..2} = 54, {0..2}x{2,3} = 45, {2,3}x{0..2} = 72, {2,3}x{2,3} = 54
    float[] ones9 = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    c.add(of("Conv 3x3 stride 2 same_upper", new Op.Conv(ints(3, 3), ints(2, 2), ints(1, 1), 1, Padding.sameUpper()),
        f(Shape.of(1, 1, 2, 2), 54, 45, 72, 54),
        range(Shape.of(1, 1, 4, 4), 1), f(Shape.of(1, 1, 3, 3), ones9)));
    // depthwise (2 groups), 1x1 weights 2 and -1: channel 0 doubled, channel 1 negated
    c.add(of("Conv grouped 1x1", new Op.Conv(ints(1, 1), ints(1, 1), ints(1, 1), 2, Padding.valid()),
        f(Shape.of(1, 2, 2, 2), 2, 4, 6, 8, -5, -6, -7, -8),
        range(Shape.of(1, 2, 2, 2), 1), f(Shape.of(2, 1, 1, 1), 2, -1)));

    // channel 0: (x - 1) / sqrt(4) * 1 + 0; channel 1: (x - 3) / sqrt(0.25) * 2 + 1
    c.add(of("BatchNormalization", new Op.BatchNorm(0f), f(Shape.of(1, 2, 1, 2), 0, 0.5f, 1, 5),
        f(Shape.of(1, 2, 1, 2), 1, 2, 3, 4), f(Shape.of(2), 1, 2), f(Shape.of(2), 0, 1), f(Shape.of(2), 1, 3),
        f(Shape.of(2), 4, 0.25f)));

    c.add(of("Relu", new Op.Relu(), f(s5, 0, 0, 0, 3, 7), ramp5));
    c.add(of("Clip 0..6", new Op.Clip(0, 6), f(s5, 0, 0, 0, 3, 6), ramp5));
    c.add(of("Clip -1..1", new Op.Clip(-1, 1), f(s5, -1, -0.5f, 0, 1, 1), ramp5));

    c.add(of("Add broadcast [2,3] + [3]", new Op.Add(), f(Shape.of(2, 3), 11, 22, 33, 14, 25, 36),
        range(Shape.of(2, 3), 1), f(Shape.of(3), 10, 20, 30)));
    c.add(of("Add two inputs [2,1] + [1,3]", new Op.Add(), f(Shape.of(2, 3), 11, 12, 13, 21, 22, 23), true,
        f(Shape.of(2, 1), 10, 20), f(Shape.of(1, 3), 1, 2, 3)));
    c.add(of("Mul outer product [2,1] * [1,3]", new Op.Mul(), f(Shape.of(2, 3), 2, 20, 200, 3, 30, 300),
        f(Shape.of(2, 1), 2, 3), f(Shape.of(1, 3), 1, 10, 100)));

    // 4x4 of 0..15, 2x2 windows, stride 2: maxima 5, 7, 13, 15
    Op.MaxPool max2 = new Op.MaxPool(ints(2, 2), ints(2, 2), ints(1, 1), Padding.valid(), false);
    c.add(of("MaxPool 2x2 stride 2", max2, f(Shape.of(1, 1, 2, 2), 5, 7, 13, 15), range(Shape.of(1, 1, 4, 4), 0)));
    c.add(of("MaxPool UINT8", max2, u8(Shape.of(1, 1, 2, 2), 5, 7, 200, 15),
        u8(Shape.of(1, 1, 4, 4), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 200, 14, 15)));
    // 3x3 window, pads 1 all round, stride 2 over 3x3 of -9..-1: padding never wins, each window's largest real cell
    c.add(of("MaxPool padded negative", new Op.MaxPool(ints(3, 3), ints(2, 2), ints(1, 1),
        Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1}), false),
        f(Shape.of(1, 1, 2, 2), -5, -4, -2, -1), range(Shape.of(1, 1, 3, 3), -9)));

    // 2x2 means of 0..15: (0+1+4+5)/4 = 2.5, 4.5, 10.5, 12.5
    c.add(of("AveragePool 2x2 stride 2", new Op.AveragePool(ints(2, 2), ints(2, 2), Padding.valid(), false, false),
        f(Shape.of(1, 1, 2, 2), 2.5f, 4.5f, 10.5f, 12.5f), range(Shape.of(1, 1, 4, 4), 0)));
    // 3x3 windows with pad 1 over a 2x2 input 1..4: every window holds all four cells (sum 10);
    // excluding padding the divisor is 4, including it 9
    Padding pad1 = Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1});
    c.add(of("AveragePool padding excluded", new Op.AveragePool(ints(3, 3), ints(1, 1), pad1, false, false),
        f(Shape.of(1, 1, 2, 2), 2.5f, 2.5f, 2.5f, 2.5f), range(Shape.of(1, 1, 2, 2), 1)));
    c.add(of("AveragePool padding counted", new Op.AveragePool(ints(3, 3), ints(1, 1), pad1, true, false),
        f(Shape.of(1, 1, 2, 2), 10f / 9, 10f / 9, 10f / 9, 10f / 9), range(Shape.of(1, 1, 2, 2), 1)));

    c.add(of("GlobalAveragePool", new Op.GlobalAveragePool(), f(Shape.of(1, 2, 1, 1), 2.5f, 6.5f), range(Shape.of(1, 2, 2, 2), 1)));

    c.add(of("Flatten axis 1", new Op.Flatten(1), range(Shape.of(2, 4), 1), range(Shape.of(2, 2, 2), 1)));
    c.add(of("Reshape [0, -1]", new Op.Reshape(ints(0, -1)), range(Shape.of(2, 3), 1), range(Shape.of(2, 3, 1), 1)));

    // A = [[1,2],[3,4]], B = [[1,1],[0,1]] transposed: A B' = [[3,2],[7,4]]; 2 * that + C [10, 20]
    c.add(of("Gemm alpha 2 transB with C", new Op.Gemm(2f, 1f, false, true), f(Shape.of(2, 2), 16, 24, 24, 28),
        f(Shape.of(2, 2), 1, 2, 3, 4), f(Shape.of(2, 2), 1, 1, 0, 1), f(Shape.of(2), 10, 20)));
    c.add(of("Gemm without C", new Op.Gemm(1f, 1f, false, false), f(Shape.of(1, 2), 4, 6),
        f(Shape.of(1, 2), 1, 1), f(Shape.of(2, 2), 1, 2, 3, 4)));

    // [[1,2,3],[4,5,6]] x [1,0,-1]' = [-2, -2]
    c.add(of("MatMul", new Op.MatMul(), f(Shape.of(2, 1), -2, -2), range(Shape.of(2, 3), 1), f(Shape.of(3, 1), 1, 0, -1)));
    // batch of two [1,2] x [2,1]: [1,2]·[1,1] = 3 and [3,4]·[1,1] = 7
    c.add(of("MatMul batched", new Op.MatMul(), f(Shape.of(2, 1, 1), 3, 7), range(Shape.of(2, 1, 2), 1),
        f(Shape.of(2, 1), 1, 1)));

    // exp(0), exp(ln 2), exp(ln 3) = 1, 2, 3 over 6
    c.add(of("Softmax last axis", new Op.Softmax(-1), f(Shape.of(1, 3), 1f / 6, 1f / 3, 0.5f),
        f(Shape.of(1, 3), 0f, (float) Math.log(2), (float) Math.log(3))));
    // over axis 0 of [[0, 0], [ln 3, 0]]: columns (1, 3)/4 and (1, 1)/2
    c.add(of("Softmax axis 0", new Op.Softmax(0), f(Shape.of(2, 2), 0.25f, 0.5f, 0.75f, 0.5f),
        f(Shape.of(2, 2), 0, 0, (float) Math.log(3), 0)));

    c.add(of("Concat axis 1", new Op.Concat(1), f(Shape.of(1, 3, 2), 1, 2, 3, 4, 5, 6),
        f(Shape.of(1, 1, 2), 1, 2), f(Shape.of(1, 2, 2), 3, 4, 5, 6)));
    c.add(of("Transpose [1, 0]", new Op.Transpose(ints(1, 0)), f(Shape.of(3, 2), 1, 4, 2, 5, 3, 6), range(Shape.of(2, 3), 1)));
    c.add(of("Transpose NHWC to NCHW", new Op.Transpose(ints(0, 3, 1, 2)), f(Shape.of(1, 2, 1, 2), 1, 3, 2, 4),
        range(Shape.of(1, 1, 2, 2), 1)));

    // x / 0.5 = 2.5, 3.5, -2.5, 200: round half to even 2, 4, -2, then saturation at 127
    c.add(of("QuantizeLinear INT8 half to even", new Op.QuantizeLinear(1), i8(Shape.of(4), 2, 4, -2, 127),
        f(Shape.of(4), 1.25f, 1.75f, -1.25f, 100f), Tensor.scalar(0.5f), i8(Shape.scalar(), 0)));
    // x / 0.5 + 128 = 130, 128, 126, 383 -> 255; -300 -> 0
    c.add(of("QuantizeLinear UINT8 zero point 128", new Op.QuantizeLinear(1), u8(Shape.of(5), 130, 128, 126, 255, 0),
        f(Shape.of(5), 1f, 0f, -1f, 127.5f, -300f), Tensor.scalar(0.5f), u8(Shape.scalar(), 128)));
    // per column (axis 1): scales 1 and 0.5
    c.add(of("QuantizeLinear per axis", new Op.QuantizeLinear(1), i8(Shape.of(2, 2), 1, 4, 3, 8),
        range(Shape.of(2, 2), 1), f(Shape.of(2), 1, 0.5f), i8(Shape.of(2), 0, 0)));

    // (q - (-1)) * 0.5
    c.add(of("DequantizeLinear INT8", new Op.DequantizeLinear(1), f(Shape.of(3), -63.5f, 0.5f, 64f),
        i8(Shape.of(3), -128, 0, 127), Tensor.scalar(0.5f), i8(Shape.scalar(), -1)));
    c.add(of("DequantizeLinear INT32 bias", new Op.DequantizeLinear(1), f(Shape.of(2), 1f, -0.5f),
        Tensor.ofInts(Shape.of(2), 100, -50), Tensor.scalar(0.01f), Tensor.ofInts(Shape.scalar(), 0)));
    // per output channel (axis 0) of an OIHW weight [2,1,1,1]: scales 0.5 and 2
    c.add(of("DequantizeLinear per axis", new Op.DequantizeLinear(0), f(Shape.of(2, 1, 1, 1), 1.5f, -4f),
        i8(Shape.of(2, 1, 1, 1), 3, -2), f(Shape.of(2), 0.5f, 2f), i8(Shape.of(2), 0, 0)));
    // 1 / (1 + exp(-x)) at 0, ln 3, -ln 3: 1/2, 3/4, 1/4; saturating to 1 and 0 far out
    float ln3 = (float) Math.log(3);
    c.add(of("Sigmoid", new Op.Sigmoid(), f(s5, 0.5f, 0.75f, 0.25f, 1f, 0f), f(s5, 0, ln3, -ln3, 40, -100)));
    // [1, 2]' + [10, 20, 30] + [100, 200, 300] broadcast to [2, 3]
    c.add(of("Sum of three, broadcast", new Op.Sum(), f(Shape.of(2, 3), 111, 221, 331, 112, 222, 332), true,
        f(Shape.of(2, 1), 1, 2), f(Shape.of(1, 3), 10, 20, 30), f(Shape.of(3), 100, 200, 300)));
    c.add(of("Sum of one", new Op.Sum(), f(Shape.of(2), 5, -6), f(Shape.of(2), 5, -6)));
    // x * clamp(x / 6 + 1/2, 0, 1): -4 and -3 give 0; -1 * 1/3; 1.5 * 3/4 = 1.125; 3 and 5 pass through
    Shape s7 = Shape.of(7);
    c.add(of("HardSwish", new Op.HardSwish(), f(s7, 0, 0, -1f / 3, 0, 1.125f, 3, 5), f(s7, -4, -3, -1, 0, 1.5f, 3, 5)));
    // channels [1, 2, 3], size 3, alpha 3 (alpha / size = 1), beta 1, bias 1: windows {0,1}, {0,1,2}, {1,2}
    // give squares 5, 14, 13: y = 1/6, 2/15, 3/14
    Tensor rgb = f(Shape.of(1, 3, 1, 1), 1, 2, 3);
    c.add(of("LRN size 3", new Op.Lrn(3f, 1f, 1f, 3), f(Shape.of(1, 3, 1, 1), 1f / 6, 2f / 15, 3f / 14), rgb));
    // beta 0.5, bias 2: x / sqrt(2 + squares) = 1/sqrt(7), 2/4, 3/sqrt(15)
    c.add(of("LRN beta 0.5 bias 2", new Op.Lrn(3f, 0.5f, 2f, 3),
        f(Shape.of(1, 3, 1, 1), (float) (1 / Math.sqrt(7)), 0.5f, (float) (3 / Math.sqrt(15))), rgb));
    // size 2 (alpha 2, so alpha / size = 1): windows {0,1}, {1,2}, {2} (ONNX puts the odd extra channel
    // after): squares 5, 13, 9, y = 1/6, 2/14, 3/10. ONNX Runtime's kernel refuses even sizes.
    c.add(of("LRN even size", new Op.Lrn(2f, 1f, 1f, 2), f(Shape.of(1, 3, 1, 1), 1f / 6, 2f / 14, 3f / 10), rgb));
    // rank 3 [N, C, L]: the same arithmetic as "LRN size 3"; ONNX Runtime's kernel takes 4-D input only
    c.add(of("LRN rank 3", new Op.Lrn(3f, 1f, 1f, 3), f(Shape.of(1, 3, 1), 1f / 6, 2f / 15, 3f / 14),
        f(Shape.of(1, 3, 1), 1, 2, 3)));
    // [5, 7] - [[1], [2]] broadcast to [2, 2]
    c.add(of("Sub broadcast", new Op.Sub(), f(Shape.of(2, 2), 4, 6, 3, 5), f(Shape.of(2), 5, 7), f(Shape.of(2, 1), 1, 2)));
    c.add(of("Div by a scalar", new Op.Div(), f(Shape.of(3), 0.5f, -1.5f, 3), f(Shape.of(3), 1, -3, 6), Tensor.scalar(2f)));
    // tanh(ln 3) = (9 - 1) / (9 + 1) = 0.8; saturating to 1 and -1 far out
    c.add(of("Tanh", new Op.Tanh(), f(s5, 0, 0.8f, -0.8f, 1, -1), f(s5, 0, ln3, -ln3, 40, -100)));
    c.add(of("LeakyRelu alpha 0.1", new Op.LeakyRelu(0.1f), f(s5, -0.2f, -0.05f, 0, 3, 7), ramp5));
    // clamp(0.2 x + 0.5, 0, 1) at -5, -1, 0, 1, 3
    c.add(of("HardSigmoid", new Op.HardSigmoid(0.2f, 0.5f), f(s5, 0, 0.3f, 0.5f, 0.7f, 1), f(s5, -5, -1, 0, 1, 3)));
    // per-channel slopes [C, 1, 1] = 0.5, 0.25 on [1, 2, 1, 2]
    c.add(of("PRelu per channel", new Op.PRelu(), f(Shape.of(1, 2, 1, 2), -0.5f, 2, -1, 3),
        f(Shape.of(1, 2, 1, 2), -1, 2, -4, 3), f(Shape.of(2, 1, 1), 0.5f, 0.25f)));
    c.add(of("GlobalMaxPool", new Op.GlobalMaxPool(), f(Shape.of(1, 2, 1, 1), 5, -6),
        f(Shape.of(1, 2, 2, 2), 1, -2, 5, 3, -7, -6, -8, -9)));
    // one column of 9 on each side of [[1, 2], [3, 4]]
    c.add(of("Pad constant", new Op.Pad("constant", ints(0, 1, 0, 1), 9f), f(Shape.of(2, 4), 9, 1, 2, 9, 9, 3, 4, 9),
        f(Shape.of(2, 2), 1, 2, 3, 4)));
    // [1, 2, 3] padded 2 before, 1 after: mirrored without repeating the edge, as numpy's "reflect"
    c.add(of("Pad reflect", new Op.Pad("reflect", ints(0, 2, 0, 1), 0f), f(Shape.of(1, 6), 3, 2, 1, 2, 3, 2),
        f(Shape.of(1, 3), 1, 2, 3)));
    c.add(of("Pad edge", new Op.Pad("edge", ints(0, 1, 0, 2), 0f), f(Shape.of(1, 6), 1, 1, 2, 3, 3, 3),
        f(Shape.of(1, 3), 1, 2, 3)));
    // columns 1 and 3 of [[0, 1, 2, 3], [4, 5, 6, 7]]; the end clamps to the axis
    c.add(of("Slice step 2", new Op.Slice(ints(1), ints(Integer.MAX_VALUE), ints(1), ints(2)),
        f(Shape.of(2, 2), 1, 3, 5, 7), range(Shape.of(2, 4), 0)));
    // from the last element backwards in steps of 2 to the start: 4, 2, 0
    c.add(of("Slice negative step", new Op.Slice(ints(-1), ints(Integer.MIN_VALUE), ints(0), ints(-2)),
        f(Shape.of(3), 4, 2, 0), range(Shape.of(5), 0)));
    // row means of [[1, 2, 3], [4, 5, 6]], and the mean of all six
    c.add(of("ReduceMean axis 1 keepdims", new Op.ReduceMean(ints(1), true), f(Shape.of(2, 1), 2, 5), range(Shape.of(2, 3), 1)));
    c.add(of("ReduceMean all", new Op.ReduceMean(ints(), false), f(Shape.scalar(), 3.5f), range(Shape.of(2, 3), 1)));
    // each pixel of [[1, 2], [3, 4]] repeated 2 x 2
    c.add(of("Resize nearest x2", new Op.Resize("nearest", "asymmetric", "floor", ImmutableList.of(1f, 1f, 2f, 2f)),
        f(Shape.of(1, 1, 4, 4), 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4), range(Shape.of(1, 1, 2, 2), 1)));
    // half_pixel: output x at (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]: 0, 1, 3, 4
    c.add(of("Resize linear half_pixel", new Op.Resize("linear", "half_pixel", "round_prefer_floor",
        ImmutableList.of(1f, 1f, 1f, 2f)), f(Shape.of(1, 1, 1, 4), 0, 1, 3, 4), f(Shape.of(1, 1, 1, 2), 0, 4)));
    // align_corners, 2 -> 3 columns: x at 0, 0.5, 1
    c.add(of("Resize linear align_corners", new Op.Resize("linear", "align_corners", "round_prefer_floor",
        ImmutableList.of(1f, 1f, 1f, 1.5f)), f(Shape.of(1, 1, 1, 3), 0, 2, 4), f(Shape.of(1, 1, 1, 2), 0, 4)));
    return c.build();
  }
}
