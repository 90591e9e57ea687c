package io.quantkit.eval;

import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A runner whose "model" is a Java function; records the batch sizes it was given. */
final class FakeRunner implements Runner {
  private final Graph graph;
  private final UnaryOperator<Tensor> fn;
  final List<Integer> batchSizes = new ArrayList<>();

  FakeRunner(String name, UnaryOperator<Tensor> fn) {
    // An identity graph: enough for Runner.run(Tensor) to find the input and output names.
    this.graph = Graph.builder(name).input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 1, 1, 1))).output("x").build();
    this.fn = fn;
  }

  /** Row i of the output is {@code rows[(int) pixel value of image i]}. */
  static FakeRunner table(String name, float[][] rows) {
    return new FakeRunner(name, images -> {
      int n = images.shape().dim(0);
      int k = rows[0].length;
      float[] out = new float[n * k];
      for (int i = 0; i < n; i++) {
        System.arraycopy(rows[(int) images.getFloat(i)], 0, out, i * k, k);
      }
      return Tensor.wrapFloats(Shape.of(n, k), out);
    });
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public String backendName() {
    return "fake";
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    Tensor x = inputs.get("x");
    batchSizes.add(x.shape().dim(0));
    return Map.of("x", fn.apply(x));
  }

  @Override
  public void close() {}
}
