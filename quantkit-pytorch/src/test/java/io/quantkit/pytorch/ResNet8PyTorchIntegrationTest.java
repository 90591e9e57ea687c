package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Batch;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The MLPerf Tiny ResNet8 on the 1,000 shared CIFAR-10 test images, INT8 (uint8 activations,
 * per-channel weights, MinMax on 500 training images) on PyTorch's quantized kernels against ONNX
 * Runtime's integer kernels and against the reference executor's exact QDQ arithmetic, all from
 * the same QDQ graph. (FP32 against the reference, and per-tensor QDQ, are in the conformance kit.)
 */
@Tag("integration")
class ResNet8PyTorchIntegrationTest {
  private static final int BATCH = 100;

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

    // one pass over the images per runner: predictions of FP32 (ORT), and of the INT8 graph on
    // PyTorch, ONNX Runtime and the reference executor
    Cifar10 test = Cifar10.test(home);
    String[] names = {"fp32", "pytorch", "onnx", "reference"};
    int n = test.size();
    int[][] predicted = new int[names.length][n];
    int[] labels = new int[n];
    try (Runner fp = Backends.named("onnx").compile(fp32);
        Runner torch = new PyTorchBackend().compile(q.graph(), export, RunnerOptions.defaults());
        Runner ort = Backends.named("onnx").compile(q.graph());
        Runner ref = Backends.named("reference").compile(q.graph())) {
      Runner[] runners = {fp, torch, ort, ref};
      for (int from = 0; from < n; from += BATCH) {
        Batch b = test.batch(from, Math.min(n, from + BATCH));
        System.arraycopy(b.labels(), 0, labels, from, b.size());
        for (int r = 0; r < runners.length; r++) {
          Tensor scores = runners[r].run(b.images());
          for (int i = 0; i < b.size(); i++) {
            predicted[r][from + i] = argmax(scores, i);
          }
        }
      }
    }
    int[] correct = new int[names.length];
    int[] flips = new int[names.length];
    int agreeOrt = 0;
    int agreeRef = 0;
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < names.length; r++) {
        correct[r] += predicted[r][i] == labels[i] ? 1 : 0;
        flips[r] += predicted[r][i] != predicted[0][i] ? 1 : 0;
      }
      agreeOrt += predicted[1][i] == predicted[2][i] ? 1 : 0;
      agreeRef += predicted[1][i] == predicted[3][i] ? 1 : 0;
    }
    System.out.printf("ResNet8 INT8 (uint8, per-channel, MinMax) on %d images: PyTorch vs ORT agreement %.2f %%, "
        + "vs exact QDQ %.2f %%; top-1 FP32 %.2f %%, PyTorch %.2f %%, ORT %.2f %%, reference %.2f %%; "
        + "flips vs FP32: PyTorch %d, ORT %d, reference %d%n", n, 100.0 * agreeOrt / n, 100.0 * agreeRef / n,
        100.0 * correct[0] / n, 100.0 * correct[1] / n, 100.0 * correct[2] / n, 100.0 * correct[3] / n, flips[1], flips[2],
        flips[3]);
    assertTrue(agreeOrt >= 0.99 * n, "PyTorch vs ONNX Runtime agreement " + agreeOrt + "/" + n);
    assertTrue(agreeRef >= 0.99 * n, "PyTorch vs exact QDQ agreement " + agreeRef + "/" + n);
    // top-1 within 0.3 pt = at most 3 of the 1,000 images
    assertTrue(Math.abs(correct[1] - correct[2]) <= 3, "top-1 PyTorch " + correct[1] + " vs ORT " + correct[2]);
    assertTrue(Math.abs(correct[1] - correct[3]) <= 3, "top-1 PyTorch " + correct[1] + " vs reference " + correct[3]);
  }

  private static int argmax(Tensor t, int row) {
    int k = t.shape().dim(1);
    int best = 0;
    for (int j = 1; j < k; j++) {
      if (t.getFloat(row * k + j) > t.getFloat(row * k + best)) {
        best = j;
      }
    }
    return best;
  }
}
