package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.CalibrationException;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CalibrationTest {
  private static final Graph NET = TestGraphs.tinyResNet(11);
  private static final Dataset CALIB = TestGraphs.randomImages("random-train", 40, 8, 8, 3, 3);

  @Test
  void observesWhatTheFp32GraphComputes() {
    List<int[]> progress = new ArrayList<>();
    QuantPlan plan = Calibration.builder()
        .method(CalibrationMethod.MINMAX)
        .batchSize(16)
        .listener((done, total) -> progress.add(new int[] {done, total}))
        .build()
        .calibrate(NET, CALIB, new ReferenceBackend());
    assertEquals(List.of(16, 32, 40), progress.stream().map(p -> p[0]).toList());
    assertTrue(progress.stream().allMatch(p -> p[1] == 40));
    assertEquals(40, plan.calibration().samples());
    assertEquals("random-train", plan.calibration().dataset());
    assertEquals(java.util.Optional.of(CalibrationMethod.MINMAX), plan.calibration().method());
    assertEquals("minmax", plan.calibration().estimator());
    assertTrue(plan.calibration().parameters().isEmpty());
    // independent: run the original (unfolded) graph with the observed tensors as outputs
    List<String> observed = List.of("relu1_out", "bn2_out", "relu2_out", "gap_out");
    Map<String, Tensor> all = ReferenceBackend.execute(NET, Map.of("input", CALIB.batch(0, 40).images()), observed);
    for (String t : observed) {
      float[] v = all.get(t).toFloatArray();
      float lo = Float.MAX_VALUE;
      float hi = -Float.MAX_VALUE;
      for (float x : v) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      QuantPlan.Observation o = plan.observations().get(t);
      assertEquals(40L * all.get(t).size() / 40, o.count(), t);
      float tol = 1e-4f * Math.max(Math.abs(lo), Math.abs(hi));
      assertEquals(lo, o.observedMin(), tol, t);
      assertEquals(hi, o.observedMax(), tol, t);
      QuantParams expected = QuantMath.params(new TensorRange(o.observedMin(), o.observedMax()), QuantType.UINT8, false);
      assertEquals(expected, plan.params(t).orElseThrow(), t);
    }
    // raw 0..255 pixels with the default saturation-safe input: 7 bits, scale 255/127, zero point 0
    assertEquals(QuantParams.perTensor(QuantType.UINT8, 255f / 127f, 0), plan.params("input").orElseThrow());
    // weights and biases are in the plan too
    assertTrue(plan.params("conv1_w").orElseThrow().isPerChannel());
    assertEquals(QuantType.INT32, plan.params("conv1_b").orElseThrow().type());
  }

  @Test
  void graphInputUsesMinMaxWhateverTheMethod() {
    for (CalibrationMethod m : CalibrationMethod.values()) {
      // without the 7-bit guard, raw 0..255 pixels map exactly: UINT8 scale 1, zero point 0
      QuantPlan plan = Calibration.builder().method(m).percentile(99).saturationSafeInput(false).build()
          .calibrate(NET, CALIB, new ReferenceBackend());
      assertEquals(QuantParams.perTensor(QuantType.UINT8, 1f, 0), plan.params("input").orElseThrow(), m.name());
    }
  }

  @Test
  void saturationSafeInputUsesSevenBitsSoUint8TimesInt8PairsFitInt16() {
    QuantPlan plan = Calibration.builder().build().calibrate(NET, CALIB, new ReferenceBackend());
    QuantParams input = plan.params("input").orElseThrow();
    // 255 quantizes to 127: 2 x 127 x 127 = 32,258 <= 32,767 for any pair of full-range INT8 weights
    assertEquals(127, QuantMath.quantize(255f, input.scale(), input.zeroPoint(), QuantType.UINT8));
  }

  @Test
  void onlyTheFirstCalibSizeImagesAreUsed() {
    QuantPlan plan = Calibration.builder().calibSize(10).batchSize(4).build().calibrate(NET, CALIB, new ReferenceBackend());
    assertEquals(10, plan.calibration().samples());
    assertEquals(10L * 8 * 8 * 3, plan.observations().get("input").count());
  }

  @Test
  void emptyCalibrationSetIsAnError() {
    CalibrationException e = assertThrows(CalibrationException.class,
        () -> Calibration.builder().build().calibrate(NET, TestGraphs.randomImages("nothing", 0, 8, 8, 3, 1), new ReferenceBackend()));
    assertTrue(e.getMessage().contains("nothing") && e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void nanInCalibrationDataIsAnErrorNamingTheTensor() {
    Dataset broken = new Dataset() {
      @Override
      public String name() {
        return "broken";
      }

      @Override
      public int size() {
        return 4;
      }

      @Override
      public List<String> classNames() {
        return List.of("a");
      }

      @Override
      public Shape imageShape() {
        return Shape.of(8, 8, 3);
      }

      @Override
      public Batch batch(int from, int to) {
        float[] v = new float[(to - from) * 192];
        v[5] = Float.NaN;
        return new Batch(Tensor.wrapFloats(Shape.of(to - from, 8, 8, 3), v), new int[to - from]);
      }
    };
    CalibrationException e = assertThrows(CalibrationException.class,
        () -> Calibration.builder().build().calibrate(NET, broken, new ReferenceBackend()));
    assertTrue(e.getMessage().contains("'input'") && e.getMessage().contains("broken"), e.getMessage());
  }

  @Test
  void sharedAddScales() {
    // symmetric INT8: nothing is folded, both Add inputs get the union of their ranges
    QuantPlan sym = Calibration.builder().activations(QuantType.INT8).symmetricActivations(true).shareAddInputScales(true)
        .build().calibrate(NET, CALIB, new ReferenceBackend());
    assertEquals(sym.params("bn2_out").orElseThrow(), sym.params("relu1_out").orElseThrow());
    QuantPlan.Observation a = sym.observations().get("bn2_out");
    QuantPlan.Observation b = sym.observations().get("relu1_out");
    float absMax = Math.max(Math.max(Math.abs(a.observedMin()), a.observedMax()), Math.max(Math.abs(b.observedMin()), b.observedMax()));
    assertEquals(absMax / 127f, sym.params("bn2_out").orElseThrow().scale(), 1e-6f * absMax);
    // asymmetric: relu1_out is a folded ReLU output and keeps its own range (with a warning)
    QuantPlan asym = Calibration.builder().shareAddInputScales(true).build().calibrate(NET, CALIB, new ReferenceBackend());
    assertEquals(0, asym.params("relu1_out").orElseThrow().zeroPoint());
    assertTrue(asym.metadata().values().stream().anyMatch(w -> w.contains("relu1_out")), asym.metadata().toString());
  }

  @Test
  void planRoundTripsThroughJson() throws Exception {
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.PERCENTILE).percentile(99.9)
        .excludeNodes(List.of("gap")).build().calibrate(NET, CALIB, new ReferenceBackend());
    QuantPlan back = QuantPlan.fromJson(plan.toJson());
    assertEquals(plan, back);
    assertEquals(plan.toJson(), back.toJson());
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("plan");
    java.nio.file.Path file = dir.resolve("sub/plan.json");
    plan.save(file);
    assertEquals(plan, QuantPlan.load(file));
    try (var files = java.nio.file.Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
    assertArrayEquals(plan.params("conv1_w").orElseThrow().scales(), back.params("conv1_w").orElseThrow().scales());
    assertThrows(io.quantkit.ModelFormatException.class, () -> QuantPlan.fromJson("{\"format\": \"other/9\"}"));
    assertThrows(io.quantkit.ModelFormatException.class, () -> QuantPlan.fromJson("not json"));
    assertThrows(io.quantkit.ModelFormatException.class,
        () -> QuantPlan.fromJson("{\"tensors\": {\"x\": {\"type\": \"UINT8\", \"scales\": [0], \"zeroPoints\": [0], \"axis\": -1}}}"));
  }

  @Test
  void nonFiniteIntermediateTensorIsNamed() {
    io.quantkit.ir.Graph.Builder b = Graph.builder("overflow");
    b.input(new io.quantkit.ir.ValueInfo("x", io.quantkit.tensor.DataType.FLOAT32, Shape.of(-1, 8, 8, 3)));
    b.initializer("k", Tensor.scalar(1e30f));
    b.node(io.quantkit.ir.Node.of("big", new io.quantkit.ir.Op.Mul(), List.of("x", "k"), List.of("y")));
    b.node(io.quantkit.ir.Node.of("bigger", new io.quantkit.ir.Op.Mul(), List.of("y", "k"), List.of("z")));
    b.node(io.quantkit.ir.Node.of("sum", new io.quantkit.ir.Op.Add(), List.of("z", "y"), List.of("w")));
    b.output("w");
    CalibrationException e = assertThrows(CalibrationException.class,
        () -> Calibration.builder().build().calibrate(b.build(), CALIB, new ReferenceBackend()));
    assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("infinite"), e.getMessage());
  }
}
