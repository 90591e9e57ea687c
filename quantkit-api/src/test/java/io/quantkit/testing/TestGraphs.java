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

/** Small hand-built graphs and data sets for quantization tests. */
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
