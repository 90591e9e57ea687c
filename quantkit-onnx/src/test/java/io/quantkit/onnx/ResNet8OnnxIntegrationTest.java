package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MLPerf Tiny ResNet8: Keras .h5 -> IR -> ONNX file -> IR keeps every node and weight. That
 * ONNX Runtime then agrees with the reference executor on the CIFAR-10 test images (100 %, max
 * |softmax diff| 1e-4) is the conformance kit's {@code resNet8Fp32MatchesTheReferenceExecutor}.
 */
@Tag("integration")
class ResNet8OnnxIntegrationTest {
  @Test
  void onnxFileRoundTripKeepsTheKerasGraph(@TempDir Path dir) {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph keras = KerasModel.load(home.resnet8Model());
    Path file = dir.resolve("resnet8.onnx");
    OnnxModel.save(keras, file);
    Graph onnx = OnnxModel.load(file);
    assertEquals(keras.nodes(), onnx.nodes(), "the ONNX round trip keeps every node");
    assertEquals(keras.initializers(), onnx.initializers(), "the ONNX round trip keeps every weight");
  }
}
