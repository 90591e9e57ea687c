package io.quantkit.report;

import com.google.common.base.Preconditions;
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
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** A small classifier (NHWC 6x6x3 pixels 0..255 -> 3 classes) and random labelled images for fast tests. */
final class TinyModel {
  private TinyModel() {}

  /** input -> NCHW -> conv 3x3 (3 -> 4) -> relu -> conv 1x1 (4 -> 4) -> add(relu) -> relu -> GAP -> flatten -> dense -> softmax. */
  static Graph graph(long seed) {
    Random r = new Random(seed);
    Graph.Builder b = Graph.builder("tiny");
    b.input(new ValueInfo("input", DataType.FLOAT32, Shape.of(-1, 6, 6, 3)));
    b.node(Node.of("to_nchw", new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), List.of("input"), List.of("x")));
    b.initializer("w1", random(r, 0.01f, 4, 3, 3, 3));
    b.initializer("b1", random(r, 0.1f, 4));
    b.node(Node.of("conv1", conv(3), List.of("x", "w1", "b1"), List.of("c1")));
    b.node(Node.of("relu1", new Op.Relu(), List.of("c1"), List.of("r1")));
    b.initializer("w2", random(r, 0.5f, 4, 4, 1, 1));
    b.initializer("b2", random(r, 0.1f, 4));
    b.node(Node.of("conv2", conv(1), List.of("r1", "w2", "b2"), List.of("c2")));
    b.node(Node.of("add", new Op.Add(), List.of("c2", "r1"), List.of("a")));
    b.node(Node.of("relu2", new Op.Relu(), List.of("a"), List.of("r2")));
    b.node(Node.of("gap", new Op.GlobalAveragePool(), List.of("r2"), List.of("p")));
    b.node(Node.of("flatten", new Op.Flatten(1), List.of("p"), List.of("f")));
    b.initializer("w3", random(r, 1f, 4, 3));
    b.initializer("b3", random(r, 0.1f, 3));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), List.of("f", "w3", "b3"), List.of("logits")));
    b.node(Node.of("softmax", new Op.Softmax(1), List.of("logits"), List.of("probs")));
    b.output("probs");
    return b.build();
  }

  private static Op.Conv conv(int k) {
    return new Op.Conv(ImmutableIntArray.of(k, k), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 1,
        Padding.sameUpper());
  }

  private static Tensor random(Random r, float scale, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return Tensor.wrapFloats(s, v);
  }

  /** {@code n} random 6x6x3 images of integer pixels with random labels, under the given class names. */
  static Dataset images(String name, int n, long seed, List<String> classNames) {
    Random r = new Random(seed);
    float[] pixels = new float[n * 6 * 6 * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = r.nextInt(256);
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(classNames.size());
    }
    return new Dataset() {
      public String name() {
        return name;
      }

      public int size() {
        return n;
      }

      public List<String> classNames() {
        return classNames;
      }

      public Shape imageShape() {
        return Shape.of(6, 6, 3);
      }

      public Batch batch(int from, int to) {
        Preconditions.checkPositionIndexes(from, to, n);
        int per = 6 * 6 * 3;
        return new Batch(Tensor.wrapFloats(Shape.of(to - from, 6, 6, 3), Arrays.copyOfRange(pixels, from * per, to * per)),
            Arrays.copyOfRange(labels, from, to));
      }
    };
  }
}
