package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Comparison;
import io.quantkit.eval.ComparisonReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The MLPerf Tiny ResNet8 on the 1,000 shared CIFAR-10 test images: FP32 on PyTorch against the
 * reference executor, and INT8 (uint8 activations, per-channel weights, MinMax on 500 training
 * images) on PyTorch's quantized kernels against ONNX Runtime's integer kernels and against the
 * reference executor's exact QDQ arithmetic, all from the same QDQ graph.
 */
@Tag("integration")
class ResNet8PyTorchIntegrationTest {
  private static final int BATCH = 100;

  @Test
  void fp32MatchesTheReferenceExecutor() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph g = KerasModel.load(home.resnet8Model());
    Cifar10 test = Cifar10.test(home);
    assertEquals(1000, test.size());
    ComparisonReport report;
    try (Runner torch = Backends.named("pytorch").compile(g, RunnerOptions.defaults());
        Runner ref = Backends.named("reference").compile(g)) {
      Map<String, Runner> runners = new LinkedHashMap<>();
      runners.put("pytorch", torch);
      runners.put("reference", ref);
      report = Comparison.builder().dataset(test).batchSize(BATCH).build().run(runners);
    }
    ComparisonReport.Pair pair = report.pair("pytorch", "reference");
    System.out.printf("ResNet8 FP32 on %d images: PyTorch %s vs reference: agreement %.2f %%, max |softmax diff| %.3g, "
        + "top-1 %.2f %% / %.2f %%%n", report.samples(), PyTorchEngine.version(), 100 * pair.agreement(), pair.maxAbsDiff(),
        100 * report.runner("pytorch").top1(), 100 * report.runner("reference").top1());
    assertEquals(1.0, pair.agreement());
    assertTrue(pair.maxAbsDiff() <= 1e-4, "max |softmax difference| " + pair.maxAbsDiff());
    assertEquals(report.runner("reference").top1(), report.runner("pytorch").top1());
  }

  @Test
  void int8OnPyTorchKernelsAgreesWithOnnxRuntimeAndTheExactQdqArithmetic() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph fp32 = KerasModel.load(home.resnet8Model());
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).perChannelWeights(true).build()
        .calibrate(fp32, Cifar10.train(home).limit(500), Backends.named("onnx"));
    QuantizationResult q = Qdq.quantize(fp32, plan);
    TorchScriptExport export = TorchScriptModel.export(q.graph());
    System.out.println("PyTorch INT8 kernels (quantized engine " + PyTorchEngine.quantizedEngine().orElse("?") + "): "
        + export.kernels() + "; FP32 fallbacks: " + export.warnings());
    assertEquals(9, export.kernels().get("quantized::conv2d"));
    assertEquals(3, export.kernels().get("quantized::add"));

    Cifar10 test = Cifar10.test(home);
    ComparisonReport report;
    AccuracyReport base;
    Map<String, AccuracyReport> accuracy = new LinkedHashMap<>();
    try (Runner fp = Backends.named("onnx").compile(fp32);
        Runner torch = new PyTorchBackend().compile(q.graph(), export, RunnerOptions.defaults());
        Runner ort = Backends.named("onnx").compile(q.graph());
        Runner ref = Backends.named("reference").compile(q.graph())) {
      base = Evaluation.builder().dataset(test).batchSize(BATCH).build().run(fp);
      Map<String, Runner> runners = new LinkedHashMap<>();
      runners.put("pytorch", torch);
      runners.put("onnx", ort);
      runners.put("reference", ref);
      report = Comparison.builder().dataset(test).batchSize(BATCH).build().run(runners);
      for (Map.Entry<String, Runner> e : runners.entrySet()) {
        accuracy.put(e.getKey(), Evaluation.builder().dataset(test).batchSize(BATCH).baseline(base).build().run(e.getValue()));
      }
    }
    ComparisonReport.Pair vsOrt = report.pair("pytorch", "onnx");
    ComparisonReport.Pair vsRef = report.pair("pytorch", "reference");
    System.out.printf("ResNet8 INT8 (uint8, per-channel, MinMax) on %d images: PyTorch vs ORT agreement %.2f %%, "
        + "vs exact QDQ %.2f %%; top-1 FP32 %.2f %%, PyTorch %.2f %%, ORT %.2f %%, reference %.2f %%; "
        + "flips vs FP32: PyTorch %d, ORT %d, reference %d%n", report.samples(), 100 * vsOrt.agreement(),
        100 * vsRef.agreement(), 100 * base.top1(), 100 * accuracy.get("pytorch").top1(),
        100 * accuracy.get("onnx").top1(), 100 * accuracy.get("reference").top1(), flips(accuracy.get("pytorch")),
        flips(accuracy.get("onnx")), flips(accuracy.get("reference")));
    assertTrue(vsOrt.agreement() >= 0.99, "PyTorch vs ONNX Runtime agreement " + vsOrt.agreement());
    assertTrue(vsRef.agreement() >= 0.99, "PyTorch vs exact QDQ agreement " + vsRef.agreement());
    // within 0.3 pt = at most 3 of the 1,000 images
    int correctTorch = accuracy.get("pytorch").correct();
    assertTrue(Math.abs(correctTorch - accuracy.get("onnx").correct()) <= 3, "top-1 vs ORT");
    assertTrue(Math.abs(correctTorch - accuracy.get("reference").correct()) <= 3, "top-1 vs reference");
  }

  private static int flips(AccuracyReport r) {
    return r.flips() == null ? -1 : r.flips();
  }
}
