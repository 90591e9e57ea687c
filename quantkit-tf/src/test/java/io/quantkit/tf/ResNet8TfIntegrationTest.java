package io.quantkit.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Comparison;
import io.quantkit.eval.ComparisonReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance figures on the 1,000 shared CIFAR-10 test images: FP32 on TensorFlow
 * against the reference executor, INT8 QDQ graphs (from plans calibrated on ONNX Runtime) against
 * the reference executor's exact QDQ arithmetic and ONNX Runtime's integer kernels, and a SavedModel
 * evaluated as it is against the .h5 it came from.
 */
@Tag("integration")
class ResNet8TfIntegrationTest {
  private static final RunnerOptions OPTIONS = RunnerOptions.builder().threads(2).build();
  private static Graph fp32;
  private static Dataset test;
  private static Dataset calib;
  /** The default configuration (UINT8 activations, per-tensor weights, MinMax), calibrated once. */
  private static Graph uint8;

  @BeforeAll
  static void load() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    fp32 = KerasModel.load(home.resnet8Model());
    test = Cifar10.test(home);
    calib = Cifar10.train(home).limit(500);
    uint8 = quantize(CalibrationMethod.MINMAX, false, QuantType.UINT8);
  }

  private static Graph quantize(CalibrationMethod method, boolean perChannel, QuantType activations) {
    QuantPlan plan = Calibration.builder().method(method).perChannelWeights(perChannel).activations(activations)
        .calibSize(500).runnerOptions(OPTIONS).build().calibrate(fp32, calib, Backends.named("onnx"));
    return Qdq.quantize(fp32, plan).graph();
  }

  @Test
  void fp32AgreesWithTheReferenceExecutorOnEveryImage() {
    ComparisonReport report;
    try (Runner tf = Backends.named("tf").compile(fp32, OPTIONS);
        Runner ref = Backends.named("reference").compile(fp32, OPTIONS)) {
      report = compare(Map.of("tf", tf, "reference", ref));
    }
    ComparisonReport.Pair pair = report.pair("tf", "reference");
    System.out.printf("ResNet8 FP32 on %d images: tf vs reference agreement %.2f %%, max |softmax diff| %.3g, top-1 tf "
        + "%.2f %%, reference %.2f %%%n", report.samples(), 100 * pair.agreement(), pair.maxAbsDiff(),
        100 * report.runner("tf").top1(), 100 * report.runner("reference").top1());
    assertEquals(1000, report.samples());
    assertEquals(0, pair.disagreements(), "images on which TensorFlow and the reference executor pick different classes");
    assertTrue(pair.maxAbsDiff() <= 1e-4, "max |softmax difference| " + pair.maxAbsDiff());
    assertEquals(report.runner("reference").top1(), report.runner("tf").top1());
  }

  @Test
  void uint8PerTensorMatchesTheExactQdqArithmeticAndOrtIntegerKernels() {
    checkInt8("uint8 per-tensor minmax", uint8);
  }

  @Test
  void int8PerChannelMatchesTheExactQdqArithmeticAndOrt() {
    checkInt8("int8 per-channel entropy", quantize(CalibrationMethod.ENTROPY, true, QuantType.INT8));
  }

  private static void checkInt8(String label, Graph int8) {
    Backend ort = Backends.named("onnx");
    ComparisonReport report;
    try (Runner tf = Backends.named("tf").compile(int8, OPTIONS);
        Runner ref = Backends.named("reference").compile(int8, OPTIONS);
        Runner onnx = ort.compile(int8, OPTIONS)) {
      report = compare(Map.of("tf", tf, "reference", ref, "onnx", onnx));
    }
    ComparisonReport.Pair vsRef = report.pair("tf", "reference");
    ComparisonReport.Pair vsOrt = report.pair("tf", "onnx");
    double[] q = quantizedValueDifferences(int8);
    System.out.printf("ResNet8 %s on %d images: tf vs reference agreement %.2f %% (%d differ, max |softmax diff| %.3g), "
        + "tf vs onnx %.2f %% (%d differ), top-1 tf %.2f %% reference %.2f %% onnx %.2f %%; on 200 images %.4f %% of the "
        + "%,.0f quantized activations differ from the reference's, by at most %.0f steps%n", label, report.samples(),
        100 * vsRef.agreement(), vsRef.disagreements(), vsRef.maxAbsDiff(), 100 * vsOrt.agreement(), vsOrt.disagreements(),
        100 * report.runner("tf").top1(), 100 * report.runner("reference").top1(), 100 * report.runner("onnx").top1(),
        100 * q[0] / q[1], q[1], q[2]);
    // Counted in images: >= 99.9 % and >= 99.5 % of 1,000.
    assertTrue(vsRef.disagreements() <= 1, "tf vs reference: " + vsRef);
    assertTrue(vsOrt.disagreements() <= 5, "tf vs onnx: " + vsOrt);
    // Float convolutions sum in another order than the reference's, so a value near a .5 boundary
    // may round the other way; that must stay rare.
    assertTrue(q[0] / q[1] < 0.005, "share of quantized activations that differ: " + q[0] / q[1]);
  }

  /** {differing values, all values, max difference in quantization steps} over every QuantizeLinear output. */
  private static double[] quantizedValueDifferences(Graph int8) {
    List<String> quantized = new ArrayList<>();
    for (Node n : int8.nodes()) {
      if (n.op() instanceof Op.QuantizeLinear) {
        quantized.add(n.output());
      }
    }
    Graph probe = int8.withOutputs(quantized);
    Tensor images = test.batch(0, 200).images();
    Map<String, Tensor> tf;
    Map<String, Tensor> ref;
    try (Runner a = Backends.named("tf").compile(probe, OPTIONS); Runner b = Backends.named("reference").compile(probe, OPTIONS)) {
      tf = a.run(Map.of(int8.input().name(), images));
      ref = b.run(Map.of(int8.input().name(), images));
    }
    double differing = 0;
    double total = 0;
    double max = 0;
    for (String name : quantized) {
      Tensor x = tf.get(name);
      Tensor y = ref.get(name);
      assertEquals(y.type(), x.type(), name);
      assertEquals(y.shape(), x.shape(), name);
      for (int i = 0; i < x.size(); i++) {
        long d = Math.abs(x.getLong(i) - y.getLong(i));
        differing += d != 0 ? 1 : 0;
        max = Math.max(max, d);
      }
      total += x.size();
    }
    return new double[] {differing, total, max};
  }

  @Test
  void aSavedModelEvaluatesAsTheH5ItCameFrom(@TempDir Path dir) {
    Path savedModel = dir.resolve("resnet8_savedmodel");
    SavedModels.save(fp32, savedModel);
    AccuracyReport fromH5;
    AccuracyReport fromSavedModel;
    AccuracyReport reference;
    Evaluation eval = Evaluation.builder().dataset(test).batchSize(100).build();
    try (Runner h5 = Backends.named("tf").compile(fp32, OPTIONS);
        Runner sm = Backends.named("tf").open(savedModel, OPTIONS);
        Runner ref = Backends.named("reference").compile(fp32, OPTIONS)) {
      fromH5 = eval.run(h5);
      fromSavedModel = eval.run(sm);
      reference = eval.run(ref);
    }
    System.out.printf("ResNet8 top-1: SavedModel on tf %.2f %%, .h5 on tf %.2f %%, .h5 on reference %.2f %%%n",
        100 * fromSavedModel.top1(), 100 * fromH5.top1(), 100 * reference.top1());
    assertArrayEquals(fromH5.predictions(), fromSavedModel.predictions());
    assertEquals(fromH5.top1(), fromSavedModel.top1());
    assertEquals(fromH5.top5(), fromSavedModel.top5());
    assertArrayEquals(fromH5.confusion(), fromSavedModel.confusion());
    assertEquals(fromH5.perClassAccuracy(), fromSavedModel.perClassAccuracy());
    assertArrayEquals(reference.predictions(), fromSavedModel.predictions());
  }

  @Test
  void anInt8SavedModelReloadsWithIdenticalOutputs(@TempDir Path dir) {
    Path savedModel = dir.resolve("resnet8_int8");
    SavedModels.save(uint8, savedModel);
    Tensor images = test.batch(0, 200).images();
    try (Runner graph = Backends.named("tf").compile(uint8, OPTIONS); Runner sm = Backends.named("tf").open(savedModel, OPTIONS)) {
      assertEquals(graph.run(images), sm.run(images));
    }
  }

  private static ComparisonReport compare(Map<String, Runner> runners) {
    return Comparison.builder().dataset(test).batchSize(100).build().run(new LinkedHashMap<>(runners));
  }
}
