package io.quantkit.spark;

import com.google.common.base.Preconditions;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep over quantization configurations on Spark: one job calibrates every configuration (tasks:
 * configuration x calibration shard), the driver quantizes each plan ({@link Qdq#quantize}), and one
 * job evaluates the FP32 model and every QDQ model (tasks: model x test shard). Each plan and report
 * equals the one the single machine computes for that configuration, so the table does too. A
 * sensitivity scan is a sweep whose configurations each keep one layer in FP32.
 */
public final class DistributedSweep {
  private final DistributedCalibration calibration;
  private final DistributedEvaluation evaluation;

  /** Calibrating with {@code calibration}, evaluating with {@code evaluation}. */
  public DistributedSweep(DistributedCalibration calibration, DistributedEvaluation evaluation) {
    this.calibration = Preconditions.checkNotNull(calibration);
    this.evaluation = Preconditions.checkNotNull(evaluation);
  }

  /** One configuration's outcome: its plan, QDQ model and report against the FP32 baseline. */
  public record Outcome(String name, QuantPlan plan, Graph qdq, AccuracyReport report) {}

  /** The FP32 report and one outcome per configuration, in the order given. */
  public record Result(AccuracyReport fp32, List<Outcome> outcomes) {}

  /**
   * Runs the sweep. Reports are labelled model {@code modelName}, precision fp32 / int8, as the
   * single-machine sweep labels them.
   */
  public Result run(ModelBytes fp32, String modelName, Map<String, SerializableSupplier<Calibration>> configurations,
      DatasetSource calib) {
    List<String> names = new ArrayList<>(configurations.keySet());
    List<QuantPlan> plans = calibration.calibrateAll(fp32, calib, new ArrayList<>(configurations.values()));
    List<DistributedEvaluation.Candidate> candidates = new ArrayList<>();
    candidates.add(new DistributedEvaluation.Candidate(fp32, modelName, "fp32", null));
    Map<String, QuantizationResult> quantized = new LinkedHashMap<>();
    Graph graph = fp32.graph();
    for (int i = 0; i < names.size(); i++) {
      QuantizationResult q = Qdq.quantize(graph, plans.get(i));
      quantized.put(names.get(i), q);
      candidates.add(new DistributedEvaluation.Candidate(ModelBytes.of(q.graph(), names.get(i) + ".qdq.onnx"), modelName,
          "int8", null));
    }
    List<AccuracyReport> reports = evaluation.runAll(candidates);
    AccuracyReport base = reports.get(0);
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      QuantizationResult q = quantized.get(names.get(i));
      outcomes.add(new Outcome(names.get(i), q.plan(), q.graph(), reports.get(i + 1).withBaseline(base)));
    }
    return new Result(base, outcomes);
  }
}
