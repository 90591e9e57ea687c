package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.eval.Comparison;
import io.quantkit.eval.ComparisonReport;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
    assertEquals(1000, test.size(), "the shared test_batch.bin holds the first 1,000 official test images");
    RunnerOptions options = RunnerOptions.builder().threads(2).build();
    ComparisonReport report;
    try (Runner ort = Backends.named("onnx").compile(onnx, options);
        Runner ref = Backends.named("reference").compile(keras, options)) {
      Map<String, Runner> runners = new LinkedHashMap<>();
      runners.put("onnx", ort);
      runners.put("reference", ref);
      report = Comparison.builder().dataset(test).batchSize(BATCH).build().run(runners);
    }
    ComparisonReport.Pair pair = report.pair("onnx", "reference");
    System.out.printf("ResNet8 on %d CIFAR-10 test images: top-1 agreement %.2f %%, max |softmax diff| %.3g, "
        + "accuracy ONNX Runtime %.2f %%, reference %.2f %%%n", report.samples(), 100 * pair.agreement(),
        pair.maxAbsDiff(), 100 * report.runner("onnx").top1(), 100 * report.runner("reference").top1());
    assertEquals(1.0, pair.agreement(), "ONNX Runtime and the reference executor pick the same class for every image");
    assertTrue(pair.maxAbsDiff() <= 1e-4, "max |softmax difference| " + pair.maxAbsDiff());
    assertEquals(report.runner("reference").top1(), report.runner("onnx").top1());
  }
}
