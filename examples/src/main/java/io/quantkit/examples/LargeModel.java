package io.quantkit.examples;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A VGG-like classifier with seeded random weights, large enough (about 151 MB as ONNX) to
 * measure memory: three 3x3 conv + ReLU + 2x2 max-pool stages on a [N, 3, 32, 32] input, then
 * fully connected 2048 -> 12288 -> 1024 -> 10 with ReLUs, as VGG's weights are mostly in its
 * fully connected layers. Weights are uniform in +-sqrt(6 / fan-in) (He-uniform), so activations
 * keep their scale through the layers.
 *
 * <p>Run {@code java -cp ... io.quantkit.examples.LargeModel out.onnx [seed]}.
 *
 * <p>Thread-safety: stateless.
 */
public final class LargeModel {
  private LargeModel() {}

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: LargeModel OUT.onnx [seed]");
      System.exit(2);
    }
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    Path out = Path.of(args[0]);
    OnnxModel.save(build(seed), out);
    try {
      System.out.printf("wrote %s (%,d bytes)%n", out, Files.size(out));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The graph: input {@code input} FLOAT32 [N, 3, 32, 32], output {@code logits} [N, 10]. */
  public static Graph build(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Graph.Builder b = Graph.builder("large_vgg");
    b.input(new ValueInfo("input", DataType.FLOAT32, Shape.of(-1, 3, 32, 32)));
    String x = "input";
    int cin = 3;
    int[] widths = {32, 64, 128};
    for (int i = 0; i < widths.length; i++) {
      int cout = widths[i];
      String w = "conv" + i + "_w";
      b.initializer(w, uniform(r, cin * 9, cout, cin, 3, 3));
      b.initializer("conv" + i + "_b", Tensor.wrapFloats(Shape.of(cout), new float[cout]));
      Op.Conv conv = new Op.Conv(ImmutableIntArray.of(3, 3), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 1,
          Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1}));
      b.node(Node.of("conv" + i, conv, List.of(x, w, "conv" + i + "_b"), List.of("conv" + i + "_out")));
      b.node(Node.of("relu" + i, new Op.Relu(), List.of("conv" + i + "_out"), List.of("relu" + i + "_out")));
      Op.MaxPool pool = new Op.MaxPool(ImmutableIntArray.of(2, 2), ImmutableIntArray.of(2, 2), ImmutableIntArray.of(1, 1),
          Padding.Explicit.zeros(2), false);
      b.node(Node.of("pool" + i, pool, List.of("relu" + i + "_out"), List.of("pool" + i + "_out")));
      x = "pool" + i + "_out";
      cin = cout;
    }
    b.node(Node.of("flatten", new Op.Flatten(1), List.of(x), List.of("flat")));
    x = "flat";
    int[] fc = {128 * 4 * 4, 12288, 1024, 10};
    for (int i = 0; i + 1 < fc.length; i++) {
      String w = "fc" + i + "_w";
      b.initializer(w, uniform(r, fc[i], fc[i + 1], fc[i]));
      b.initializer("fc" + i + "_b", Tensor.wrapFloats(Shape.of(fc[i + 1]), new float[fc[i + 1]]));
      boolean last = i + 2 == fc.length;
      String out = last ? "logits" : "fc" + i + "_out";
      b.node(Node.of("fc" + i, new Op.Gemm(1f, 1f, false, true), List.of(x, w, "fc" + i + "_b"), List.of(out)));
      if (!last) {
        b.node(Node.of("fc_relu" + i, new Op.Relu(), List.of(out), List.of("fc_relu" + i + "_out")));
        x = "fc_relu" + i + "_out";
      }
    }
    b.output("logits");
    return b.build();
  }

  private static Tensor uniform(SplittableRandom r, int fanIn, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    double a = Math.sqrt(6.0 / fanIn);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * a);
    }
    return Tensor.wrapFloats(s, v);
  }
}
