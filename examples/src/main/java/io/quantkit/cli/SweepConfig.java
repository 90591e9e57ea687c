package io.quantkit.cli;

import io.quantkit.backend.RunnerOptions;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationListener;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One configuration of the accuracy sweep: activation type, weight granularity, range estimator and
 * the nodes kept in FP32. The sweep's grid and the sensitivity scan (each layer alone in FP32) are
 * lists of these; the single-machine {@code sweep} and the Spark one build their calibrations from
 * the same list. Serializable, so Spark executors can rebuild the calibration.
 *
 * @param activations "uint8" or "int8"
 * @param perChannel per-output-channel weight scales
 * @param method minmax, percentile, entropy or mse
 * @param percentile the percentile of the percentile method
 * @param calibSize calibration images
 * @param exclude nodes kept in FP32
 */
public record SweepConfig(String activations, boolean perChannel, String method, double percentile, int calibSize,
    List<String> exclude) implements Serializable {

  public SweepConfig {
    exclude = List.copyOf(exclude);
  }

  /**
   * The sweep's grid in its table order: activation types, then per-tensor before per-channel, then
   * the methods.
   */
  public static List<SweepConfig> grid(List<String> activations, List<String> methods, double percentile, int calibSize) {
    List<SweepConfig> out = new ArrayList<>();
    for (String act : activations) {
      for (boolean perChannel : new boolean[] {false, true}) {
        for (String method : methods) {
          out.add(new SweepConfig(act, perChannel, method, percentile, calibSize, List.of()));
        }
      }
    }
    return out;
  }

  /** The sensitivity scan of {@code base}: one configuration per node, that node alone kept in FP32. */
  public static List<SweepConfig> sensitivity(SweepConfig base, List<String> nodes) {
    List<SweepConfig> out = new ArrayList<>();
    for (String node : nodes) {
      List<String> exclude = new ArrayList<>(base.exclude);
      exclude.add(node);
      out.add(new SweepConfig(base.activations, base.perChannel, base.method, base.percentile, base.calibSize, exclude));
    }
    return out;
  }

  /** E.g. "uint8-perchannel-entropy", with "-fp32-NODE" per excluded node. */
  public String name() {
    StringBuilder s = new StringBuilder(activations + "-" + (perChannel ? "perchannel" : "pertensor") + "-" + method);
    exclude.forEach(n -> s.append("-fp32-").append(n));
    return s.toString();
  }

  /** The calibration of this configuration (the quantize command's flags set to it). */
  public Calibration calibration(RunnerOptions runnerOptions, CalibrationListener listener) {
    QuantizeCommand.QuantizationOptions flags = new QuantizeCommand.QuantizationOptions();
    flags.method = method;
    flags.percentile = percentile;
    flags.calibSize = calibSize;
    flags.perChannel = perChannel;
    flags.activations = activations;
    flags.exclude = exclude;
    return flags.calibration(runnerOptions, listener);
  }
}
