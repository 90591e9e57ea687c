package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.ir.Graph;
import io.quantkit.quant.AccuracyFallback;
import io.quantkit.quant.AccuracyTarget;
import io.quantkit.quant.BiasCorrection;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.Equalization;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.ValidationSet;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Accuracy-driven quantization flags of {@code quantize} and {@code sensitivity}: cross-layer
 * equalization and bias correction around calibration, and the accuracy target with the
 * validation images it is checked on.
 */
final class AccuracyOptions {
  @Option(names = "--equalize", description = "Cross-layer equalization of consecutive conv/depthwise-conv pairs before calibration.")
  boolean equalize;

  @Option(names = "--bias-correction", description = "Fold each quantized conv/gemm's per-channel mean shift on the calibration images into its bias.")
  boolean biasCorrection;

  @Option(names = "--max-drop", paramLabel = "POINTS",
      description = "Keep the fewest, most sensitive layers FP32 until top-1 on the validation images drops at most POINTS.")
  Double maxDrop;

  @Option(names = "--max-flips", paramLabel = "N",
      description = "Keep the fewest, most sensitive layers FP32 until at most N validation predictions differ from FP32.")
  Integer maxFlips;

  @Option(names = "--val-data", paramLabel = "DIR",
      description = "Validation images (CIFAR-10 binary dir: its training split; or an image folder). Default: CIFAR-10 training images after the calibration ones.")
  Path valData;

  @Option(names = "--val-start", paramLabel = "N", description = "First validation image (default: --calib-size, right after the calibration images).")
  Integer valStart;

  @Option(names = "--val-size", defaultValue = "1000", paramLabel = "N", description = "Validation images (default ${DEFAULT-VALUE}).")
  int valSize;

  @Option(names = "--val-backend", defaultValue = "reference", description = "Backend that runs the validation models (default ${DEFAULT-VALUE}).")
  String valBackend;

  private Equalization.Result equalized;

  boolean hasTarget() {
    return maxDrop != null || maxFlips != null;
  }

  boolean any() {
    return equalize || biasCorrection || hasTarget();
  }

  AccuracyTarget target() {
    if (maxDrop != null && maxDrop < 0) {
      throw new IllegalArgumentException("--max-drop must be >= 0 points, got " + maxDrop);
    }
    if (maxFlips != null && maxFlips < 0) {
      throw new IllegalArgumentException("--max-flips must be >= 0, got " + maxFlips);
    }
    return new AccuracyTarget(maxDrop, maxFlips);
  }

  /**
   * The graph to calibrate: {@code fp32}, or its equalized form with --equalize. Checks the
   * target and validation flags first, so a mistake is reported before any work.
   */
  Graph beforeCalibration(Graph fp32, Path calibData, int calibSize, PrintWriter out) {
    if (hasTarget()) {
      target();
      validation(calibData, calibSize);
    }
    if (!equalize) {
      return fp32;
    }
    equalized = Equalization.defaults().apply(fp32);
    out.printf("equalized %d conv pairs%s%n", equalized.pairs().size(),
        equalized.skipped().isEmpty() ? "" : "; skipped " + String.join("; ", equalized.skipped()));
    return equalized.graph();
  }

  /** The calibrated plan with the equalization recorded, bias correction and the fallback applied. */
  QuantPlan afterCalibration(Graph fp32, QuantPlan calibrated, Dataset calib, int calibSize, Path calibData,
      String calibBackend, RunnerOptions runnerOptions, PrintWriter out) {
    QuantPlan plan = calibrated;
    if (equalized != null) {
      plan = plan.toBuilder().adjustments(equalized.adjustments()).build();
    }
    if (biasCorrection) {
      plan = BiasCorrection.defaults().samples(calibSize).runnerOptions(runnerOptions)
          .apply(fp32, plan, CalibrationData.of(calib, fp32.input().name(), 50), Backends.named(calibBackend));
      out.printf("bias correction: %d layers corrected on %d calibration images%n",
          plan.metadata().keySet().stream().filter(k -> k.startsWith("biasCorrection.")).count(), Math.min(calibSize, calib.size()));
    }
    if (hasTarget()) {
      AccuracyTarget target = target();
      ValidationSet val = validation(calibData, calibSize);
      AccuracyFallback.Result r = AccuracyFallback.defaults().runnerOptions(runnerOptions)
          .apply(fp32, plan, val, Backends.named(valBackend), target);
      out.printf(Locale.ROOT, "validation (%s): FP32 %.2f %%, all INT8 %.2f %% with %d flips; %s%n", val.description(),
          r.fp32().accuracyPercent(), r.allInt8().accuracyPercent(), r.allInt8().flips(),
          r.keptFp32().isEmpty() ? "every layer INT8 meets " + target
              : (r.met() ? "meets " + target : "does NOT meet " + target) + " with " + r.keptFp32().size() + " layers FP32: "
                  + String.join(", ", r.keptFp32()) + " -> " + r.chosen());
      plan = r.plan();
    }
    return plan;
  }

  /** Opens a data folder as the command opens its calibration data (same preprocessing); the command sets it. */
  java.util.function.Function<DataOptions, Dataset> opener = d -> d.openAll(io.quantkit.data.Preprocessing.none());

  /** The validation images: --val-data, or the CIFAR-10 training images after the calibration ones. */
  ValidationSet validation(Path calibData, int calibSize) {
    if (valSize < 1) {
      throw new IllegalArgumentException("--val-size must be at least 1, got " + valSize);
    }
    if (valData != null) {
      DataOptions d = new DataOptions();
      d.data = valData;
      d.split = "train";
      Dataset all = opener.apply(d);
      int start = valStart == null ? 0 : valStart;
      if (start < 0 || start >= all.size()) {
        throw new IllegalArgumentException("--val-start " + start + " is outside the " + all.size() + " images of " + all.name());
      }
      int n = Math.min(valSize, all.size() - start);
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = start + i;
      }
      if (valData.equals(calibData) || (calibData == null && all.name().equals(defaultTrainName()))) {
        return ValidationSet.afterCalibration(all, calibSize, start, n);
      }
      return ValidationSet.of(io.quantkit.data.Datasets.subset(all, idx, all.name() + "[" + start + ":" + (start + n) + "]"),
          "images " + start + ".." + (start + n - 1) + " of " + all.name());
    }
    DataOptions d = new DataOptions();
    d.data = calibData;
    d.split = "train";
    Dataset train = opener.apply(d);
    if (train instanceof ImageFolderDataset) {
      throw new IllegalArgumentException("--calib-data is an image folder, sampled at random: give the validation images "
          + "with --val-data");
    }
    return ValidationSet.afterCalibration(train, calibSize, valStart == null ? calibSize : valStart, valSize);
  }

  private static String defaultTrainName() {
    DataOptions d = new DataOptions();
    d.split = "train";
    return d.openAll(io.quantkit.data.Preprocessing.none()).name();
  }
}
