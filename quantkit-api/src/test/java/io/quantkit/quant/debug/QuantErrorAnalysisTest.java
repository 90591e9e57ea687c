package io.quantkit.quant.debug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.base.Preconditions;
import io.quantkit.backend.Runner;
import io.quantkit.data.Batch;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantOptions;
import io.quantkit.quant.QuantParams;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.quant.debug.QuantErrorReport.ActivationError;
import io.quantkit.quant.debug.QuantErrorReport.WeightError;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class QuantErrorAnalysisTest {
  private static final float[] W = {0.5f, -1.0f, 0.25f, 0.1f, 0f, 0f, 0.3f, 0.7f}; // [K=4, N=2]

  /** x [?, 4] -> dense (Gemm, B [4, 2], no bias) -> y: two class scores. */
  private static Graph dense() {
    Graph.Builder b = Graph.builder("dense");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 4)));
    b.initializer("w", Tensor.ofFloats(Shape.of(4, 2), W));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), List.of("x", "w"), List.of("y")));
    b.output("y");
    return b.build();
  }

  /** Rows of 4 values, labels given. */
  private static Dataset rows(float[][] rows, int[] labels) {
    return new Dataset() {
      public String name() {
        return "rows";
      }

      public int size() {
        return rows.length;
      }

      public List<String> classNames() {
        return List.of("a", "b");
      }

      public Shape imageShape() {
        return Shape.of(4);
      }

      public Batch batch(int from, int to) {
        Preconditions.checkPositionIndexes(from, to, rows.length);
        float[] v = new float[(to - from) * 4];
        for (int i = from; i < to; i++) {
          System.arraycopy(rows[i], 0, v, (i - from) * 4, 4);
        }
        return new Batch(Tensor.wrapFloats(Shape.of(to - from, 4), v), Arrays.copyOfRange(labels, from, to));
      }
    };
  }

  @Test
  void handComputedInputErrorWeightErrorAndFlip() {
    Graph g = dense();
    QuantOptions options = QuantOptions.builder().perChannelWeights(false).build();
    assertEquals(List.of("x"), Calibration.builder().options(options).build().tensorsToObserve(g));
    // x on UINT8 with scale 0.5, zero point 0: represents 0 .. 127.5
    QuantPlan plan = QuantPlan.builder("dense").options(options).put("x", QuantParams.perTensor(QuantType.UINT8, 0.5f, 0))
        .build();
    QuantizationResult q = Qdq.quantize(g, plan);
    // image 0: 0.2 -> 0 (error 0.2), 1.0 exact, 1.3 -> 1.5 (0.2), 200 -> 127.5 (clipped, 72.5)
    // image 1: all on the grid, no error
    float[][] rows = {{0.2f, 1.0f, 1.3f, 200f}, {1.0f, 0f, 0f, 0.5f}};
    QuantErrorReport r = QuantErrorAnalysis.builder().dataset(rows(rows, new int[] {1, 0})).batchSize(1).build()
        .analyze(g, q, new ReferenceBackend());

    assertEquals(1, r.activations().size());
    ActivationError x = r.activations().get(0);
    assertEquals("x", x.tensor());
    assertEquals(8, x.values());
    double signal = 0.04 + 1 + 1.69 + 40000 + 1 + 0.25;
    double noise = 0.04 + 0.04 + 72.5 * 72.5;
    assertEquals(10 * Math.log10(signal / noise), x.sqnrDb(), 1e-4);
    // the graph input has no upstream error: its own rounding is all there is
    assertEquals(x.sqnrDb(), x.localSqnrDb(), 1e-9);
    assertEquals(72.5, x.maxAbsError(), 1e-4);
    assertEquals((0.2 + 0.2 + 72.5) / 8, x.meanAbsError(), 1e-5);
    assertEquals(1.0 / 8, x.clippedShare());
    assertEquals(0f, x.representableMin());
    assertEquals(127.5f, x.representableMax());
    assertEquals(0f, x.min());
    assertEquals(200f, x.max());
    assertEquals(8, x.histogram().total());

    // weights per tensor: absmax 1.0 -> scale 1/127, round half to even
    assertEquals(1, r.weights().size());
    WeightError w = r.weights().get(0);
    assertEquals("w", w.tensor());
    assertEquals("dense", w.node());
    assertEquals(1, w.channelAxis()); // Gemm B [K, N]: output columns
    float s = 1f / 127;
    double[] sig = new double[2];
    double[] err = new double[2];
    double max = 0;
    for (int i = 0; i < W.length; i++) {
      double deq = Math.rint(W[i] / s) * s;
      sig[i % 2] += W[i] * W[i];
      err[i % 2] += (W[i] - deq) * (W[i] - deq);
      max = Math.max(max, Math.abs(W[i] - deq));
    }
    assertEquals(10 * Math.log10((sig[0] + sig[1]) / (err[0] + err[1])), w.sqnrDb(), 1e-3);
    assertEquals(10 * Math.log10(sig[0] / err[0]), w.channelSqnrDb().get(0), 1e-3);
    assertEquals(10 * Math.log10(sig[1] / err[1]), w.channelSqnrDb().get(1), 1e-3);
    assertEquals(max, w.maxAbsError(), 1e-6);
    assertEquals(0, w.clippedShare());

    // image 0: FP32 scores (60.35, 139.9) and INT8 scores (38.4, 89.5) both say class 1 = its label;
    // image 1: FP32 (0.65, -0.65), INT8 the same order: class 0 = its label
    assertEquals(2, r.fp32Correct());
    assertEquals(2, r.int8Correct());
    assertTrue(r.flips().isEmpty());
    assertEquals(QuantErrorReport.fromJson(r.toJson()).toJson(), r.toJson());
  }

  @Test
  void clippingFlipsAPrediction() {
    Graph g = dense();
    QuantOptions options = QuantOptions.builder().perChannelWeights(true).build();
    // x represents only 0 .. 2.55: 100 in the last feature is clipped to 2.55
    QuantPlan plan = QuantPlan.builder("dense").options(options)
        .put("x", QuantParams.perTensor(QuantType.UINT8, 0.01f, 0)).build();
    // FP32: y0 = 0.5 + 30 = 30.5, y1 = -1 + 70 = 69 -> class 1; x1 dominates through w[3][*]
    // the clipped input 2.55: y0 = 0.5 + 0.765 = 1.27, y1 = -1 + 1.785 = 0.79 -> class 0
    float[][] rows = {{1f, 0f, 0f, 100f}};
    QuantErrorReport r = QuantErrorAnalysis.builder().dataset(rows(rows, new int[] {1})).build()
        .analyze(g, Qdq.quantize(g, plan), new ReferenceBackend());
    assertEquals(1, r.flips().size());
    QuantErrorReport.Flip f = r.flips().get(0);
    assertEquals(0, f.index());
    assertEquals(1, f.fp32());
    assertEquals(0, f.int8());
    assertEquals(1, r.fp32Correct());
    assertEquals(0, r.int8Correct());
    assertEquals(0.25, r.activations().get(0).clippedShare());
    // per-channel weights: each column has its own absmax / 127; no channel error above half its step
    WeightError w = r.weights().get(0);
    assertEquals(1, w.params().axis());
    assertArrayEquals(new float[] {0.5f / 127, 1.0f / 127}, w.params().scales(), 1e-9f);
    assertTrue(w.maxAbsError() <= 0.5 / 127 + 1e-7);
    assertNull(QuantErrorAnalysis.sqnr(1, 0));
  }

  /**
   * On ResNet8 (reference executor, bit-exact and deterministic) the analysis' predictions are the
   * evaluation's, every quantized tensor and weight of the plan is measured, and per-channel weight
   * errors stay within half a step of their own channel.
   */
  @Test
  void resNet8MatchesEvaluationAndCoversThePlan() {
    Graph fp32 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
    ReferenceBackend ref = new ReferenceBackend();
    Dataset test = Cifar10.test().limit(40);
    QuantPlan plan = Calibration.builder().perChannelWeights(true).calibSize(50).build()
        .calibrate(fp32, Cifar10.train().limit(50), ref);
    QuantizationResult q = Qdq.quantize(fp32, plan);
    List<int[]> progress = new ArrayList<>();
    QuantErrorReport r = QuantErrorAnalysis.builder().dataset(test).batchSize(20)
        .progress((done, total) -> progress.add(new int[] {done, total})).build().analyze(fp32, q, ref);
    assertEquals(List.of(0, 20, 40), progress.stream().map(p -> p[0]).toList());

    AccuracyReport base;
    AccuracyReport int8;
    try (Runner a = ref.compile(fp32); Runner b = ref.compile(q.graph())) {
      base = Evaluation.builder().dataset(test).build().run(a);
      int8 = Evaluation.builder().dataset(test).baseline(base).build().run(b);
    }
    assertEquals(base.correct(), r.fp32Correct());
    assertEquals(int8.correct(), r.int8Correct());
    assertEquals(int8.flips(), r.flips().size());
    for (QuantErrorReport.Flip f : r.flips()) {
      assertEquals(base.prediction(f.index()), f.fp32());
      assertEquals(int8.prediction(f.index()), f.int8());
    }

    Set<String> activations = r.activations().stream().map(ActivationError::tensor).collect(Collectors.toSet());
    Set<String> weights = r.weights().stream().map(WeightError::tensor).collect(Collectors.toSet());
    for (var e : q.plan().tensors().entrySet()) {
      if (e.getValue().type() == QuantType.INT32) {
        continue;
      }
      boolean weight = e.getKey().endsWith("/kernel");
      assertTrue((weight ? weights : activations).contains(e.getKey()), e.getKey() + " not measured");
    }
    assertEquals(10, weights.size());
    for (ActivationError a : r.activations()) {
      assertEquals(0, a.values() % 40, a.tensor());
      assertNotNull(a.sqnrDb(), a.tensor());
      assertTrue(a.sqnrDb() > 5, a.tensor() + " " + a.sqnrDb());
      assertEquals(a.values(), a.histogram().total());
    }
    for (WeightError w : r.weights()) {
      float widest = 0;
      for (float sc : w.params().scales()) {
        widest = Math.max(widest, sc);
      }
      assertTrue(w.maxAbsError() <= widest / 2 * 1.0001, w.tensor());
      assertEquals(w.shape()[w.channelAxis()], w.channelSqnrDb().size(), w.tensor());
    }
  }
}
