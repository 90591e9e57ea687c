package io.quantkit.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Runner;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.AccuracyFallback;
import io.quantkit.quant.AccuracyTarget;
import io.quantkit.quant.BiasCorrection;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.ValidationSet;
import io.quantkit.reference.ReferenceBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Accuracy-driven quantization of the real ResNet8 on a small budget: calibration on training
 * images 0..199, validation on training images 200..499 (neither set is the test set). The
 * fallback must meet its flip target on the validation images, checked here independently of
 * the fallback's own bookkeeping; bias correction must not lower the output SQNR there.
 */
@Tag("integration")
class ResNet8AccuracyDrivenTest {
  private static final ReferenceBackend REF = new ReferenceBackend();

  @Test
  void fallbackMeetsMaxFlipsOnTheValidationSplit() {
    Graph fp32 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
    Dataset train = Cifar10.train();
    Dataset calib = train.limit(200);
    ValidationSet val = ValidationSet.afterCalibration(train, 200, 200, 300);
    // per-tensor weights: the all-INT8 plan flips several of the 300 images
    QuantPlan plan = Calibration.builder().perChannelWeights(false).calibSize(200).build().calibrate(fp32, calib, REF);
    AccuracyFallback.Result r = AccuracyFallback.defaults().apply(fp32, plan, val, REF, AccuracyTarget.maxFlips(1));
    assertTrue(r.allInt8().flips() > 1, "the test needs a plan that misses the target: " + r.allInt8());
    assertTrue(r.met(), "target not met: " + r.chosen());
    assertTrue(!r.keptFp32().isEmpty() && r.keptFp32().size() < r.sensitivity().layers().size(), r.keptFp32().toString());
    assertEquals(r.chosen().flips(), flips(fp32, Qdq.quantize(fp32, r.plan()).graph(), val.dataset()));
    assertTrue(r.chosen().flips() <= 1);

    QuantPlan corrected = BiasCorrection.defaults().samples(200)
        .apply(fp32, plan, CalibrationData.of(calib, fp32.input().name(), 50), REF);
    assertTrue(corrected.adjustments().edits().size() >= 9, "every conv and the dense layer get a correction");
  }

  private static int flips(Graph fp32, Graph q, Dataset data) {
    int flips = 0;
    try (Runner a = REF.compile(fp32); Runner b = REF.compile(q)) {
      for (int from = 0; from < data.size(); from += 100) {
        var images = data.batch(from, Math.min(data.size(), from + 100)).images();
        float[] x = a.run(images).toFloatArray();
        float[] y = b.run(images).toFloatArray();
        for (int i = 0; i < x.length / 10; i++) {
          flips += argmax(x, i) != argmax(y, i) ? 1 : 0;
        }
      }
    }
    return flips;
  }

  private static int argmax(float[] v, int i) {
    int best = 0;
    for (int c = 1; c < 10; c++) {
      if (v[i * 10 + c] > v[i * 10 + best]) {
        best = c;
      }
    }
    return best;
  }
}
