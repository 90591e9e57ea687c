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
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Bytes allocated per call outside JMH: the calling thread's allocation counter
 * ({@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes}, exact for one thread, TLABs
 * included) around N calls of (a) the raw ONNX Runtime call {@link OrtRawBenchmark} makes, (b)
 * quantkit's {@code Runner.run} on the same bytes and input, and (c) building only what
 * {@code Runner.run} returns beyond the raw call (a {@code Map.of} of one {@code Tensor} viewing a
 * heap FloatBuffer): when (b) - (a) is no more than (c), quantkit allocates nothing else per call.
 * Also (d) {@code Runner.runScoped}, whose outputs are pinned native buffers read in place.
 * Measurements alternate raw and runner, 5 times, after a warm-up that lets the JIT settle.
 *
 * <pre>{@code java -cp quantkit-bench/target/benchmarks.jar io.quantkit.bench.AllocationProbe [--out-dir out/bench] [--calls N]}</pre>
 */
public final class AllocationProbe {
  private static final int REPEATS = 5;
  /** Where results go so that escape analysis cannot remove the allocations being counted. */
  private static volatile Object sink;

  private AllocationProbe() {}

  public static void main(String[] args) throws OrtException {
    Path out = Path.of("out/bench");
    int calls = 2000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out-dir" -> out = Path.of(args[++i]);
        case "--calls" -> calls = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("AllocationProbe: unknown option " + args[i] + " (--out-dir DIR, --calls N)");
          System.exit(2);
        }
      }
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    BenchModels models = BenchModels.at(out);
    System.out.println("| model | precision | batch | raw ORT B/call | Runner.run B/call | Runner.run − raw | returned Map + Tensor alone "
        + "| Runner.runScoped B/call |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Model model : Model.values()) {
      for (Precision precision : model == Model.PROBE ? List.of(Precision.FP32) : List.of(Precision.FP32, Precision.INT8)) {
        for (int batch : new int[] {1, 32}) {
          int n = model == Model.PROBE ? calls : Math.max(20, calls / (batch == 1 ? 10 : 100));
          System.out.println(measure(mx, models, model, precision, batch, n));
        }
      }
    }
  }

  private static String measure(com.sun.management.ThreadMXBean mx, BenchModels models, Model model, Precision precision, int batch,
      int n) throws OrtException {
    Graph graph = models.graph(model, precision);
    Tensor images = models.input(batch);
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
    try (OrtSession.SessionOptions so = OrtRawBenchmark.sessionOptions(1, false);
        OrtSession session = env.createSession(models.modelBytes(model, precision), so);
        Runner runner = Backends.named(OrtBackend.NAME).compile(graph, BenchOptions.runnerOptions(1, false))) {
      FloatBuffer direct = ByteBuffer.allocateDirect(images.size() * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
      direct.put(images.floatBuffer()).rewind();
      try (OnnxTensor input = OnnxTensor.createTensor(env, direct, images.shape().toLongArray())) {
        Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), input);
        Map<String, Tensor> inputs = Map.of(graph.input().name(), images);
        Supplier<Object> raw = () -> {
          try (OrtSession.Result result = session.run(feed)) {
            return ((OnnxTensor) result.get(0)).getFloatBuffer();
          } catch (OrtException e) {
            throw new IllegalStateException(e);
          }
        };
        Supplier<Object> viaRunner = () -> runner.run(inputs);
        Supplier<Object> scoped = () -> {
          runner.runScoped(inputs, out -> sink = out);
          return null;
        };
        String outName = graph.output();
        Shape outShape = runner.run(inputs).get(outName).shape();
        FloatBuffer heap = FloatBuffer.allocate(outShape.size());
        Supplier<Object> returned = () -> Map.of(outName, Tensor.viewOf(outShape, heap));
        for (int w = 0; w < 3; w++) {
          // Warm-up: the JIT compiles (and inlines) the paths before anything is counted.
          bytesPerCall(mx, raw, n);
          bytesPerCall(mx, viaRunner, n);
          bytesPerCall(mx, returned, Math.max(n, 10_000));
          bytesPerCall(mx, scoped, n);
        }
        List<Double> raws = new ArrayList<>();
        List<Double> runners = new ArrayList<>();
        List<Double> outs = new ArrayList<>();
        List<Double> diff = new ArrayList<>();
        List<Double> scopes = new ArrayList<>();
        for (int r = 0; r < REPEATS; r++) {
          double a = r % 2 == 0 ? bytesPerCall(mx, raw, n) : Double.NaN;
          double b = bytesPerCall(mx, viaRunner, n);
          if (r % 2 == 1) {
            a = bytesPerCall(mx, raw, n);
          }
          double c = bytesPerCall(mx, returned, Math.max(n, 10_000));
          raws.add(a);
          runners.add(b);
          outs.add(c);
          diff.add(b - a);
          scopes.add(bytesPerCall(mx, scoped, n));
        }
        return String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |", model.name().toLowerCase(Locale.ROOT),
            BenchDriver.id(precision), batch, fmt(raws), fmt(runners), fmt(diff), fmt(outs), fmt(scopes));
      }
    }
  }

  private static double bytesPerCall(com.sun.management.ThreadMXBean mx, Supplier<Object> call, int n) {
    long thread = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(thread);
    for (int i = 0; i < n; i++) {
      sink = call.get();
    }
    long after = mx.getThreadAllocatedBytes(thread);
    sink = null;
    return (after - before) / (double) n;
  }

  /** Median (min..max) over the repeats. */
  private static String fmt(List<Double> v) {
    Stats s = Stats.of(v);
    return String.format(Locale.ROOT, "%,.0f (%,.0f..%,.0f)", s.median(), s.min(), s.max());
  }
}
