package io.quantkit.examples;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.data.Batch;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.Datasets;
import io.quantkit.data.Preprocessing;
import io.quantkit.ir.Graph;
import io.quantkit.model.Models;
import io.quantkit.quant.AccuracyFallback;
import io.quantkit.quant.AccuracyTarget;
import io.quantkit.quant.AutoRangeEstimator;
import io.quantkit.quant.BiasCorrection;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Equalization;
import io.quantkit.quant.LayerSensitivity;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.SensitivityReport;
import io.quantkit.quant.ValidationSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The README's accuracy-driven quantization tables: each technique (8-bit input, {@code --method
 * auto}, bias correction, cross-layer equalization) alone and combined on ResNet8 (CIFAR-10 in
 * {@code QUANTKIT_HOME}) and on MLPerf Tiny's VWW MobileNet ({@code ../shared/real-models/
 * mlperf-tiny/vww_96.h5}, run on the 1,000 CIFAR-10 test images resized to 96 x 96 and divided
 * by 255: no person labels, so agreement with FP32 is the figure), then ResNet8's layer
 * sensitivity and the fallback to {@code --max-flips 5} and {@code --max-drop 0} chosen on
 * training images 500..1,499 and reported on the test images. Everything runs on the pure-Java
 * reference backend.
 *
 * <p>Run with {@code java -cp ... io.quantkit.examples.AccuracyStudy [resnet8|vww|all] [out-dir]}.
 *
 * <p>Thread-safety: a single-threaded example program.
 */
public final class AccuracyStudy {
  private static final Backend BACKEND = Backends.named("reference");
  private static final int CALIB = 500;

  private AccuracyStudy() {}

  /** One configuration of the table. */
  record Config(String name, boolean perChannel, boolean eightBitInput, boolean auto, boolean biasCorrection,
      boolean equalize) {}

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "all";
    Path out = Path.of(args.length > 1 ? args[1] : "out/accuracy");
    Files.createDirectories(out);
    StringBuilder md = new StringBuilder();
    if (!which.equals("vww")) {
      md.append(resnet8(out));
    }
    if (!which.equals("resnet8")) {
      md.append(vww(out));
    }
    Files.writeString(out.resolve("accuracy.md"), md.toString());
    System.out.println(md);
  }

  static String resnet8(Path out) {
    Graph fp32 = Models.load(io.quantkit.data.QuantkitHome.fromEnvironment().resnet8Model());
    Dataset train = Cifar10.train();
    Dataset calib = train.limit(CALIB);
    Dataset test = Cifar10.test();
    StringBuilder md = new StringBuilder("## ResNet8, 1,000 CIFAR-10 test images (reference backend)\n\n");
    List<Config> configs = List.of(
        new Config("baseline: uint8 per-channel MinMax (sweep's best row)", true, false, false, false, false),
        new Config("+ 8-bit input", true, true, false, false, false),
        new Config("+ auto ranges", true, false, true, false, false),
        new Config("+ bias correction", true, false, false, true, false),
        new Config("+ equalization", true, false, false, false, true),
        new Config("8-bit input + auto + bias correction", true, true, true, true, false),
        new Config("8-bit input + equalization + auto + bias correction", true, true, true, true, true),
        new Config("per-tensor MinMax", false, false, false, false, false),
        new Config("per-tensor + bias correction", false, false, false, true, false),
        new Config("per-tensor + equalization", false, false, false, false, true),
        new Config("per-tensor + equalization + bias correction", false, false, false, true, true));
    double[] fp32Top1 = new double[1];
    md.append(table(fp32, calib, test, configs, true, out.resolve("resnet8"), fp32Top1));

    // sensitivity and fallback on the validation split: training images after the calibration ones
    ValidationSet val = ValidationSet.afterCalibration(train, CALIB, CALIB, 1000);
    QuantPlan base = plan(fp32, calib, configs.get(0));
    SensitivityReport s = LayerSensitivity.defaults().measure(fp32, base, val, BACKEND);
    s.save(out.resolve("resnet8.sensitivity.json"));
    md.append("\n### Layer sensitivity (baseline plan, validation split)\n\n").append(s.table());
    md.append("\n### Fallback (chosen on the validation split, reported on the test images)\n\n");
    md.append("| target | kept FP32 | validation: top-1 / flips | test: top-1 | test flips | test SQNR |\n|---|---|---|---:|---:|---:|\n");
    for (AccuracyTarget target : List.of(AccuracyTarget.maxFlips(5), AccuracyTarget.maxDrop(0))) {
      AccuracyFallback.Result r = AccuracyFallback.defaults().apply(fp32, base, val, BACKEND, target, s);
      Score t = score(fp32, Qdq.quantize(fp32, r.plan()).graph(), test);
      md.append(String.format(Locale.ROOT, "| %s | %s (%d of %d layers) | %.2f %% / %d%s | %.2f %% | %d | %.2f dB |%n", target,
          r.keptFp32(), r.keptFp32().size(), s.layers().size(), r.chosen().accuracyPercent(), r.chosen().flips(),
          r.met() ? "" : " (not met)", t.top1, t.flips, t.sqnr));
    }
    return md.toString();
  }

  static String vww(Path out) {
    Path model = Path.of("../shared/real-models/mlperf-tiny/vww_96.h5");
    Graph fp32 = Models.load(model);
    Dataset test = resized(Cifar10.test(), 96);
    Dataset calib = resized(Cifar10.train().limit(CALIB), 96);
    StringBuilder md = new StringBuilder("\n## VWW MobileNet (vww_96.h5), 1,000 CIFAR-10 test images resized to 96 x 96, /255 "
        + "(reference backend)\n\n");
    List<Config> configs = List.of(
        new Config("per-tensor MinMax", false, false, false, false, false),
        new Config("per-tensor + equalization", false, false, false, false, true),
        new Config("per-tensor + bias correction", false, false, false, true, false),
        new Config("per-tensor + auto", false, false, true, false, false),
        new Config("per-tensor + equalization + bias correction", false, false, false, true, true),
        new Config("per-tensor + equalization + bias correction + auto", false, false, true, true, true),
        new Config("per-channel MinMax", true, false, false, false, false),
        new Config("per-channel + bias correction", true, false, false, true, false),
        new Config("per-channel + equalization + bias correction + auto", true, false, true, true, true));
    md.append(table(fp32, calib, test, configs, false, out.resolve("vww"), new double[1]));
    return md.toString();
  }

  static String table(Graph fp32, Dataset calib, Dataset test, List<Config> configs, boolean labels, Path prefix,
      double[] fp32Top1) {
    StringBuilder md = new StringBuilder();
    Score f = score(fp32, fp32, test);
    md.append(labels ? "| configuration | top-1 | flips | output SQNR |\n|---|---:|---:|---:|\n"
        : "| configuration | agreement with FP32 | flips | output SQNR |\n|---|---:|---:|---:|\n");
    if (labels) {
      md.append(String.format(Locale.ROOT, "| FP32 | %.2f %% | - | - |%n", f.top1));
    }
    for (Config c : configs) {
      long t0 = System.nanoTime();
      QuantPlan plan = plan(fp32, calib, c);
      Score s = score(fp32, Qdq.quantize(fp32, plan).graph(), test);
      md.append(String.format(Locale.ROOT, "| %s | %.2f %% | %d | %.2f dB |%n", c.name,
          labels ? s.top1 : 100.0 * (test.size() - s.flips) / test.size(), s.flips, s.sqnr));
      System.err.printf(Locale.ROOT, "%s: %s (%.0f s)%n", c.name, s, (System.nanoTime() - t0) / 1e9);
      if (c.auto) {
        long mse = plan.metadata().entrySet().stream().filter(e -> e.getKey().startsWith("estimator.")
            && e.getValue().startsWith("mse")).count();
        long all = plan.metadata().keySet().stream().filter(k -> k.startsWith("estimator.")).count();
        System.err.printf("  auto chose mse for %d of %d tensors%n", mse, all);
      }
      plan.save(Path.of(prefix + "." + c.name.replaceAll("[^a-z0-9]+", "_") + ".plan.json"));
    }
    fp32Top1[0] = f.top1;
    return md.toString();
  }

  static QuantPlan plan(Graph fp32, Dataset calib, Config c) {
    Calibration.Builder b = Calibration.builder().perChannelWeights(c.perChannel).saturationSafeInput(!c.eightBitInput)
        .calibSize(CALIB);
    if (c.auto) {
      b.estimator(new AutoRangeEstimator());
    } else {
      b.method(CalibrationMethod.MINMAX);
    }
    Calibration calibration = b.build();
    Graph target = fp32;
    Equalization.Result eq = null;
    if (c.equalize) {
      eq = Equalization.defaults().apply(fp32);
      target = eq.graph();
    }
    QuantPlan plan = calibration.calibrate(target, calib, BACKEND);
    if (eq != null) {
      plan = plan.toBuilder().adjustments(eq.adjustments()).build();
      System.err.printf("  equalized %d pairs, skipped %s%n", eq.pairs().size(), eq.skipped());
    }
    if (c.biasCorrection) {
      plan = BiasCorrection.defaults().apply(fp32, plan, CalibrationData.of(calib, fp32.input().name(), 50), BACKEND);
    }
    return plan;
  }

  record Score(double top1, int flips, double sqnr) {}

  private static final java.util.Map<Dataset, float[]> FP32_CACHE = new java.util.IdentityHashMap<>();

  /** Top-1, flips against FP32 and output SQNR of {@code q} on {@code data}. */
  static Score score(Graph fp32, Graph q, Dataset data) {
    float[] ref = FP32_CACHE.computeIfAbsent(data, d -> outputs(fp32, d));
    float[] out = q == fp32 ? ref : outputs(q, data);
    int classes = ref.length / data.size();
    int correct = 0;
    int flips = 0;
    double sig = 0;
    double noise = 0;
    for (int i = 0; i < data.size(); i++) {
      int a = argmax(ref, i, classes);
      int b = argmax(out, i, classes);
      flips += a != b ? 1 : 0;
      correct += b == data.label(i) ? 1 : 0;
    }
    for (int i = 0; i < ref.length; i++) {
      sig += (double) ref[i] * ref[i];
      noise += (double) (ref[i] - out[i]) * (ref[i] - out[i]);
    }
    return new Score(100.0 * correct / data.size(), flips, noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(sig / noise));
  }

  private static int argmax(float[] v, int i, int classes) {
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (v[i * classes + c] > v[i * classes + best]) {
        best = c;
      }
    }
    return best;
  }

  private static float[] outputs(Graph g, Dataset data) {
    List<float[]> parts = new ArrayList<>();
    int total = 0;
    try (Runner r = BACKEND.compile(g)) {
      for (int from = 0; from < data.size(); from += 100) {
        Batch b = data.batch(from, Math.min(data.size(), from + 100));
        float[] o = r.run(b.images()).toFloatArray();
        parts.add(o);
        total += o.length;
      }
    }
    float[] all = new float[total];
    int k = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, all, k, p.length);
      k += p.length;
    }
    return all;
  }

  /** {@code base} resized to {@code size} x {@code size} (bilinear, half-pixel centres) and divided by 255: VWW's input convention. */
  static Dataset resized(Dataset base, int size) {
    return Datasets.preprocess(base, Preprocessing.parse("resize=" + size + "x" + size + ",scale=1/255"));
  }
}
