package io.quantkit.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Runner;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Op;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.reference.ReferenceBackend;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real MLPerf Tiny ResNet8 from QUANTKIT_HOME, imported from Keras and run on the reference
 * executor over every shared CIFAR-10 test image (1,000), in FP32 and after static INT8 QDQ
 * quantization. The bar is the published full-test-set figure, 87.19 % top-1, less a margin for
 * the 1,000-image sample (binomial standard error about 1.1 points).
 */
@Tag("integration")
class ResNet8AccuracyTest {
  /** 85 % of the 1,000 images, as a count: a float compared at its bound can land on either side. */
  private static final int MIN_CORRECT = 850;

  private static Graph fp32;
  private static Cifar10 test;
  private static AccuracyReport fp32Report;

  @BeforeAll
  static void load() {
    fp32 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
    test = Cifar10.test();
  }

  @Test
  void fp32MatchesThePublishedAccuracy() {
    AccuracyReport r = fp32Report();
    assertEquals(1000, r.samples());
    assertTrue(r.correct() >= MIN_CORRECT, "FP32 top-1 " + r.correct() + " of " + r.samples() + " CIFAR-10 test images");
  }

  @Test
  void int8QdqKeepsTheAccuracy() {
    AccuracyReport baseline = fp32Report();
    long t0 = System.nanoTime();
    // calibration on training images only: the test images must not shape the quantization
    QuantPlan plan = Calibration.builder()
        .method(CalibrationMethod.MINMAX)
        .activations(QuantType.UINT8)
        .perChannelWeights(false)
        .calibSize(500)
        .build()
        .calibrate(fp32, Cifar10.train(), new ReferenceBackend());
    long t1 = System.nanoTime();
    QuantizationResult quantized = Qdq.quantize(fp32, plan);
    assertEquals(500, plan.calibration().samples());
    assertTrue(quantized.graph().nodes().stream().filter(n -> n.op() instanceof Op.Conv).count() == 9);
    long qdqNodes = quantized.graph().nodes().stream().filter(n -> n.op() instanceof Op.QuantizeLinear).count();
    assertTrue(qdqNodes > 0, "the quantized graph has no QuantizeLinear node");
    long t2 = System.nanoTime();
    AccuracyReport int8 = evaluate(quantized.graph(), "int8", baseline);
    long t3 = System.nanoTime();
    System.out.printf(Locale.ROOT, "ResNet8 INT8 (QDQ, MINMAX, per-tensor UINT8/INT8) on the reference backend: top-1 %.2f %%"
            + " (%d/%d), drop %.2f pt, %d flips; calibration (500 train images) %.1f s, quantize %.1f s, evaluation %.1f s%n",
        100 * int8.top1(), int8.correct(), int8.samples(), int8.dropPoints(), int8.flips(), (t1 - t0) / 1e9,
        (t2 - t1) / 1e9, (t3 - t2) / 1e9);
    assertTrue(int8.hasBaseline());
    assertTrue(int8.correct() >= MIN_CORRECT, "INT8 top-1 " + int8.correct() + " of " + int8.samples() + " (FP32 "
        + baseline.correct() + ", " + int8.flips() + " flips)");
  }

  /** The FP32 run, computed once and shared by both tests (it is the INT8 run's baseline). */
  private static synchronized AccuracyReport fp32Report() {
    if (fp32Report == null) {
      long t0 = System.nanoTime();
      fp32Report = evaluate(fp32, "fp32", null);
      System.out.printf(Locale.ROOT, "ResNet8 FP32 on the reference backend: top-1 %.2f %% (%d/%d), evaluation %.1f s%n",
          100 * fp32Report.top1(), fp32Report.correct(), fp32Report.samples(), (System.nanoTime() - t0) / 1e9);
    }
    return fp32Report;
  }

  private static AccuracyReport evaluate(Graph g, String precision, AccuracyReport baseline) {
    try (Runner runner = new ReferenceBackend().compile(g)) {
      return Evaluation.builder().dataset(test).batchSize(50).precision(precision).baseline(baseline).build().run(runner);
    }
  }
}
