package io.quantkit.bench;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.QuantPlan;
import java.util.Locale;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * What calibration costs: {@link #calibrate} calibrates ResNet8 on the first 500 training images
 * (batch 50) with one method; {@link #fp32Pass} is the yardstick, one plain FP32 pass over the same
 * images (batch 100) on the same backend with the same options. The claim "calibration costs at
 * most 3x one FP32 pass" is the ratio of the two, measured in alternation by the driver. Score:
 * milliseconds per calibration / per pass.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class CalibrationBenchmark {
  static final int FP32_PASS_BATCH = 100;

  /** The model, the images and the backend, shared by both benchmarks. */
  @State(Scope.Benchmark)
  public static class Data {
    @Param({"onnx"})
    public String backend;

    Graph fp32;
    Dataset calib;
    Backend runtime;
    Runner runner;

    @Setup(Level.Trial)
    public void setUp() {
      fp32 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
      calib = Cifar10.train().limit(BenchModels.CALIBRATION_IMAGES);
      runtime = Backends.named(backend);
      runner = runtime.compile(fp32, RunnerOptions.defaults());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      runner.close();
    }
  }

  /** One calibration method (the plan's other options are the defaults: UINT8, per-tensor). */
  @State(Scope.Benchmark)
  public static class Method {
    @Param({"minmax", "percentile", "entropy", "mse"})
    public String method;

    Calibration calibration;

    @Setup(Level.Trial)
    public void setUp() {
      calibration = Calibration.builder().method(CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT)))
          .calibSize(BenchModels.CALIBRATION_IMAGES).runnerOptions(RunnerOptions.defaults()).build();
    }
  }

  @Benchmark
  public QuantPlan calibrate(Data data, Method method) {
    return method.calibration.calibrate(data.fp32, data.calib, data.runtime);
  }

  @Benchmark
  public void fp32Pass(Data data, Blackhole bh) {
    for (int from = 0; from < data.calib.size(); from += FP32_PASS_BATCH) {
      bh.consume(data.runner.run(data.calib.batch(from, Math.min(data.calib.size(), from + FP32_PASS_BATCH)).images()));
    }
  }
}
