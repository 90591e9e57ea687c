package io.quantkit.onnx;

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
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MLPerf Tiny ResNet8: Keras .h5 -> IR -> ONNX file -> IR -> ONNX Runtime, against the
 * reference executor running the IR straight from the Keras import, on the CIFAR-10 test images.
 */
@Tag("integration")
class ResNet8OnnxIntegrationTest {
  private static final int BATCH = 100;

  @Test
  void onnxRuntimeAgreesWithTheReferenceExecutor(@TempDir Path dir) {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph keras = KerasModel.load(home.resnet8Model());
    Path file = dir.resolve("resnet8.onnx");
    OnnxModel.save(keras, file);
    Graph onnx = OnnxModel.load(file);
    assertEquals(keras.nodes(), onnx.nodes(), "the ONNX round trip keeps every node");
    assertEquals(keras.initializers(), onnx.initializers(), "the ONNX round trip keeps every weight");

    Cifar10 test = Cifar10.test(home);
    int n = test.size();
    int classes = 10;
    int agree = 0;
    int ortCorrect = 0;
    int refCorrect = 0;
    double maxAbsDiff = 0;
    RunnerOptions options = RunnerOptions.builder().threads(2).build();
    try (Runner ort = Backends.named("onnx").compile(onnx, options);
        Runner ref = Backends.named("reference").compile(keras, options)) {
      for (int from = 0; from < n; from += BATCH) {
        Batch b = test.batch(from, Math.min(n, from + BATCH));
        Tensor po = ort.run(b.images());
        Tensor pr = ref.run(b.images());
        assertEquals(Shape.of(b.size(), classes), po.shape());
        assertEquals(po.shape(), pr.shape());
        for (int i = 0; i < b.size(); i++) {
          int to = argmax(po, i, classes);
          int tr = argmax(pr, i, classes);
          agree += to == tr ? 1 : 0;
          ortCorrect += to == b.labels()[i] ? 1 : 0;
          refCorrect += tr == b.labels()[i] ? 1 : 0;
          for (int k = 0; k < classes; k++) {
            maxAbsDiff = Math.max(maxAbsDiff, Math.abs(po.getFloat(i * classes + k) - pr.getFloat(i * classes + k)));
          }
        }
      }
    }
    System.out.printf("ResNet8 on %d CIFAR-10 test images: top-1 agreement %.2f %%, max |softmax diff| %.3g, "
        + "accuracy ONNX Runtime %.2f %%, reference %.2f %%%n",
        n, 100.0 * agree / n, maxAbsDiff, 100.0 * ortCorrect / n, 100.0 * refCorrect / n);
    assertEquals(1000, n, "the shared test_batch.bin holds the first 1,000 official test images");
    assertEquals(n, agree, "ONNX Runtime and the reference executor pick the same class for every image");
    assertTrue(maxAbsDiff <= 1e-4, "max |softmax difference| " + maxAbsDiff);
  }

  private static int argmax(Tensor t, int row, int classes) {
    int best = 0;
    for (int k = 1; k < classes; k++) {
      if (t.getFloat(row * classes + k) > t.getFloat(row * classes + best)) {
        best = k;
      }
    }
    return best;
  }
}
