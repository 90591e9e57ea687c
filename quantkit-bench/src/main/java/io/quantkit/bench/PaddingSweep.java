package io.quantkit.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import io.quantkit.ir.Graph;
import io.quantkit.ir.passes.ConvChannelPadding;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which stem channel multiple pays on ONNX Runtime: FP32, INT8 and the INT8 model padded by
 * {@link ConvChannelPadding} to 4, 8 and 16 channels, on one thread at one batch size. Checks that
 * every padded model gives the INT8 model's outputs bit for bit, then measures each session's
 * CPU time per call in interleaved rounds (order reversed every other round; ratios to FP32 per
 * round, then median and range) and ONNX Runtime's per-op profile of each model's stem.
 *
 * <pre>{@code java -cp quantkit-bench/target/benchmarks.jar io.quantkit.bench.PaddingSweep [--out-dir out/bench] [--batch 32] [--rounds 9]}</pre>
 */
public final class PaddingSweep {
  private PaddingSweep() {}

  public static void main(String[] args) throws OrtException, IOException {
    Path out = Path.of("out/bench");
    int batch = 32;
    int rounds = 9;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out-dir" -> out = Path.of(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("PaddingSweep: unknown option " + args[i] + " (--out-dir DIR, --batch N, --rounds N)");
          System.exit(2);
        }
      }
    }
    BenchModels models = BenchModels.at(out);
    Graph int8 = models.graph(Model.RESNET8, Precision.INT8);
    Map<String, byte[]> variants = new LinkedHashMap<>();
    variants.put("fp32", models.modelBytes(Model.RESNET8, Precision.FP32));
    variants.put("int8", models.modelBytes(Model.RESNET8, Precision.INT8));
    for (int m : new int[] {4, 8, 16}) {
      variants.put("int8-pad" + m, OnnxModel.toBytes(ConvChannelPadding.apply(int8, m)));
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
    Tensor images = models.input(batch);
    FloatBuffer direct = ByteBuffer.allocateDirect(images.size() * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    direct.put(images.floatBuffer()).rewind();
    Map<String, OrtSession> sessions = new LinkedHashMap<>();
    List<AutoCloseable> closing = new ArrayList<>();
    try (OnnxTensor input = OnnxTensor.createTensor(env, direct, images.shape().toLongArray())) {
      for (Map.Entry<String, byte[]> e : variants.entrySet()) {
        OrtSession.SessionOptions so = OrtRawBenchmark.sessionOptions(1, false);
        closing.add(so);
        OrtSession s = env.createSession(e.getValue(), so);
        closing.add(s);
        sessions.put(e.getKey(), s);
      }
      Map<String, OnnxTensor> feed = Map.of(sessions.get("fp32").getInputNames().iterator().next(), input);
      float[] reference = null;
      for (Map.Entry<String, OrtSession> e : sessions.entrySet()) {
        try (OrtSession.Result r = e.getValue().run(feed)) {
          float[] o = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
          if (e.getKey().equals("int8")) {
            reference = o;
          } else if (reference != null) {
            System.out.println(e.getKey() + ": outputs identical to int8's: " + Arrays.equals(reference, o));
          }
        }
      }
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      int reps = Math.max(4, 128 / batch);
      Map<String, List<Double>> cpu = new LinkedHashMap<>();
      for (int round = 0; round < rounds; round++) {
        List<String> order = new ArrayList<>(sessions.keySet());
        if (round % 2 == 1) {
          Collections.reverse(order);
        }
        for (String k : order) {
          OrtSession s = sessions.get(k);
          for (int i = 0; i < 2; i++) {
            s.run(feed).close();
          }
          long start = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < reps; i++) {
            s.run(feed).close();
          }
          cpu.computeIfAbsent(k, x -> new ArrayList<>()).add((mx.getCurrentThreadCpuTime() - start) / 1e3 / reps);
        }
      }
      System.out.printf(Locale.ROOT, "ResNet8, batch %d, 1 thread, %d interleaved rounds of %d calls; CPU us per call and FP32 / it per round "
          + "(median (min-max)); ORT's profile (30 runs): the stem's kernels%n", batch, rounds, reps);
      List<Double> fp32 = cpu.get("fp32");
      for (Map.Entry<String, List<Double>> e : cpu.entrySet()) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < e.getValue().size(); i++) {
          ratios.add(fp32.get(i) / e.getValue().get(i));
        }
        OrtOpProfile p = OrtOpProfile.measure(variants.get(e.getKey()), images, 1, 30, out.resolve("ort-profiles"));
        List<String> head = new ArrayList<>();
        for (OrtOpProfile.Kernel k : p.kernels()) {
          head.add(String.format(Locale.ROOT, "%s %.0f us", k.op(), k.medianMicros()));
          if (k.op().contains("Conv")) {
            break;
          }
        }
        System.out.printf(Locale.ROOT, "%-10s %s us/call, INT8-or-not / FP32 %s; profile kernels %.0f us; %s%n", e.getKey(),
            Stats.of(e.getValue()).format("%.0f"), Stats.of(ratios).format("%.3f"), p.kernelMicros(), String.join(", ", head));
      }
    } finally {
      Collections.reverse(closing);
      for (AutoCloseable c : closing) {
        try {
          c.close();
        } catch (Exception e) {
          // closing at exit: nothing left to do
        }
      }
    }
  }
}
