package io.quantkit.testing;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
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

/** Small hand-built graphs and data sets for tests (quantization, the reference executor). */
public final class TestGraphs {
  private TestGraphs() {}

  public static Op.Conv conv(int k, int stride, Padding padding) {
    return new Op.Conv(ImmutableIntArray.of(k, k), ImmutableIntArray.of(stride, stride), ImmutableIntArray.of(1, 1), 1, padding);
  }

  public static Tensor random(Random r, float scale, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return Tensor.wrapFloats(s, v);
  }

  public static Tensor positive(Random r, float lo, float hi, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + r.nextFloat() * (hi - lo);
    }
    return Tensor.wrapFloats(s, v);
  }

  /**
   * A tiny ResNet-like net, input NHWC [?, 8, 8, 3] raw 0..255:
   * transpose -> conv1(3x3, 4) -> bn1 -> relu1 -> conv2(3x3, 4) -> bn2 -> add(.., relu1) -> relu2
   * -> gap -> flatten -> dense(4 -> 3) -> logits (graph output).
   */
  public static Graph tinyResNet(long seed) {
    Random r = new Random(seed);
    Graph.Builder b = Graph.builder("tiny_resnet");
    b.input(new ValueInfo("input", DataType.FLOAT32, Shape.of(-1, 8, 8, 3)));
    b.node(Node.of("to_nchw", new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), List.of("input"), List.of("input_nchw")));
    b.initializer("conv1_w", random(r, 0.02f, 4, 3, 3, 3));
    b.initializer("conv1_b", random(r, 0.1f, 4));
    b.node(Node.of("conv1", conv(3, 1, Padding.sameUpper()), List.of("input_nchw", "conv1_w", "conv1_b"), List.of("conv1_out")));
    bn(b, r, "bn1", "conv1_out", "bn1_out", 4);
    b.node(Node.of("relu1", new Op.Relu(), List.of("bn1_out"), List.of("relu1_out")));
    b.initializer("conv2_w", random(r, 0.3f, 4, 4, 3, 3));
    b.node(Node.of("conv2", conv(3, 1, Padding.sameUpper()), List.of("relu1_out", "conv2_w"), List.of("conv2_out")));
    bn(b, r, "bn2", "conv2_out", "bn2_out", 4);
    b.node(Node.of("add", new Op.Add(), List.of("bn2_out", "relu1_out"), List.of("add_out")));
    b.node(Node.of("relu2", new Op.Relu(), List.of("add_out"), List.of("relu2_out")));
    b.node(Node.of("gap", new Op.GlobalAveragePool(), List.of("relu2_out"), List.of("gap_out")));
    b.node(Node.of("flatten", new Op.Flatten(1), List.of("gap_out"), List.of("flat")));
    b.initializer("dense_w", random(r, 0.5f, 4, 3));
    b.initializer("dense_b", random(r, 0.1f, 3));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), List.of("flat", "dense_w", "dense_b"), List.of("logits")));
    b.output("logits");
    return b.build();
  }

  /**
   * The MLPerf Tiny ResNet8 topology as a Keras importer would produce it (random weights): NHWC
   * input [?, 32, 32, 3] -> Transpose -> conv(16) bn relu -> 3 residual stages (16, 32, 64 filters,
   * 1x1 strided shortcut convs in stages 2 and 3) -> AveragePool 8x8 -> Flatten -> Dense(10) ->
   * Softmax.
   */
  public static Graph resNet8Shaped(long seed) {
    Random r = new Random(seed);
    Graph.Builder b = Graph.builder("resnet8_shaped");
    b.input(new ValueInfo("input_1", DataType.FLOAT32, Shape.of(-1, 32, 32, 3)));
    b.node(Node.of("input_transpose", new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), List.of("input_1"), List.of("x0")));
    String x = convBnRelu(b, r, "conv2d", "x0", 3, 16, 3, 1, true, true);
    String y = convBnRelu(b, r, "conv2d_1", x, 16, 16, 3, 1, true, true);
    y = convBnRelu(b, r, "conv2d_2", y, 16, 16, 3, 1, true, false);
    x = addRelu(b, "add", x, y);
    for (int[] stage : new int[][] {{16, 32, 3}, {32, 64, 6}}) {
      int in = stage[0];
      int out = stage[1];
      int k = stage[2];
      y = convBnRelu(b, r, "conv2d_" + k, x, in, out, 3, 2, true, true);
      y = convBnRelu(b, r, "conv2d_" + (k + 1), y, out, out, 3, 1, true, false);
      String s = convBnRelu(b, r, "conv2d_" + (k + 2), x, in, out, 1, 2, false, false);
      x = addRelu(b, "add_" + (k / 3), s, y);
    }
    b.node(Node.of("average_pooling2d", new Op.AveragePool(ImmutableIntArray.of(8, 8), ImmutableIntArray.of(8, 8),
        Padding.valid(), false, false), List.of(x), List.of("pooled")));
    b.node(Node.of("flatten", new Op.Flatten(1), List.of("pooled"), List.of("flat")));
    b.initializer("dense/kernel", random(r, 0.3f, 64, 10));
    b.initializer("dense/bias", random(r, 0.1f, 10));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), List.of("flat", "dense/kernel", "dense/bias"), List.of("logits")));
    b.node(Node.of("dense_softmax", new Op.Softmax(1), List.of("logits"), List.of("dense")));
    b.output("dense");
    return b.build();
  }

  private static String convBnRelu(Graph.Builder b, Random r, String name, String in, int cin, int cout, int k, int stride,
      boolean bn, boolean relu) {
    b.initializer(name + "/kernel", random(r, (float) Math.sqrt(2.0 / (cin * k * k)), cout, cin, k, k));
    b.initializer(name + "/bias", random(r, 0.05f, cout));
    String out = name + "_out";
    b.node(Node.of(name, conv(k, stride, Padding.sameUpper()), List.of(in, name + "/kernel", name + "/bias"), List.of(out)));
    if (bn) {
      String bnName = "batch_normalization_" + name;
      bn(b, r, bnName, out, bnName + "_out", cout);
      out = bnName + "_out";
    }
    if (relu) {
      b.node(Node.of("activation_" + name, new Op.Relu(), List.of(out), List.of("activation_" + name + "_out")));
      out = "activation_" + name + "_out";
    }
    return out;
  }

  private static String addRelu(Graph.Builder b, String name, String x, String y) {
    b.node(Node.of(name, new Op.Add(), List.of(x, y), List.of(name + "_out")));
    b.node(Node.of("activation_" + name, new Op.Relu(), List.of(name + "_out"), List.of("activation_" + name + "_out")));
    return "activation_" + name + "_out";
  }

  private static void bn(Graph.Builder b, Random r, String name, String in, String out, int c) {
    b.initializer(name + "_gamma", positive(r, 0.5f, 1.5f, c));
    b.initializer(name + "_beta", random(r, 0.2f, c));
    b.initializer(name + "_mean", random(r, 0.2f, c));
    b.initializer(name + "_var", positive(r, 0.5f, 2f, c));
    b.node(Node.of(name, new Op.BatchNorm(1e-3f), List.of(in, name + "_gamma", name + "_beta", name + "_mean", name + "_var"),
        List.of(out)));
  }

  /** Random NHWC images with integer pixel values 0..255; image 0 holds both 0 and 255. */
  public static Dataset randomImages(String name, int size, int h, int w, int c, long seed) {
    return new Dataset() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public List<String> classNames() {
        return List.of("a", "b", "c");
      }

      @Override
      public Shape imageShape() {
        return Shape.of(h, w, c);
      }

      @Override
      public Batch batch(int from, int to) {
        int per = h * w * c;
        float[] v = new float[(to - from) * per];
        int[] labels = new int[to - from];
        for (int i = from; i < to; i++) {
          Random r = new Random(seed * 31 + i);
          for (int k = 0; k < per; k++) {
            v[(i - from) * per + k] = r.nextInt(256);
          }
          if (i == 0) {
            v[0] = 0;
            v[1] = 255;
          }
          labels[i - from] = i % 3;
        }
        return new Batch(Tensor.wrapFloats(Shape.of(to - from, h, w, c), v), labels);
      }
    };
  }
}
