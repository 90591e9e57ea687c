package io.quantkit.examples;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.onnx.OrtOptions;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Peak resident memory of quantizing one ONNX model in one JVM, phase by phase: import, an FP32
 * ONNX Runtime session run once (what calibration opens), calibrate on ONNX Runtime (a few seeded
 * random images), quantize, write the QDQ model, load it on ONNX Runtime and run it once. Before
 * each phase the kernel's high-water mark (VmHWM) is reset (writing 5 to /proc/self/clear_refs),
 * so each line is that phase's own peak; the last column is the peak over the model file's size. Linux only. {@code scripts/memory-peak} runs it.
 *
 * <p>Run {@code java -cp ... io.quantkit.examples.MemoryPeak MODEL.onnx OUT.qdq.onnx [images]};
 * the model's single input must be FLOAT32 [N, C, H, W] with C, H, W known.
 *
 * <p>Thread-safety: a single-threaded example program.
 */
public final class MemoryPeak {
  private MemoryPeak() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: MemoryPeak MODEL.onnx OUT.qdq.onnx [calibration images, default 8]");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    Path out = Path.of(args[1]);
    int images = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    long size = Files.size(model);
    System.out.printf(Locale.ROOT, "model %s: %,d bytes; start RSS %s%n", model, size, mb(status("VmRSS")));
    System.out.printf(Locale.ROOT, "%-28s %12s %12s %10s%n", "phase", "peak RSS", "RSS after", "peak/file");
    Backend ort = Backends.named("onnx");
    // -Dmemorypeak.prepack=false: ONNX Runtime keeps no prepacked second copy of the weights
    RunnerOptions runnerOptions = RunnerOptions.builder()
        .extension(OrtOptions.builder().prepackWeights(!"false".equals(System.getProperty("memorypeak.prepack"))).build())
        .build();
    System.out.println("ONNX Runtime: " + runnerOptions.extension(OrtOptions.class).orElseThrow());

    resetPeak();
    Graph fp32 = OnnxModel.load(model);
    report("import", size);

    resetPeak();
    int[] dims = fp32.input().shape().toArray();
    SplittableRandom r = new SplittableRandom(7);
    List<Map<String, Tensor>> batches = new ArrayList<>();
    for (int done = 0; done < images; done += 4) {
      int n = Math.min(4, images - done);
      float[] v = new float[n * dims[1] * dims[2] * dims[3]];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextDouble();
      }
      batches.add(Map.of(fp32.input().name(), Tensor.wrapFloats(Shape.of(n, dims[1], dims[2], dims[3]), v)));
    }
    // the FP32 session alone, as calibration opens it (with more outputs); -Dmemorypeak.session=false skips it
    if (!"false".equals(System.getProperty("memorypeak.session"))) {
      try (Runner fp = ort.compile(fp32, runnerOptions)) {
        fp.run(batches.get(0));
        report("FP32 session + 1 run (ORT)", size);
      }
      resetPeak();
    }
    // -Dmemorypeak.calibBackend=reference: calibrate on the pure-Java executor, as the CLI does by default
    String calibName = System.getProperty("memorypeak.calibBackend", "onnx");
    Backend calibBackend = Backends.named(calibName);
    QuantPlan plan = Calibration.builder().runnerOptions(calibName.equals("onnx") ? runnerOptions : RunnerOptions.defaults())
        .build().calibrate(fp32, CalibrationData.of("random", batches), calibBackend);
    report("calibrate (" + images + " images, " + calibName + ")", size);

    resetPeak();
    QuantizationResult int8 = Qdq.quantize(fp32, plan);
    report("quantize", size);

    resetPeak();
    OnnxModel.save(int8.graph(), out);
    report("write QDQ", size);

    resetPeak();
    int8 = null;
    fp32 = null;
    // the FP32 weights live off the heap until the collector frees their buffers; a program done
    // with a model can let them go at once
    System.gc();
    try (Runner runner = ort.compile(OnnxModel.load(out), runnerOptions)) {
      Map<String, Tensor> y = runner.run(batches.get(0));
      report("run INT8 once (ORT)", size);
      System.out.println("INT8 output " + y.values().iterator().next().shape() + ", QDQ file " + String.format(Locale.ROOT,
          "%,d", Files.size(out)) + " bytes");
    }
    System.out.printf(Locale.ROOT, "peak RSS over all phases: %s = %.2fx the model file%n", mb(highest), (double) highest / size);
  }

  private static long highest;

  private static void report(String phase, long fileSize) throws IOException {
    long peak = status("VmHWM");
    highest = Math.max(highest, peak);
    System.out.printf(Locale.ROOT, "%-28s %12s %12s %9.2fx%n", phase, mb(peak), mb(status("VmRSS")), (double) peak / fileSize);
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%,.0f MB", bytes / 1e6);
  }

  /** Resets VmHWM to the current RSS (Linux 4.0 and later). */
  private static void resetPeak() throws IOException {
    Files.writeString(Path.of("/proc/self/clear_refs"), "5");
  }

  /** A field of /proc/self/status in bytes. */
  private static long status(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
        return Long.parseLong(parts[0]) * 1024;
      }
    }
    throw new IOException("no " + field + " in /proc/self/status");
  }
}
