package io.quantkit.reference;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import java.util.Random;

/**
 * A graph shaped like the MLPerf Tiny ResNet8 (NHWC 32x32x3 input, conv16, three residual stages
 * of 16/32/64 filters with a strided 1x1 shortcut in stages 2 and 3, BN after every conv, 8x8
 * average pool, dense 10, softmax), with random weights. About 12.5 MMAC per image.
 */
final class ResNet8Graphs {
  private final Graph.Builder b = Graph.builder("resnet8-random");
  private final Random rnd;
  private int counter;

  private ResNet8Graphs(long seed) {
    this.rnd = new Random(seed);
  }

  static Graph random(long seed) {
    return new ResNet8Graphs(seed).build();
  }

  private Graph build() {
    b.input(new ValueInfo("input", DataType.FLOAT32, Shape.of(-1, 32, 32, 3)));
    String x = node(new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), "input");
    x = relu(convBn(x, 3, 16, 3, 1));
    // stage 1
    String y = relu(convBn(x, 16, 16, 3, 1));
    y = convBn(y, 16, 16, 3, 1);
    x = relu(node(new Op.Add(), x, y));
    // stages 2 and 3
    int in = 16;
    for (int filters : new int[] {32, 64}) {
      y = relu(convBn(x, in, filters, 3, 2));
      y = convBn(y, filters, filters, 3, 1);
      String shortcut = conv(x, in, filters, 1, 2);
      x = relu(node(new Op.Add(), shortcut, y));
      in = filters;
    }
    x = node(new Op.AveragePool(ImmutableIntArray.of(8, 8), ImmutableIntArray.of(8, 8), Padding.valid(), false, false), x);
    x = node(new Op.Flatten(1), x);
    String w = weight(Shape.of(64, 10), 1 / 8.0);
    String bias = weight(Shape.of(10), 0.1);
    x = node(new Op.Gemm(1, 1, false, false), x, w, bias);
    x = node(new Op.Softmax(-1), x);
    return b.output(x).build();
  }

  private String convBn(String x, int in, int out, int k, int stride) {
    String y = conv(x, in, out, k, stride);
    String scale = constant(out, 0.5, 1.5);
    String shift = constant(out, -0.2, 0.2);
    String mean = constant(out, -0.1, 0.1);
    String var = constant(out, 0.5, 2);
    return node(new Op.BatchNorm(1e-3f), y, scale, shift, mean, var);
  }

  private String conv(String x, int in, int out, int k, int stride) {
    String w = weight(Shape.of(out, in, k, k), Math.sqrt(2.0 / (in * k * k)));
    String bias = weight(Shape.of(out), 0.05);
    Op.Conv op = new Op.Conv(ImmutableIntArray.of(k, k), ImmutableIntArray.of(stride, stride), ImmutableIntArray.of(1, 1), 1,
        Padding.sameUpper());
    return node(op, x, w, bias);
  }

  private String relu(String x) {
    return node(new Op.Relu(), x);
  }

  private String node(Op op, String... inputs) {
    String name = op.type().toLowerCase() + "_" + counter++;
    b.node(Node.of(name, op, List.of(inputs), List.of(name + "_out")));
    return name + "_out";
  }

  private String weight(Shape s, double std) {
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian() * std);
    }
    String name = "w" + counter++;
    b.initializer(name, Tensor.wrapFloats(s, v));
    return name;
  }

  private String constant(int n, double lo, double hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    }
    String name = "c" + counter++;
    b.initializer(name, Tensor.wrapFloats(Shape.of(n), v));
    return name;
  }

  /** Random "pixels" 0..255 in NHWC. */
  static Tensor images(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n * 32 * 32 * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(256);
    }
    return Tensor.wrapFloats(Shape.of(n, 32, 32, 3), v);
  }
}
