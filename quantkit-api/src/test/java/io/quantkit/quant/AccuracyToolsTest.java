package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.ir.passes.BatchNormFolding;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AccuracyToolsTest {
  private static final Backend REF = new ReferenceBackend();

  /**
   * x [?,3,8,8] -> conv1 (3->4, channel ranges 0.01..10) -> relu -> depthwise (4) -> relu ->
   * pointwise (4->5) -> [clip 0..6 -> conv 1x1 (5->2) when withClip] -> out.
   */
  static Graph chain(boolean withClip) {
    Random r = new Random(3);
    Graph.Builder b = Graph.builder("chain");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3, 8, 8)));
    float[] w1 = TestGraphs.random(r, 0.5f, 4, 3, 3, 3).toFloatArray();
    float[] spread = {0.01f, 0.3f, 2f, 10f};
    for (int i = 0; i < w1.length; i++) {
      w1[i] *= spread[i / 27];
    }
    b.initializer("w1", Tensor.wrapFloats(Shape.of(4, 3, 3, 3), w1));
    b.initializer("b1", TestGraphs.random(r, 0.1f, 4));
    b.node(Node.of("conv1", TestGraphs.conv(3, 1, Padding.sameUpper()), List.of("x", "w1", "b1"), List.of("c1")));
    b.node(Node.of("relu1", new Op.Relu(), List.of("c1"), List.of("r1")));
    b.initializer("wd", TestGraphs.random(r, 0.5f, 4, 1, 3, 3));
    b.initializer("bd", TestGraphs.random(r, 0.1f, 4));
    b.node(Node.of("dw", new Op.Conv(ImmutableIntArray.of(3, 3), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 4,
        Padding.sameUpper()), List.of("r1", "wd", "bd"), List.of("d")));
    b.node(Node.of("relu2", new Op.Relu(), List.of("d"), List.of("r2")));
    b.initializer("wp", TestGraphs.random(r, 0.5f, 5, 4, 1, 1));
    b.initializer("bp", TestGraphs.random(r, 0.1f, 5));
    b.node(Node.of("pw", TestGraphs.conv(1, 1, Padding.sameUpper()), List.of("r2", "wp", "bp"), List.of("p")));
    if (withClip) {
      b.node(Node.of("relu6", new Op.Clip(0, 6), List.of("p"), List.of("p6")));
      b.initializer("wl", TestGraphs.random(r, 0.5f, 2, 5, 1, 1));
      b.initializer("bl", TestGraphs.random(r, 0.1f, 2));
      b.node(Node.of("last", TestGraphs.conv(1, 1, Padding.sameUpper()), List.of("p6", "wl", "bl"), List.of("out")));
      b.output("out");
    } else {
      b.output("p");
    }
    return b.build();
  }

  private static float[] run(Graph g, Tensor x) {
    try (Runner r = REF.compile(g)) {
      return r.run(Map.of("x", x)).get(g.output()).toFloatArray();
    }
  }

  private static double channelAbsMax(float[] w, int per, int c) {
    double m = 0;
    for (int i = c * per; i < (c + 1) * per; i++) {
      m = Math.max(m, Math.abs(w[i]));
    }
    return m;
  }

  @Test
  void equalizationKeepsTheFp32FunctionAndEvensChannelRanges() {
    for (boolean clip : new boolean[] {false, true}) {
      Graph g = chain(clip);
      Equalization.Result eq = Equalization.defaults().apply(g);
      assertEquals(List.of(new Equalization.Pair("conv1", "dw"), new Equalization.Pair("dw", "pw")), eq.pairs());
      assertEquals(clip ? 1 : 0, eq.skipped().size(), eq.skipped().toString()); // pw -> relu6 -> last is not equalized
      Tensor x = TestGraphs.random(new Random(9), 1f, 2, 3, 8, 8);
      float[] before = run(g, x);
      float[] after = run(eq.graph(), x);
      double scale = 0;
      for (float v : before) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < before.length; i++) {
        assertEquals(before[i], after[i], 1e-5 * scale, "output " + i);
      }
      // the adjustments alone reproduce the equalized graph from the original
      Graph replayed = eq.adjustments().apply(BatchNormFolding.apply(g));
      assertTrue(java.util.Arrays.equals(eq.graph().initializer("w1").orElseThrow().toFloatArray(),
          replayed.initializer("w1").orElseThrow().toFloatArray()));
      // conv1's 1000x spread of output channel ranges is gone: within 2x after equalization
      float[] w1 = eq.graph().initializer("w1").orElseThrow().toFloatArray();
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (int c = 0; c < 4; c++) {
        lo = Math.min(lo, channelAbsMax(w1, 27, c));
        hi = Math.max(hi, channelAbsMax(w1, 27, c));
      }
      assertTrue(hi / lo < 100, "conv1 channel ranges " + lo + " .. " + hi);
    }
  }

  @Test
  void planWithAdjustmentsIsFormat3AndRoundTrips() {
    Graph g = chain(false);
    Equalization.Result eq = Equalization.defaults().apply(g);
    QuantOptions o = QuantOptions.builder().perChannelWeights(false).build();
    QuantPlan plain = QdqTest.handPlan(eq.graph(), o);
    assertTrue(plain.toJson().contains("\"quantkit.quant-plan/2\""));
    assertFalse(plain.toJson().contains("adjustments"));
    QuantPlan adjusted = plain.toBuilder().adjustments(eq.adjustments()).build();
    assertTrue(adjusted.toJson().contains("\"quantkit.quant-plan/3\""));
    QuantPlan back = QuantPlan.fromJson(adjusted.toJson());
    assertEquals(adjusted, back);
    // quantizing the original with the adjusted plan = quantizing the equalized graph with the plain one
    Tensor x = TestGraphs.random(new Random(2), 1f, 2, 3, 8, 8);
    float[] viaPlan = run(Qdq.quantize(g, back).graph(), x);
    float[] direct = run(Qdq.quantize(eq.graph(), plain).graph(), x);
    for (int i = 0; i < direct.length; i++) {
      assertEquals(direct[i], viaPlan[i], 0f, "output " + i);
    }
  }

  /** Per-channel mean of output {@code t} (NCHW) of {@code g} over {@code data}. */
  private static double[] channelMeans(Graph g, String t, Dataset data) {
    double[] s = null;
    long n = 0;
    try (Runner r = REF.compile(g.withOutputs(List.of(t)))) {
      for (int from = 0; from < data.size(); from += 16) {
        Tensor v = r.run(Map.of(g.input().name(), data.batch(from, Math.min(data.size(), from + 16)).images())).get(t);
        int ch = v.shape().dim(1);
        int inner = v.size() / (v.shape().dim(0) * ch);
        s = s == null ? new double[ch] : s;
        float[] x = v.toFloatArray();
        for (int i = 0; i < x.length; i++) {
          s[(i / inner) % ch] += x[i];
        }
        n += x.length / ch;
      }
    }
    for (int i = 0; i < s.length; i++) {
      s[i] /= n;
    }
    return s;
  }

  @Test
  void biasCorrectionRemovesAnInjectedMeanShift() {
    Graph g = TestGraphs.tinyResNet(4);
    Dataset data = TestGraphs.randomImages("calib", 64, 8, 8, 3, 1);
    QuantPlan plan = Calibration.builder().perChannelWeights(true).build().calibrate(g, data, REF);
    // inject a mean shift: conv2's input (relu1_out) quantized over a quarter of its range, so
    // clipping lowers its mean and moves conv2's output means
    QuantPlan.Observation o = plan.observations().get("relu1_out");
    QuantPlan shifted = plan.toBuilder()
        .put("relu1_out", QuantMath.params(new TensorRange(0, o.max() / 4), QuantType.UINT8, false)).build();
    Graph folded = BatchNormFolding.apply(g);
    Node conv2 = folded.node("conv2").orElseThrow();
    double[] fp = channelMeans(folded, conv2.output(), data);
    Graph qs = Qdq.quantize(g, shifted).graph();
    double[] before = channelMeans(qs, qs.node("conv2").orElseThrow().output(), data);
    double largest = 0;
    for (int c = 0; c < fp.length; c++) {
      largest = Math.max(largest, Math.abs(before[c] - fp[c]));
    }
    assertTrue(largest > 0.05, "the injected clipping shifts conv2's means by " + largest);

    QuantPlan corrected = BiasCorrection.defaults().apply(g, shifted, CalibrationData.of(data, "input", 16), REF);
    float[] fix = corrected.adjustments().edits().stream().filter(e -> e.tensor().equals(conv2.input(2)))
        .findFirst().orElseThrow().values();
    Graph q = Qdq.quantize(g, corrected).graph();
    double[] after = channelMeans(q, q.node("conv2").orElseThrow().output(), data);
    for (int c = 0; c < fp.length; c++) {
      assertEquals(fp[c] - before[c], fix[c], 0.1 * largest, "channel " + c + ": the correction is the measured shift");
      assertEquals(0, after[c] - fp[c], 0.05 * largest, "channel " + c + " after correction");
    }
  }

  private static TensorStatistics stats(float[] values) {
    TensorStatistics s = new TensorStatistics("t", TensorStatistics.DEFAULT_BINS, true);
    s.add(values, 0, values.length);
    return s;
  }

  @Test
  void autoKeepsAUniformRangeAndClipsAnOutlier() {
    RangeEstimator.Target u8 = new RangeEstimator.Target(QuantType.UINT8, false);
    AutoRangeEstimator auto = new AutoRangeEstimator();
    // uniform over [0, 255]: clipping only costs
    float[] grid = new float[256 * 40];
    for (int i = 0; i < grid.length; i++) {
      grid[i] = i % 256;
    }
    AutoRangeEstimator.Choice exact = auto.choose(stats(grid), u8);
    assertTrue(exact.range().max() > 0.99 * 255, "a uniform tensor needs no clipping: " + exact.describe());
    exact.sqnrDb().values().forEach(db -> assertTrue(exact.sqnrDb().get(exact.estimator()) >= db, exact.describe()));
    // a narrow Gaussian plus one huge outlier: MinMax wastes the grid on the outlier
    Random r = new Random(1);
    float[] spiky = new float[100_000];
    for (int i = 0; i < spiky.length; i++) {
      spiky[i] = (float) Math.abs(r.nextGaussian());
    }
    spiky[0] = 40f;
    AutoRangeEstimator.Choice clipped = auto.choose(stats(spiky), u8);
    assertNotEquals("minmax", clipped.estimator());
    double best = clipped.sqnrDb().get(clipped.estimator());
    clipped.sqnrDb().values().forEach(db -> assertTrue(best >= db, clipped.describe()));
  }

  @Test
  void autoRecordsItsChoicePerTensorInThePlan() {
    Graph g = TestGraphs.tinyResNet(4);
    Dataset data = TestGraphs.randomImages("calib", 32, 8, 8, 3, 1);
    QuantPlan plan = Calibration.builder().estimator(new AutoRangeEstimator()).build().calibrate(g, data, REF);
    assertEquals("auto", plan.calibration().estimator());
    for (String t : plan.observations().keySet()) {
      if (!t.equals("input")) {
        assertTrue(plan.metadata().containsKey("estimator." + t), "no choice recorded for " + t + ": " + plan.metadata());
      }
    }
  }

  @Test
  void fallbackMeetsMaxFlipsOnTheValidationImages() {
    Graph g = TestGraphs.tinyResNet(4);
    Dataset calib = TestGraphs.randomImages("calib", 32, 8, 8, 3, 1);
    // a coarse plan that flips predictions: per-tensor weights, activation ranges from 4 images
    QuantPlan plan = Calibration.builder().perChannelWeights(false).calibSize(4).build().calibrate(g, calib, REF);
    ValidationSet val = ValidationSet.of(TestGraphs.randomImages("val", 200, 8, 8, 3, 7), "200 random images");
    AccuracyFallback.Result r = AccuracyFallback.defaults().apply(g, plan, val, REF, AccuracyTarget.maxFlips(0));
    assertTrue(r.met());
    // checked independently: the returned plan, quantized and run, flips nothing on the validation images
    Graph q = Qdq.quantize(g, r.plan()).graph();
    int flips = 0;
    try (Runner fr = REF.compile(g); Runner qr = REF.compile(q)) {
      Tensor images = val.dataset().batch(0, 200).images();
      float[] a = fr.run(images).toFloatArray();
      float[] b = qr.run(images).toFloatArray();
      for (int i = 0; i < 200; i++) {
        flips += argmax(a, i, 3) != argmax(b, i, 3) ? 1 : 0;
      }
    }
    assertEquals(0, flips);
    assertEquals(r.keptFp32().size(), r.plan().options().excludeNodes().size());
    assertEquals(String.join(",", r.keptFp32()), r.plan().metadata().get("fallback.keptFp32"));
    if (r.allInt8().flips() > 0) {
      assertFalse(r.keptFp32().isEmpty());
    }
  }

  private static int argmax(float[] v, int i, int n) {
    int best = 0;
    for (int c = 1; c < n; c++) {
      if (v[i * n + c] > v[i * n + best]) {
        best = c;
      }
    }
    return best;
  }
}
