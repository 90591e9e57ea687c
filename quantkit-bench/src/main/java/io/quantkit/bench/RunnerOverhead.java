package io.quantkit.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OrtBackend;
import io.quantkit.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * quantkit's {@code Runner.run} against the raw ORT-Java call of {@link OrtRawBenchmark} in one
 * process, call blocks alternating (raw-quantkit-quantkit-raw, then the mirror), one intra-op
 * thread, CPU time of the calling thread: no fork-to-fork variation (JIT, memory placement) and
 * no scheduler time in the figures, which on a loaded machine are what the JMH forks disagree by.
 * Prints raw / quantkit and quantkit − raw per round, median (range).
 *
 * <pre>{@code java -cp quantkit-bench/target/benchmarks.jar io.quantkit.bench.RunnerOverhead [--out-dir out/bench] [--batch 32] [--rounds 30]}</pre>
 */
public final class RunnerOverhead {
  private RunnerOverhead() {}

  public static void main(String[] args) throws OrtException {
    Path out = Path.of("out/bench");
    int batch = 32;
    int rounds = 30;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out-dir" -> out = Path.of(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("RunnerOverhead: unknown option " + args[i] + " (--out-dir DIR, --batch N, --rounds N)");
          System.exit(2);
        }
      }
    }
    BenchModels models = BenchModels.at(out);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
    Tensor images = models.input(batch);
    int reps = Math.max(4, 128 / batch);
    System.out.printf(Locale.ROOT, "ResNet8, batch %d, 1 thread, %d rounds of 2 x %d calls per path; CPU time%n", batch, rounds, reps);
    for (Precision p : Precision.values()) {
      Graph graph = models.graph(Model.RESNET8, p);
      FloatBuffer direct = ByteBuffer.allocateDirect(images.size() * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
      direct.put(images.floatBuffer()).rewind();
      try (OrtSession.SessionOptions so = OrtRawBenchmark.sessionOptions(1, false);
          OrtSession session = env.createSession(models.modelBytes(Model.RESNET8, p), so);
          OnnxTensor input = OnnxTensor.createTensor(env, direct, images.shape().toLongArray());
          Runner runner = Backends.named(OrtBackend.NAME).compile(graph, BenchOptions.runnerOptions(1, false))) {
        Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), input);
        Map<String, Tensor> inputs = Map.of(graph.input().name(), images);
        List<Double> ratios = new ArrayList<>();
        List<Double> extra = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          double raw = 0;
          double quantkit = 0;
          for (int half = 0; half < 2; half++) {
            boolean rawFirst = (round + half) % 2 == 0;
            for (int side = 0; side < 2; side++) {
              boolean isRaw = (side == 0) == rawFirst;
              for (int i = 0; i < 2; i++) {
                call(isRaw, session, feed, runner, inputs);
              }
              long start = mx.getCurrentThreadCpuTime();
              for (int i = 0; i < reps; i++) {
                call(isRaw, session, feed, runner, inputs);
              }
              double us = (mx.getCurrentThreadCpuTime() - start) / 1e3 / reps;
              if (isRaw) {
                raw += us / 2;
              } else {
                quantkit += us / 2;
              }
            }
          }
          ratios.add(raw / quantkit);
          extra.add(quantkit - raw);
        }
        System.out.printf(Locale.ROOT, "%-10s raw / quantkit %s, quantkit − raw %s us per call%n", p.id(), Stats.of(ratios).format("%.3f"),
            Stats.of(extra).format("%+.1f"));
      }
    }
  }

  private static Object call(boolean raw, OrtSession session, Map<String, OnnxTensor> feed, Runner runner, Map<String, Tensor> inputs) {
    if (!raw) {
      return runner.run(inputs);
    }
    try (OrtSession.Result result = session.run(feed)) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
