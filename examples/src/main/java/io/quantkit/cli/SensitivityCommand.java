package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.LayerSensitivity;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.SensitivityReport;
import io.quantkit.quant.ValidationSet;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sensitivity", mixinStandardHelpOptions = true,
    description = {"Per quantizable layer: top-1, flips and output SQNR on validation images with only that layer INT8 "
        + "and with only that layer FP32.", "Calibrates like quantize (or takes --from-plan); JSON with --json."})
final class SensitivityCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin CommonOptions common = new CommonOptions();
  @Mixin QuantizeCommand.QuantizationOptions quant = new QuantizeCommand.QuantizationOptions();
  @Mixin AccuracyOptions accuracy = new AccuracyOptions();
  @Mixin InputOptions input = new InputOptions();

  @Option(names = "--calib-data", paramLabel = "DIR", description = "Calibration images (default: CIFAR-10 training split in QUANTKIT_HOME).")
  Path calibData;

  @Option(names = "--calib-backend", defaultValue = "reference", description = "Backend that runs calibration (default ${DEFAULT-VALUE}).")
  String calibBackend;

  @Option(names = "--from-plan", paramLabel = "FILE", description = "Measure this plan instead of calibrating.")
  Path fromPlan;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (accuracy.hasTarget()) {
      throw new IllegalArgumentException("--max-drop and --max-flips belong to quantize; sensitivity only measures");
    }
    new OutputChecks().input("--model", model.path()).input("--from-plan", fromPlan).output("--json", json).check();
    Graph fp32 = model.load();
    RunnerOptions runnerOptions = RunnerOptions.builder().threads(common.threads).build();
    // validation images get the same preprocessing as the calibration data
    accuracy.opener = d -> d.openAll(input, fp32.inputs(), null);
    QuantPlan plan;
    if (fromPlan != null) {
      plan = QuantPlan.load(fromPlan);
    } else {
      QuantizeCommand.QuantizationOptions.CalibrationSet calib = quant.calibrationSet(calibData, input, fp32, model.model == null);
      calib.warnings().forEach(w -> out.println("warning: " + w));
      Calibration calibration = quant.calibration(runnerOptions, new Progress(spec.commandLine().getErr(), "calibrate")::update);
      Graph target = accuracy.beforeCalibration(fp32, calibData, quant.calibSize, out);
      plan = calibration.calibrate(target, calib.dataset(), Backends.named(calibBackend));
      plan = accuracy.afterCalibration(fp32, plan, calib.dataset(), quant.calibSize, calibData, calibBackend, runnerOptions, out);
    }
    ValidationSet val = accuracy.validation(calibData, quant.calibSize);
    SensitivityReport r = LayerSensitivity.defaults().runnerOptions(runnerOptions)
        .measure(fp32, plan, val, Backends.named(accuracy.valBackend));
    out.print(r.table());
    out.println();
    out.println("most sensitive first (fewest flips when kept FP32 alone): "
        + String.join(", ", r.bySensitivity().stream().map(SensitivityReport.Layer::node).toList()));
    if (json != null) {
      r.save(json);
      out.println("wrote " + json);
    }
    return 0;
  }
}
