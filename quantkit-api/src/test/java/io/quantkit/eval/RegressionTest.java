package io.quantkit.eval;

import static io.quantkit.data.Checks.*;


import io.quantkit.DatasetException;
import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegressionTest {
  @TempDir Path dir;

  /** Images 0, 1, 2, 3 (one pixel each = its index). */
  private static final ListDataset FOUR = new ListDataset("four", List.of(), 0, 0, 0, 0);

  @Test
  void sqnrAndRelativeErrorAgainstTheFirstRunner() {
    FakeRunner ref = new FakeRunner("ref", x -> x);
    // +0.5 on even samples, -0.5 on odd ones: noise 4 * 0.25 = 1, signal 0 + 1 + 4 + 9 = 14
    FakeRunner noisy = new FakeRunner("noisy", x -> {
      float[] v = x.toFloatArray();
      for (int i = 0; i < v.length; i++) {
        v[i] += ((int) v[i]) % 2 == 0 ? 0.5f : -0.5f;
      }
      return Tensor.wrapFloats(x.shape(), v);
    });
    Map<String, Runner> runners = new LinkedHashMap<>();
    runners.put("fp32", ref);
    runners.put("int8", noisy);
    RegressionReport r = Regression.builder().dataset(FOUR).batchSize(3).build().run(runners);
    assertThat(r.samples()).isEqualTo(4);
    RegressionReport.Entry e = r.entry("int8", "x");
    assertThat(e.reference()).isEqualTo("fp32");
    assertThat(e.sqnrDb()).isCloseTo(10 * Math.log10(14), within(1e-9));
    assertThat(e.relativeError()).isCloseTo(Math.sqrt(1 / 14.0), within(1e-9));
    assertThat(e.maxAbsDiff()).isEqualTo(0.5);
    assertThat(e.meanAbsDiff()).isEqualTo(0.5);
    assertThat(r.toSummary()).contains("int8 vs fp32, output x: SQNR 11.5 dB");
    // identical outputs: infinite SQNR, null in JSON, and the JSON round-trips
    Map<String, Runner> same = new LinkedHashMap<>();
    same.put("a", ref);
    same.put("b", new FakeRunner("b", x -> x));
    RegressionReport s = Regression.builder().dataset(FOUR).build().run(same);
    assertThat(s.entry("b", "x").sqnrDb()).isNull();
    r.save(dir.resolve("r.json"));
    assertThat(RegressionReport.load(dir.resolve("r.json"))).isEqualTo(r);
  }

  @Test
  void reconstructionComparesAnAutoencoderWithItsInput() {
    FakeRunner autoencoder = new FakeRunner("ae", x -> {
      float[] v = x.toFloatArray();
      for (int i = 0; i < v.length; i++) {
        v[i] *= 0.9f;
      }
      return Tensor.wrapFloats(x.shape(), v);
    });
    RegressionReport r = Regression.builder().dataset(FOUR).build().reconstruction(autoencoder, "onnx");
    // noise = 0.01 * signal: 20 dB, relative error 0.1
    assertThat(r.entry("onnx", "x").sqnrDb()).isCloseTo(20, within(1e-4));
    assertThat(r.entry("onnx", "x").relativeError()).isCloseTo(0.1, within(1e-6));
    FakeRunner classifier = FakeRunner.table("c", new float[][] {{1, 0}, {0, 1}, {1, 0}, {0, 1}});
    assertThatThrownBy(() -> Regression.builder().dataset(FOUR).build().reconstruction(classifier, "c"))
        .isInstanceOf(DatasetException.class).hasMessageContaining("not an autoencoder");
  }

  @Test
  void labelsBeyondTheOutputAndAnAutoencoderAreRefusedByEvaluation() {
    ListDataset byIndex = new ListDataset("idx", List.of(), 0, 1, 5, 0);
    FakeRunner threeScores = FakeRunner.table("m", new float[4][3]);
    assertThatThrownBy(() -> Evaluation.builder().dataset(byIndex).build().run(threeScores))
        .isInstanceOf(DatasetException.class).hasMessageContaining("label 5").hasMessageContaining("classes 0..2");
    assertThatThrownBy(() -> Comparison.builder().dataset(byIndex).build().run(Map.of("a", threeScores, "b", threeScores)))
        .isInstanceOf(DatasetException.class).hasMessageContaining("label 5");
    // without labels the comparison runs
    ComparisonReport c = Comparison.builder().dataset(byIndex).labels(false).build()
        .run(new LinkedHashMap<>(Map.of("a", threeScores, "b", FakeRunner.table("m2", new float[4][3]))));
    assertThat(c.runners().get(0).top1()).isNull();
    // a dataset labelled by index gets the model's classes, named 0..width-1
    ListDataset fits = new ListDataset("fits", List.of(), 0, 1, 2, 0);
    AccuracyReport a = Evaluation.builder().dataset(fits).build().run(FakeRunner.table("m", new float[][] {
        {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}}));
    assertThat(a.classNames()).containsExactly("0", "1", "2");
    assertThat(a.top1()).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void aFixedBatchModelGetsSlicesOfItsSizeAndTheLastIsPadded() {
    List<Integer> seen = new ArrayList<>();
    Graph g = Graph.builder("fixed").input(new ValueInfo("x", DataType.FLOAT32, Shape.of(2, 1, 1, 1))).output("x").build();
    Runner fixed = new Runner() {
      @Override
      public Graph graph() {
        return g;
      }

      @Override
      public String backendName() {
        return "fixed";
      }

      @Override
      public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Tensor x = inputs.get("x");
        seen.add(x.shape().dim(0));
        float[] v = x.toFloatArray();
        float[] out = new float[v.length * 3];
        for (int i = 0; i < v.length; i++) {
          out[i * 3 + (int) v[i] % 3] = 1;
        }
        return Map.of("x", Tensor.wrapFloats(Shape.of(v.length, 3), out));
      }

      @Override
      public void close() {}
    };
    ListDataset five = new ListDataset("five", List.of("a", "b", "c"), 0, 1, 2, 0, 0);
    AccuracyReport r = Evaluation.builder().dataset(five).batchSize(5).build().run(fixed);
    assertThat(seen).containsOnly(2);
    assertThat(seen).hasSize(3);
    // predictions are index % 3: 0, 1, 2, 0, 1 against labels 0, 1, 2, 0, 0
    assertThat(r.predictions()).containsExactly(0, 1, 2, 0, 1);
  }
}
