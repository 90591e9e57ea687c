package io.quantkit.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Runner;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class QuantizationStudyTest {
  private static final List<String> CLASSES = List.of("a", "b", "c");

  @Test
  void figuresAreThoseOfCalibrationAndEvaluationOnTheirOwn() {
    Graph g = TinyModel.graph(1);
    Dataset calib = TinyModel.images("calib", 40, 2, CLASSES);
    Dataset test = TinyModel.images("test", 60, 3, CLASSES);
    ReferenceBackend ref = new ReferenceBackend();
    Calibration perTensor = Calibration.builder().calibSize(30).perChannelWeights(false).build();
    Calibration perChannel = Calibration.builder().calibSize(30).perChannelWeights(true).build();
    List<StudyProgress> progress = new ArrayList<>();
    StudyResult r = QuantizationStudy.builder().model(g).calibrationSet(calib).testSet(test).debugImages(20)
        .configuration(perTensor).configuration("pc", perChannel).backend(ref).listener(progress::add).build().run();

    assertEquals(List.of("uint8-pertensor-minmax", "pc"), r.configurations().stream().map(StudyResult.Configuration::name).toList());
    assertEquals(30, r.calibrationImages());
    // independent path: calibrate, quantize, evaluate by hand
    QuantPlan plan = perTensor.calibrate(g, calib, ref);
    QuantizationResult q = Qdq.quantize(g, plan);
    assertEquals(q.plan(), r.primary().quantization().plan());
    try (Runner a = ref.compile(g); Runner b = ref.compile(q.graph())) {
      AccuracyReport base = Evaluation.builder().dataset(test).batchSize(100).build().run(a);
      AccuracyReport int8 = Evaluation.builder().dataset(test).batchSize(100).baseline(base).build().run(b);
      assertArrayEquals(base.predictions(), r.fp32().get("reference").predictions());
      assertArrayEquals(int8.predictions(), r.primary().int8().get("reference").predictions());
      assertEquals(int8.flips(), r.primary().int8().get("reference").flips());
    }
    assertEquals(20, r.primary().error().images());
    assertEquals(3, r.primary().error().weights().size()); // conv1, conv2, dense
    assertTrue(r.configurations().get(1).description().contains("per-channel"));

    // progress: every step reported, the share of the study never goes back and ends at 1
    double last = 0;
    for (StudyProgress p : progress) {
      assertTrue(p.fraction() >= last - 1e-12, p.toString());
      last = p.fraction();
    }
    assertEquals(1.0, last, 1e-9);
    List<String> steps = progress.stream().map(StudyProgress::step).distinct().toList();
    assertEquals(List.of("evaluate fp32 on reference", "calibrate uint8-pertensor-minmax",
        "evaluate int8 uint8-pertensor-minmax on reference", "per-layer error uint8-pertensor-minmax",
        "calibrate pc", "evaluate int8 pc on reference", "per-layer error pc"), steps);
  }

  @Test
  void cancellationStopsTheStudy() {
    AtomicBoolean cancelled = new AtomicBoolean();
    List<String> steps = new ArrayList<>();
    QuantizationStudy study = QuantizationStudy.builder().model(TinyModel.graph(1))
        .calibrationSet(TinyModel.images("calib", 40, 2, CLASSES)).testSet(TinyModel.images("test", 60, 3, CLASSES))
        .configuration(Calibration.builder().calibSize(40).batchSize(10).build()).backend(new ReferenceBackend())
        .listener(p -> {
          steps.add(p.step());
          if (p.step().startsWith("calibrate") && p.stepDone() >= 10) {
            cancelled.set(true);
          }
        })
        .cancelled(cancelled::get).build();
    assertThrows(CancellationException.class, study::run);
    assertFalse(steps.stream().anyMatch(s -> s.startsWith("evaluate int8")), steps.toString());
  }
}
