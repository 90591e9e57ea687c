package io.quantkit.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The yardstick: ONNX Runtime's Java API called directly, on the same .onnx bytes quantkit's runner
 * loads, with the input already in a prepared native tensor. Each call reads the output back to the
 * heap ({@link OnnxTensor#getFloatBuffer()}), as quantkit's {@code Runner.run} does, so the
 * difference between the two is what quantkit adds. Score: microseconds per call (images/s = batch
 * x 1e6 / score).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class OrtRawBenchmark {
  /** resnet8 or probe (almost no work: shows the per-call cost). */
  @Param({"resnet8"})
  public String model;

  @Param({"fp32", "int8"})
  public String precision;

  @Param({"1", "32"})
  public int batch;

  @Param({"1", "2"})
  public int threads;

  /** Whether ORT's idle intra-op workers spin (irrelevant with one thread: there are no workers). */
  @Param({"false", "true"})
  public boolean spin;

  private OrtSession.SessionOptions options;
  private OrtSession session;
  private OnnxTensor input;
  private Map<String, OnnxTensor> feed;

  @Setup(Level.Trial)
  public void setUp() throws OrtException {
    BenchModels models = BenchModels.fromSystemProperty();
    byte[] bytes = models.modelBytes(Model.parse(model), Precision.parse(precision));
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
    options = sessionOptions(threads, spin);
    session = env.createSession(bytes, options);
    Tensor images = models.input(batch);
    FloatBuffer direct = ByteBuffer.allocateDirect(images.size() * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    direct.put(images.floatBuffer()).rewind();
    input = OnnxTensor.createTensor(env, direct, images.shape().toLongArray());
    feed = Map.of(session.getInputNames().iterator().next(), input);
  }

  /** What quantkit's ONNX Runtime backend sets for the same {@code RunnerOptions}. */
  static OrtSession.SessionOptions sessionOptions(int threads, boolean spin) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.setIntraOpNumThreads(threads);
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (!spin) {
      so.addConfigEntry(BenchOptions.ORT_INTRA_SPIN, "0");
      so.addConfigEntry(BenchOptions.ORT_INTER_SPIN, "0");
    }
    return so;
  }

  @Benchmark
  public FloatBuffer run(CpuClock clock) throws OrtException {
    clock.calls++;
    try (OrtSession.Result result = session.run(feed)) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws OrtException {
    input.close();
    session.close();
    options.close();
  }
}
