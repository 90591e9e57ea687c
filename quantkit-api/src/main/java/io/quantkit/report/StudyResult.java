package io.quantkit.report;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.quant.InspectionReport;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.quant.debug.QuantErrorReport;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a {@link QuantizationStudy} measured: the FP32 model's accuracy on each backend, and
 * per configuration the QDQ model and plan, what it contains, its accuracy on each backend
 * (against the FP32 run of the same backend) and its per-layer error. Immutable.
 *
 * @param model the model's name
 * @param calibrationSet name of the calibration images
 * @param calibrationImages how many of them the primary configuration used
 * @param testSet name of the evaluation images
 * @param backends backend names in study order; the first ran calibration and the per-layer error
 * @param fp32 FP32 accuracy by backend name
 * @param configurations in study order; the first is the primary one
 * @param elapsed wall time of the whole study
 */
public record StudyResult(
    String model,
    String calibrationSet,
    int calibrationImages,
    String testSet,
    ImmutableList<String> backends,
    ImmutableMap<String, AccuracyReport> fp32,
    ImmutableList<Configuration> configurations,
    Duration elapsed) {

  public StudyResult(String model, String calibrationSet, int calibrationImages, String testSet, List<String> backends,
      Map<String, AccuracyReport> fp32, List<Configuration> configurations, Duration elapsed) {
    this(model, calibrationSet, calibrationImages, testSet, ImmutableList.copyOf(backends), ImmutableMap.copyOf(fp32),
        ImmutableList.copyOf(configurations), elapsed);
  }

  /** The first configuration. */
  public Configuration primary() {
    return configurations.get(0);
  }

  /** The first backend's name. */
  public String primaryBackend() {
    return backends.get(0);
  }

  /**
   * One quantization configuration's results.
   *
   * @param name short identifier, e.g. "uint8-pertensor-minmax"
   * @param description what it means in words
   * @param quantization the QDQ graph, the plan it used, FP32 nodes and warnings
   * @param inspection Q/DQ counts, scales, residual-Add scale ratios, weight bytes
   * @param int8 INT8 accuracy by backend name, each against that backend's FP32 run
   * @param error per-layer error, measured on the first backend
   */
  public record Configuration(
      String name,
      String description,
      QuantizationResult quantization,
      InspectionReport inspection,
      ImmutableMap<String, AccuracyReport> int8,
      QuantErrorReport error) {

    public Configuration(String name, String description, QuantizationResult quantization, InspectionReport inspection,
        Map<String, AccuracyReport> int8, QuantErrorReport error) {
      this(name, description, quantization, inspection, ImmutableMap.copyOf(int8), error);
    }
  }
}
