package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.InspectionReport;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QdqInspector;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ResNet8 quantized the default way (UINT8 activations, per-tensor INT8 weights, MinMax on 500
 * training images, calibrated on ONNX Runtime), then run by ONNX Runtime with every optimization:
 * the convolutions must run as integer kernels and the accuracy cost on the 1,000 test images must
 * stay within the bound. That ONNX Runtime's integer kernels give the reference executor's
 * exact QDQ predictions on every image is the conformance kit's
 * {@code resNet8QdqMatchesTheReferenceArithmetic} ({@code OnnxRuntimeConformanceTest}).
 */
@Tag("integration")
class QdqResNet8IntegrationTest {

  @Test
  void uint8PerTensorMinMaxRunsAsIntegerKernelsAndCostsAtMostHalfAPoint(@TempDir Path dir) throws Exception {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph fp32 = KerasModel.load(home.resnet8Model());
    Dataset test = Cifar10.test(home);
    Dataset calib = Cifar10.train(home).limit(500);
    Backend ort = Backends.named("onnx");
    RunnerOptions options = RunnerOptions.builder().threads(2).build();

    QuantPlan plan = Calibration.builder()
        .method(CalibrationMethod.MINMAX).perChannelWeights(false).activations(QuantType.UINT8).calibSize(500)
        .runnerOptions(options).build()
        .calibrate(fp32, calib, ort);
    QuantizationResult q = Qdq.quantize(fp32, plan);
    assertTrue(q.warnings().isEmpty(), "ResNet8 quantizes without warnings: " + q.warnings());

    Path fp32File = dir.resolve("fp32.onnx");
    Path int8File = dir.resolve("int8.qdq.onnx");
    OnnxModel.save(fp32, fp32File);
    OnnxModel.save(q.graph(), int8File);
    double sizeRatio = (double) Files.size(int8File) / Files.size(fp32File);
    assertTrue(sizeRatio <= 0.35, "INT8 file is " + sizeRatio + " of the FP32 file");

    Map<String, Integer> ops = OrtOptimizedModel.opTypes(OnnxModel.load(int8File), options);
    assertEquals(9, ops.getOrDefault("com.microsoft.QLinearConv", 0) + ops.getOrDefault("QLinearConv", 0),
        "all 9 convolutions fused to QLinearConv: " + ops);
    assertFalse(ops.containsKey("Conv"), "no float Conv left: " + ops);
    assertFalse(ops.containsKey("DequantizeLinear"), "no DequantizeLinear left: " + ops);

    Graph reloaded = OnnxModel.load(int8File);
    AccuracyReport base;
    AccuracyReport int8;
    try (Runner fp32Ort = ort.compile(fp32, options); Runner int8Ort = ort.compile(reloaded, options)) {
      base = Evaluation.builder().dataset(test).build().run(fp32Ort);
      int8 = Evaluation.builder().dataset(test).baseline(base).build().run(int8Ort);
    }
    System.out.printf("ResNet8 uint8 per-tensor minmax: fp32 %.4f int8 %.4f drop %.2f pt, %d flips, size ratio %.3f,"
        + " ORT ops %s%n", base.top1(), int8.top1(), int8.dropPoints(), int8.flips(), sizeRatio, ops);
    // Counted in images, not as a float difference: 5 of 1,000 is exactly the 0.5 pt bound, and the
    // float subtraction lands on either side of it. Calibration runs on ORT's FP32 kernels, which
    // differ in the last bits between AVX2 and AVX-512 VNNI CPUs: 27 flips on both seen so far, and
    // 4 lost images (87.70 %) on AVX2, 5 (87.60 %) on VNNI.
    int lostImages = base.correct() - int8.correct();
    assertTrue(lostImages <= 5, "INT8 loses " + lostImages + " of " + base.samples() + " images (bound 5 = 0.5 pt)");
  }
}
