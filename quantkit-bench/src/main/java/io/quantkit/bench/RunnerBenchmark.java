package io.quantkit.bench;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.bench.BenchModels.Model;
import io.quantkit.bench.BenchModels.Precision;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.onnx.OrtBackend;
import io.quantkit.tensor.Tensor;
import java.util.Arrays;
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
 * quantkit's hot path: {@link Runner#run(Map)} of a backend found through the SPI, on a prepared
 * heap input, returning heap outputs. Backends: the {@code backend} parameter (the driver passes
 * every name {@link Backends#available()} finds; {@code -p backend=pytorch,tf} on JMH's command
 * line). With backend {@code reference} this is the pure-Java executor's throughput check. Score:
 * microseconds per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class RunnerBenchmark {
  @Param({"reference", "onnx"})
  public String backend;

  @Param({"resnet8"})
  public String model;

  @Param({"fp32", "int8"})
  public String precision;

  @Param({"1", "32"})
  public int batch;

  @Param({"1", "2"})
  public int threads;

  @Param({"false", "true"})
  public boolean spin;

  private Runner runner;
  private Map<String, Tensor> inputs;

  @Setup(Level.Trial)
  public void setUp() {
    BenchModels models = BenchModels.fromSystemProperty();
    Model m = Model.parse(model);
    Precision p = Precision.parse(precision);
    Graph graph = models.graph(m, p);
    if (backend.equals(OrtBackend.NAME) && !Arrays.equals(OnnxModel.toBytes(graph), models.modelBytes(m, p))) {
      // The raw benchmark loads the file; a runner that hands ORT other bytes would not be comparable.
      throw new IllegalStateException("re-exporting " + models.modelFile(m, p) + " does not give the file's bytes");
    }
    runner = Backends.named(backend).compile(graph, BenchOptions.runnerOptions(threads, spin));
    inputs = Map.of(graph.input().name(), models.input(batch));
  }

  @Benchmark
  public Map<String, Tensor> run(CpuClock clock) {
    clock.calls++;
    return runner.run(inputs);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    runner.close();
  }
}
