package io.quantkit.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import io.quantkit.data.Cifar10;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchModelsTest {
  @TempDir Path dir;

  /** The raw benchmark hands ORT the file; quantkit's backend hands it the export of the imported graph: the same bytes. */
  @Test
  void fileBytesAreWhatTheOnnxBackendExportsForTheGraphReadFromThem() {
    BenchModels models = BenchModels.at(dir);
    for (Model m : Model.values()) {
      byte[] file = models.modelBytes(m, Precision.FP32);
      Graph graph = models.graph(m, Precision.FP32);
      assertArrayEquals(file, OnnxModel.toBytes(graph), m.toString());
    }
  }

  /** The inputs file holds the test images the SDK's own reader gives, so JVM and native runs see the same pixels. */
  @Test
  void inputFileHoldsTheFirstTestImages() throws Exception {
    BenchModels models = BenchModels.at(dir);
    Tensor batch = models.input(4);
    assertEquals(Cifar10.test().batch(0, 4).images(), batch);
    assertEquals(4L * 32 * 32 * 3 * Float.BYTES, Files.size(models.inputFile(4)));
  }

  /** The probe keeps ResNet8's contract: NHWC input, 10 probabilities per image, on both Java backends alike. */
  @Test
  void probeGivesTenProbabilitiesPerImageOnBothBackends() {
    BenchModels models = BenchModels.at(dir);
    Graph probe = models.graph(Model.PROBE, Precision.FP32);
    Tensor images = models.input(2);
    try (Runner ref = Backends.named("reference").compile(probe); Runner ort = Backends.named("onnx").compile(probe)) {
      float[] a = ref.run(images).toFloatArray();
      float[] b = ort.run(images).toFloatArray();
      assertEquals(20, a.length);
      float sum = 0;
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-5);
        sum += a[i];
      }
      assertEquals(2.0, sum, 1e-4);
    }
  }

  @Test
  @Tag("integration")
  void int8ModelIsAQdqGraphWithStableBytes() {
    BenchModels models = BenchModels.at(dir);
    byte[] file = models.modelBytes(Model.RESNET8, Precision.INT8);
    Graph graph = models.graph(Model.RESNET8, Precision.INT8);
    assertArrayEquals(file, OnnxModel.toBytes(graph));
    assertTrue(graph.nodes().stream().anyMatch(n -> n.op().type().equals("QuantizeLinear")));
  }

  /**
   * The padded-stem variant changes nothing but speed: the reference executor gives the unpadded
   * INT8 model's outputs bit for bit, and so does ONNX Runtime (same integer sums, exact zeros added).
   */
  @Test
  @Tag("integration")
  void paddedStemModelGivesTheInt8ModelsOutputsOnBothBackends() {
    BenchModels models = BenchModels.at(dir);
    Graph int8 = models.graph(Model.RESNET8, Precision.INT8);
    Graph padded = models.graph(Model.RESNET8, Precision.INT8_PAD4);
    assertTrue(padded.initializers().values().stream().anyMatch(t -> t.shape().rank() == 4 && t.shape().dim(1) == 4),
        "no 4-channel stem weight");
    Tensor images = models.input(4);
    for (String backend : new String[] {"reference", "onnx"}) {
      try (Runner a = Backends.named(backend).compile(int8); Runner b = Backends.named(backend).compile(padded)) {
        float[] want = a.run(images).toFloatArray();
        float[] got = b.run(images).toFloatArray();
        int differing = 0;
        for (int i = 0; i < want.length; i++) {
          differing += Float.compare(want[i] + 0f, got[i] + 0f) != 0 ? 1 : 0;
        }
        assertEquals(0, differing, backend + ": outputs that differ after padding");
      }
    }
  }
}
