package io.quantkit.pytorch;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.QuantMath;
import io.quantkit.quant.QuantOptions;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.TensorRange;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small hand-built graphs, inputs and min/max plans for the PyTorch backend's tests. */
final class Graphs {
  private Graphs() {}

  static Op.Conv conv(int k, int stride, Padding padding) {
    return new Op.Conv(ImmutableIntArray.of(k, k), ImmutableIntArray.of(stride, stride), ImmutableIntArray.of(1, 1), 1, padding);
  }

  static Tensor gaussian(Random r, float scale, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return Tensor.wrapFloats(s, v);
  }

  static Tensor uniform(Random r, float lo, float hi, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + r.nextFloat() * (hi - lo);
    }
    return Tensor.wrapFloats(s, v);
  }

  /**
   * x [?, 3, 9, 9] (values in [-1, 3], so its zero point is not 0) -> conv_a (3x3, stride 2, TF
   * "same": padding 0 before, 1 after) -> conv_b (3x3 same) -> add(conv_a, conv_b) -> relu -> maxpool
   * 2x2 -> concat with a 1x1 conv of the same tensor -> transpose -> flatten -> dense_1 (Gemm) ->
   * relu -> dense_2 (Gemm) -> softmax.
   */
  static Graph mixed(long seed) {
    Random r = new Random(seed);
    Graph.Builder b = Graph.builder("mixed");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 9, 9)));
    b.initializer("wa", gaussian(r, 0.3f, 4, 3, 3, 3));
    b.initializer("ba", gaussian(r, 0.1f, 4));
    b.node(Node.of("conv_a", conv(3, 2, Padding.sameUpper()), List.of("x", "wa", "ba"), List.of("a")));
    b.initializer("wb", gaussian(r, 0.3f, 4, 4, 3, 3));
    b.initializer("bb", gaussian(r, 0.1f, 4));
    b.node(Node.of("conv_b", conv(3, 1, Padding.sameUpper()), List.of("a", "wb", "bb"), List.of("c")));
    b.node(Node.of("add", new Op.Add(), List.of("a", "c"), List.of("s")));
    b.node(Node.of("relu", new Op.Relu(), List.of("s"), List.of("r")));
    b.node(Node.of("pool", new Op.MaxPool(ImmutableIntArray.of(2, 2), ImmutableIntArray.of(2, 2), ImmutableIntArray.of(1, 1),
        Padding.valid(), false), List.of("r"), List.of("p")));
    b.initializer("wc", gaussian(r, 0.5f, 2, 4, 1, 1));
    b.node(Node.of("conv_c", conv(1, 1, Padding.valid()), List.of("p", "wc"), List.of("q")));
    b.node(Node.of("concat", new Op.Concat(1), List.of("p", "q"), List.of("cat")));
    b.node(Node.of("to_nhwc", new Op.Transpose(ImmutableIntArray.of(0, 2, 3, 1)), List.of("cat"), List.of("t")));
    b.node(Node.of("flatten", new Op.Flatten(1), List.of("t"), List.of("f")));
    b.initializer("w1", gaussian(r, 0.3f, 24, 8));
    b.initializer("b1", gaussian(r, 0.1f, 8));
    b.node(Node.of("dense_1", new Op.Gemm(1f, 1f, false, false), List.of("f", "w1", "b1"), List.of("h")));
    b.node(Node.of("dense_1_relu", new Op.Relu(), List.of("h"), List.of("hr")));
    b.initializer("w2", gaussian(r, 0.3f, 5, 8));
    b.initializer("b2", gaussian(r, 0.1f, 5));
    b.node(Node.of("dense_2", new Op.Gemm(1f, 1f, false, true), List.of("hr", "w2", "b2"), List.of("logits")));
    b.node(Node.of("softmax", new Op.Softmax(1), List.of("logits"), List.of("y")));
    b.output("y");
    return b.build();
  }

  /** One op group: x [?, 2, 6, 6] -> op -> y, for checking one quantized kernel's integers. */
  static Graph single(String name, Op op, List<String> extraInputs, Map<String, Tensor> constants) {
    Graph.Builder b = Graph.builder(name);
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 2, 6, 6)));
    constants.forEach(b::initializer);
    List<String> in = new ArrayList<>(List.of("x"));
    in.addAll(extraInputs);
    b.node(Node.of(name, op, in, List.of("y")));
    b.output("y");
    return b.build();
  }

  /**
   * A min/max plan from the FP32 graph run by the reference executor on {@code sample}: what
   * calibration does, in a few lines, for graphs whose input is not an image.
   */
  static QuantPlan minMaxPlan(Graph fp32, QuantOptions options, Tensor sample) {
    List<String> observe = Calibration.builder().options(options).build().tensorsToObserve(fp32);
    QuantPlan.Builder plan = QuantPlan.builder(fp32.name()).options(options);
    try (Runner r = Backends.named("reference").compile(fp32.withOutputs(observe))) {
      Map<String, Tensor> out = r.run(Map.of(fp32.input().name(), sample));
      for (String t : observe) {
        Tensor v = t.equals(fp32.input().name()) ? sample : out.get(t);
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float f : v.toFloatArray()) {
          lo = Math.min(lo, f);
          hi = Math.max(hi, f);
        }
        plan.put(t, QuantMath.params(new TensorRange(lo, hi), options.activationType(), options.symmetricActivations()));
      }
    }
    return plan.build();
  }
}
