package io.quantkit.examples;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantOptions;
import io.quantkit.quant.QuantPlan;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * What graph simplification does to INT8 accuracy on a DenseNet-style block with seeded random
 * weights: conv -> BatchNorm -> Mul/Add by per-channel constants (the caffe2 export's scale and
 * shift, spanning 1e-3..1e3) -> ReLU -> a concat of the block's input and a conv -> BatchNorm ->
 * Mul -> Add -> ReLU -> conv. Calibrates on 32 random images and quantizes with and without
 * {@code QuantOptions.simplifyGraph}, then prints the ops left and the output SQNR of the QDQ
 * graph against FP32 on 64 other images (reference executor).
 *
 * <p>Run {@code java -cp ... io.quantkit.examples.SimplificationDemo}.
 *
 * <p>Thread-safety: a single-threaded example program.
 */
public final class SimplificationDemo {
  private SimplificationDemo() {}

  public static void main(String[] args) {
    Random r = new Random(3);
    Graph g = block(r);
    List<Map<String, Tensor>> calib = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calib.add(Map.of("x", random(r, 8, 8, 8, 8)));
    }
    Tensor test = random(r, 64, 8, 8, 8);
    for (boolean simplify : new boolean[] {false, true}) {
      QuantOptions o = QuantOptions.builder().simplifyGraph(simplify).build();
      QuantPlan plan = Calibration.builder().options(o).build().calibrate(g, CalibrationData.of("random", calib), new ReferenceBackend());
      Graph q = Qdq.quantize(g, plan).graph();
      float[] want = ReferenceBackend.execute(g, Map.of("x", test), g.outputs()).get("out").toFloatArray();
      float[] got = ReferenceBackend.execute(q, Map.of("x", test), q.outputs()).get("out").toFloatArray();
      double s = 0;
      double n = 0;
      for (int i = 0; i < want.length; i++) {
        s += (double) want[i] * want[i];
        n += (double) (want[i] - got[i]) * (want[i] - got[i]);
      }
      List<String> ops = q.nodes().stream().map(x -> x.op().type())
          .filter(t -> !t.equals("QuantizeLinear") && !t.equals("DequantizeLinear")).toList();
      System.out.printf(Locale.ROOT, "simplifyGraph=%s: output SQNR %.1f dB; ops besides Q/DQ: %s%n", simplify,
          10 * Math.log10(s / n), ops);
    }
  }

  private static Graph block(Random r) {
    Graph.Builder b = Graph.builder("densenet_block");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 8, 8, 8)));
    conv(b, r, "conv1", "x", "c1", 8, 16, 3);
    affine(b, r, "a1", "c1", "r1", 16);
    b.node(Node.of("cat", new Op.Concat(1), List.of("x", "r1"), List.of("cat")));
    affine(b, r, "a2", "cat", "r2", 24);
    conv(b, r, "conv2", "r2", "out", 24, 8, 1);
    b.output("out");
    return b.build();
  }

  /** BatchNorm, then Mul and Add by per-channel constants (scale 1e-3..1e3, undone in the BatchNorm's gamma), then ReLU. */
  private static void affine(Graph.Builder b, Random r, String name, String in, String out, int c) {
    float[] gamma = new float[c];
    float[] beta = new float[c];
    float[] mean = new float[c];
    float[] var = new float[c];
    float[] scale = new float[c];
    float[] shift = new float[c];
    for (int i = 0; i < c; i++) {
      scale[i] = (float) Math.pow(10, -3 + 6.0 * i / (c - 1));
      gamma[i] = (float) ((0.5 + r.nextDouble()) / scale[i]);
      beta[i] = (float) (r.nextGaussian() * 0.1 / scale[i]);
      mean[i] = (float) (r.nextGaussian() * 0.1);
      var[i] = (float) (0.5 + r.nextDouble());
      shift[i] = (float) (r.nextGaussian() * 0.1);
    }
    b.initializer(name + "_gamma", Tensor.wrapFloats(Shape.of(c), gamma));
    b.initializer(name + "_beta", Tensor.wrapFloats(Shape.of(c), beta));
    b.initializer(name + "_mean", Tensor.wrapFloats(Shape.of(c), mean));
    b.initializer(name + "_var", Tensor.wrapFloats(Shape.of(c), var));
    b.initializer(name + "_scale", Tensor.wrapFloats(Shape.of(c, 1, 1), scale));
    b.initializer(name + "_shift", Tensor.wrapFloats(Shape.of(c, 1, 1), shift));
    b.node(Node.of(name + "_bn", new Op.BatchNorm(1e-5f),
        List.of(in, name + "_gamma", name + "_beta", name + "_mean", name + "_var"), List.of(name + "_bn")));
    b.node(Node.of(name + "_mul", new Op.Mul(), List.of(name + "_bn", name + "_scale"), List.of(name + "_mul")));
    b.node(Node.of(name + "_add", new Op.Add(), List.of(name + "_mul", name + "_shift"), List.of(name + "_add")));
    b.node(Node.of(name + "_relu", new Op.Relu(), List.of(name + "_add"), List.of(out)));
  }

  private static void conv(Graph.Builder b, Random r, String name, String in, String out, int cin, int cout, int k) {
    float[] w = new float[cout * cin * k * k];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * Math.sqrt(2.0 / (cin * k * k)));
    }
    b.initializer(name + "_w", Tensor.wrapFloats(Shape.of(cout, cin, k, k), w));
    int p = k / 2;
    b.node(Node.of(name, new Op.Conv(ImmutableIntArray.of(k, k), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 1,
        Padding.Explicit.of(new int[] {p, p}, new int[] {p, p})), List.of(in, name + "_w"), List.of(out)));
  }

  private static Tensor random(Random r, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.wrapFloats(s, v);
  }
}
