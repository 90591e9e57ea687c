package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MLPerf Tiny's other Keras reference models (Visual Wake Words MobileNet, the anomaly-detection
 * autoencoder, the streaming wake-word DS-CNN): imported from their .h5 files, run FP32 on the
 * reference executor, exported to ONNX, reloaded and run on ONNX Runtime; both must agree on
 * random inputs (elements outside 1e-4 absolute + 1e-3 relative are counted, and there must be none).
 */
@Tag("integration")
class MlperfTinyKerasIntegrationTest {
  private static final RunnerOptions OPTIONS = RunnerOptions.builder().threads(2).build();

  @ParameterizedTest
  @CsvSource({"vww_96.h5, 0, 1", "ad01.h5, -1, 1", "str_ww_ref_model.h5, -1, 1"})
  void importsAndTheOnnxExportAgreesOnOrt(String file, float lo, float hi, @TempDir Path dir) throws Exception {
    Path model = Path.of(System.getProperty("quantkit.shared", "../../shared"), "real-models", "mlperf-tiny", file);
    Graph keras = KerasModel.load(model);
    Path onnxFile = dir.resolve("model.onnx");
    OnnxModel.save(keras, onnxFile);
    Graph onnx = OnnxModel.load(onnxFile);
    Shape s = keras.inputs().get(0).shape();
    int[] dims = s.toArray();
    dims[0] = 2;
    Random rnd = new Random(11);
    float[] v = new float[Shape.of(dims).size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + (hi - lo) * rnd.nextFloat();
    }
    Tensor x = Tensor.wrapFloats(Shape.of(dims), v);
    Tensor ref;
    Tensor ort;
    try (Runner r = Backends.named("reference").compile(keras, OPTIONS)) {
      ref = r.run(Map.of(keras.inputs().get(0).name(), x)).get(keras.outputs().get(0));
    }
    try (Runner r = Backends.named("onnx").compile(onnx, OPTIONS)) {
      ort = r.run(Map.of(onnx.inputs().get(0).name(), x)).get(onnx.outputs().get(0));
    }
    assertEquals(ref.shape(), ort.shape());
    int bad = 0;
    double maxAbs = 0;
    for (int i = 0; i < ref.size(); i++) {
      double d = Math.abs(ref.getFloat(i) - ort.getFloat(i));
      maxAbs = Math.max(maxAbs, d);
      if (!(d <= 1e-4 + 1e-3 * Math.abs(ref.getFloat(i)))) {
        bad++;
      }
    }
    System.out.printf("%s: %d nodes, output %s, reference vs ORT (ONNX export) max |diff| %.2e, %d of %d outside%n",
        file, keras.nodes().size(), ref.shape(), maxAbs, bad, ref.size());
    assertEquals(0, bad, file + ": FP32 outputs of the reference executor and ORT differ");
  }
}
