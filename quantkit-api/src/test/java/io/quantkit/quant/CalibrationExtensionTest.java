package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.collect.ImmutableMap;
import io.quantkit.CalibrationException;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Calibration opened to extension: the caller's own estimator, several non-image inputs, its own threads. */
class CalibrationExtensionTest {
  private static final Graph NET = TestGraphs.tinyResNet(11);
  private static final Dataset CALIB = TestGraphs.randomImages("random-train", 40, 8, 8, 3, 3);

  /** Clips at a fixed fraction of the largest magnitude seen: simple enough to check by hand. */
  record FractionOfMax(double fraction, Set<String> threads) implements RangeEstimator {
    FractionOfMax(double fraction) {
      this(fraction, ConcurrentHashMap.newKeySet());
    }

    @Override
    public String name() {
      return "fraction-of-max";
    }

    @Override
    public ImmutableMap<String, Double> parameters() {
      return ImmutableMap.of("fraction", fraction);
    }

    @Override
    public boolean needsHistogram() {
      return false;
    }

    @Override
    public TensorRange estimate(TensorStatistics s, Target target) {
      threads.add(Thread.currentThread().getName());
      assertFalse(s.hasHistogram());
      assertEquals(new Target(QuantType.UINT8, false), target);
      float t = (float) (fraction * Math.max(-s.min(), s.max()));
      return new TensorRange(Math.max(s.min(), -t), Math.min(s.max(), t));
    }
  }

  @Test
  void aCallersEstimatorChoosesTheRangesAndIsRecordedInThePlan() throws Exception {
    FractionOfMax est = new FractionOfMax(0.5);
    QuantPlan plan = Calibration.builder().estimator(est).statisticsThreads(2).build()
        .calibrate(NET, CALIB, new ReferenceBackend());
    assertEquals("fraction-of-max", plan.calibration().estimator());
    assertEquals(Map.of("fraction", 0.5), plan.calibration().parameters());
    assertTrue(plan.calibration().method().isEmpty());
    int checked = 0;
    for (Map.Entry<String, QuantPlan.Observation> e : plan.observations().entrySet()) {
      QuantPlan.Observation o = e.getValue();
      if (e.getKey().equals("input")) {
        assertEquals(o.observedMax(), o.max()); // graph inputs never reach an estimator
        continue;
      }
      float t = (float) (0.5 * Math.max(-o.observedMin(), o.observedMax()));
      assertEquals(Math.max(o.observedMin(), -t), o.min(), e.getKey());
      assertEquals(Math.min(o.observedMax(), t), o.max(), e.getKey());
      checked++;
    }
    assertEquals(4, checked);
    // recorded in the file, and read back
    ObjectNode calib = (ObjectNode) new ObjectMapper().readTree(plan.toJson()).get("calibration");
    assertEquals("fraction-of-max", calib.get("estimator").asText());
    assertEquals(0.5, calib.get("parameters").get("fraction").asDouble());
    assertEquals(plan, QuantPlan.fromJson(plan.toJson()));
    // estimation ran on the calling thread and the calibration's own threads, never the common pool
    String me = Thread.currentThread().getName();
    assertTrue(est.threads().stream().allMatch(n -> n.equals(me) || n.startsWith("quantkit-calibration-")), est.threads().toString());
    // and those threads are gone once calibrate returns
    assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(th -> th.getName().startsWith("quantkit-calibration-")));
  }

  @Test
  void builtInEstimatorsAreTheMethods() {
    for (CalibrationMethod m : CalibrationMethod.values()) {
      QuantPlan byMethod = Calibration.builder().method(m).percentile(99.9).build().calibrate(NET, CALIB, new ReferenceBackend());
      QuantPlan byEstimator = Calibration.builder().estimator(RangeEstimators.of(m, 99.9)).build()
          .calibrate(NET, CALIB, new ReferenceBackend());
      assertEquals(byMethod, byEstimator, m.name());
      assertEquals(java.util.Optional.of(m), byMethod.calibration().method());
    }
    QuantPlan p = Calibration.builder().method(CalibrationMethod.PERCENTILE).percentile(99.9).build()
        .calibrate(NET, CALIB, new ReferenceBackend());
    assertEquals("percentile", p.calibration().estimator());
    assertEquals(Map.of("percentile", 99.9), p.calibration().parameters());
    // the last of method/estimator wins
    assertEquals("entropy", Calibration.builder().estimator(new FractionOfMax(0.5)).method(CalibrationMethod.ENTROPY).build()
        .estimator().name());
    assertThrows(IllegalArgumentException.class, () -> Calibration.builder().estimator(new RangeEstimator() {
      @Override
      public String name() {
        return "Not A Name";
      }

      @Override
      public TensorRange estimate(TensorStatistics stats, Target target) {
        return stats.minMax();
      }
    }));
  }

  @Test
  void plansOfTheFirstFormatAndWithoutFormatStillLoad() throws Exception {
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.PERCENTILE).percentile(99.9).build()
        .calibrate(NET, CALIB, new ReferenceBackend());
    ObjectMapper json = new ObjectMapper();
    ObjectNode v1 = (ObjectNode) json.readTree(plan.toJson());
    assertEquals(QuantPlan.FORMAT, v1.get("format").asText());
    // version 1 recorded the method and its percentile
    v1.put("format", "quantkit.quant-plan/1");
    ObjectNode c = (ObjectNode) v1.get("calibration");
    c.remove("estimator");
    c.remove("parameters");
    c.put("method", "PERCENTILE");
    c.put("percentile", 99.9);
    assertEquals(plan, QuantPlan.fromJson(v1.toString()));
    v1.remove("format");
    assertEquals(plan, QuantPlan.fromJson(v1.toString()));
  }

  /**
   * Two non-image inputs: a [?, 4] and b [?, 4] -> s = a + b -> r = relu(s) -> y = r x W [4, 3].
   */
  private static Graph twoInputs() {
    Graph.Builder b = Graph.builder("two_inputs");
    b.input(new ValueInfo("a", DataType.FLOAT32, Shape.of(-1, 4)));
    b.input(new ValueInfo("b", DataType.FLOAT32, Shape.of(-1, 4)));
    b.initializer("w", TestGraphs.random(new Random(3), 0.5f, 4, 3));
    b.node(Node.of("add", new Op.Add(), List.of("a", "b"), List.of("s")));
    b.node(Node.of("relu", new Op.Relu(), List.of("s"), List.of("r")));
    b.node(Node.of("mm", new Op.MatMul(), List.of("r", "w"), List.of("m")));
    b.node(Node.of("relu2", new Op.Relu(), List.of("m"), List.of("y")));
    b.output("y");
    return b.build();
  }

  private static List<Map<String, Tensor>> batches(int... sizes) {
    Random r = new Random(7);
    List<Map<String, Tensor>> out = new ArrayList<>();
    for (int n : sizes) {
      out.add(Map.of("a", TestGraphs.random(r, 2f, n, 4), "b", TestGraphs.random(r, 1f, n, 4)));
    }
    return out;
  }

  private static float[] range(Tensor t) {
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (float v : t.toFloatArray()) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return new float[] {lo, hi};
  }

  @Test
  void severalNonImageInputsAreCalibratedFromInputMaps() {
    Graph g = twoInputs();
    List<Map<String, Tensor>> data = batches(3, 5, 4);
    // 6 samples: the whole first batch and 3 rows of the second
    QuantPlan plan = Calibration.builder().calibSize(6).build().calibrate(g, CalibrationData.of("sensors", data), new ReferenceBackend());
    assertEquals(6, plan.calibration().samples());
    assertEquals("sensors", plan.calibration().dataset());
    Tensor a = concat(data.get(0).get("a"), data.get(1).get("a").sliceFirstAxis(0, 3));
    Tensor b = concat(data.get(0).get("b"), data.get(1).get("b").sliceFirstAxis(0, 3));
    // independent: the inputs' own extremes and the reference executor's intermediate values
    Map<String, Tensor> all = ReferenceBackend.execute(g, Map.of("a", a, "b", b), List.of("r"));
    // the MatMul's output feeds the graph output through a ReLU: it stays float
    Map<String, float[]> expected = Map.of("a", range(a), "b", range(b), "r", range(all.get("r")));
    assertEquals(Set.of("a", "b", "r"), plan.observations().keySet());
    expected.forEach((t, mm) -> {
      QuantPlan.Observation o = plan.observations().get(t);
      assertEquals(6L * 4, o.count(), t);
      assertEquals(mm[0], o.observedMin(), t);
      assertEquals(mm[1], o.observedMax(), t);
    });
    assertTrue(plan.contains("w"));
  }

  private static Tensor concat(Tensor x, Tensor y) {
    float[] a = x.toFloatArray();
    float[] b = y.toFloatArray();
    float[] v = new float[a.length + b.length];
    System.arraycopy(a, 0, v, 0, a.length);
    System.arraycopy(b, 0, v, a.length, b.length);
    return Tensor.wrapFloats(Shape.of(x.shape().dim(0) + y.shape().dim(0), x.shape().dim(1)), v);
  }

  @Test
  void badInputMapsAreErrorsNamingTheBatchAndTensor() {
    Graph g = twoInputs();
    Calibration c = Calibration.builder().build();
    Random r = new Random(1);
    CalibrationException missing = assertThrows(CalibrationException.class, () -> c.calibrate(g,
        CalibrationData.of("d", List.of(Map.of("a", TestGraphs.random(r, 1, 2, 4)))), new ReferenceBackend()));
    assertTrue(missing.getMessage().contains("'b'") && missing.getMessage().contains("batch 0 of 'd'"), missing.getMessage());
    CalibrationException extra = assertThrows(CalibrationException.class, () -> c.calibrate(g, CalibrationData.of("d",
        List.of(Map.of("a", TestGraphs.random(r, 1, 2, 4), "b", TestGraphs.random(r, 1, 2, 4), "c", TestGraphs.random(r, 1, 2, 4)))),
        new ReferenceBackend()));
    assertTrue(extra.getMessage().contains("'c'") && extra.getMessage().contains("not a graph input"), extra.getMessage());
    CalibrationException sizes = assertThrows(CalibrationException.class, () -> c.calibrate(g, CalibrationData.of("d",
        List.of(Map.of("a", TestGraphs.random(r, 1, 2, 4), "b", TestGraphs.random(r, 1, 3, 4)))), new ReferenceBackend()));
    assertTrue(sizes.getMessage().contains("same batch size"), sizes.getMessage());
    CalibrationException empty = assertThrows(CalibrationException.class,
        () -> c.calibrate(g, CalibrationData.of("nothing", Collections.<Map<String, Tensor>>emptyList()), new ReferenceBackend()));
    assertTrue(empty.getMessage().contains("'nothing' is empty"), empty.getMessage());
    // a graph with two inputs cannot take an image Dataset (one unnamed tensor per sample)
    CalibrationException unnamed = assertThrows(CalibrationException.class, () -> c.calibrate(g, CALIB, new ReferenceBackend()));
    assertTrue(unnamed.getMessage().contains("several inputs"), unnamed.getMessage());
  }

  @Test
  void theDatasetAdapterIsTheDatasetConvenience() {
    Calibration c = Calibration.builder().method(CalibrationMethod.ENTROPY).batchSize(16).build();
    QuantPlan viaDataset = c.calibrate(NET, CALIB, new ReferenceBackend());
    QuantPlan viaData = c.calibrate(NET, CalibrationData.of(CALIB, "input", 16), new ReferenceBackend());
    assertEquals(viaDataset, viaData);
    // MINMAX does not depend on batch boundaries (histograms do: their range starts at the first batch's)
    Calibration minmax = Calibration.builder().batchSize(16).build();
    assertEquals(minmax.calibrate(NET, CALIB, new ReferenceBackend()),
        minmax.calibrate(NET, CalibrationData.of(CALIB, "input", 7), new ReferenceBackend()));
    assertEquals(40, CalibrationData.of(CALIB, "input", 7).samples().getAsInt());
  }
}
