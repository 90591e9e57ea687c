package io.quantkit.cli;

import io.quantkit.QuantkitException;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationListener;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.spark.DatasetSource;
import io.quantkit.spark.DistributedCalibration;
import io.quantkit.spark.DistributedEvaluation;
import io.quantkit.spark.ModelBytes;
import io.quantkit.spark.SerializableSupplier;
import io.quantkit.spark.SparkSessions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code --spark MASTER} paths of eval, quantize and sweep: the same work as io.quantkit.spark
 * tasks. Only this class (and io.quantkit.spark) touch Spark, so the CLI starts without Spark's jars
 * unless --spark is given.
 */
final class SparkRuns {
  private SparkRuns() {}

  /** A session on {@code master}, or a clear error when Spark's jars are not on the class path. */
  static SparkSession session(String master, String what) {
    try {
      Class.forName("org.apache.spark.sql.SparkSession", false, SparkRuns.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new QuantkitException("--spark needs Apache Spark's jars on the class path: run through ./quantkit (it adds "
          + "examples/target/spark-classpath.txt for --spark) or spark-submit the examples-*-spark.jar");
    }
    return SparkSessions.create(master, "quantkit " + what);
  }

  /** The images DataOptions selects, opened the same way on every executor. */
  static DatasetSource source(DataOptions data) {
    String dir = data.data == null ? null : data.data.toAbsolutePath().toString();
    String split = data.split;
    Integer limit = data.limit;
    int batch = data.batchSize;
    String resize = data.resize;
    SerializableSupplier<Dataset> open = () -> {
      DataOptions d = new DataOptions();
      d.data = dir == null ? null : Path.of(dir);
      d.split = split;
      d.limit = limit;
      d.batchSize = batch;
      d.resize = resize;
      return d.open();
    };
    return DatasetSource.of("cli-data:" + dir + "|" + split + "|" + limit + "|" + resize, open);
  }

  static AccuracyReport eval(String master, Path modelPath, String backend, DataOptions data, int threads,
      AccuracyReport baseline, PrintWriter err) {
    if (!ModelRunners.isIrModel(modelPath)) {
      throw new QuantkitException("--spark evaluates models quantkit imports (.h5, .onnx); " + modelPath
          + " runs only as it is on its own backend");
    }
    long t0 = System.nanoTime();
    SparkSession spark = session(master, "eval");
    try {
      DistributedEvaluation eval = DistributedEvaluation.builder(spark).source(source(data)).batchSize(data.batchSize)
          .backend(backend).threads(threads).build();
      err.printf(Locale.ROOT, "spark: evaluating on %s (%d task slots; session started in %.1f s)%n", master,
          spark.sparkContext().defaultParallelism(), (System.nanoTime() - t0) / 1e9);
      // -Dquantkit.spark.repeat=N runs the same job N times in this session (scripts/spark-speed: a warm
      // job's rate apart from the session's start-up); every run gives the same report
      int repeat = Math.max(1, Integer.getInteger("quantkit.spark.repeat", 1));
      AccuracyReport report = null;
      for (int i = 0; i < repeat; i++) {
        long t = System.nanoTime();
        report = eval.run(ModelBytes.of(modelPath), modelPath.getFileName().toString(), new ModelRunners().precision(modelPath),
            baseline);
        double s = (System.nanoTime() - t) / 1e9;
        err.printf(Locale.ROOT, "spark: job %d of %d: %d images in %.2f s (%.0f images/s)%n", i + 1, repeat, report.samples(),
            s, report.samples() / s);
      }
      return report;
    } finally {
      spark.stop();
    }
  }

  /** Calibration of the quantize command with its statistics gathered by Spark tasks: the plan one machine makes. */
  static QuantPlan calibrate(String master, Path modelPath, QuantizeCommand.QuantizationOptions quant, Path calibData,
      String calibBackend, int threads) {
    String dir = calibData == null ? null : calibData.toAbsolutePath().toString();
    QuantizeCommand.QuantizationOptions q = quant;
    DatasetSource calib = DatasetSource.of("cli-calib:" + dir + "|" + quant.calibSize + "|" + quant.calibSeed,
        () -> q.calibrationSet(dir == null ? null : Path.of(dir)).dataset());
    SerializableSupplier<Calibration> recipe = () -> q.calibration(RunnerOptions.builder().threads(threads).build(),
        CalibrationListener.NONE);
    SparkSession spark = session(master, "quantize");
    try {
      return DistributedCalibration.of(spark, calibBackend, 0).calibrate(ModelBytes.of(modelPath), calib, recipe);
    } finally {
      spark.stop();
    }
  }

  /** The sweep's engine on Spark: every configuration's calibration in one job, every evaluation of a data set and backend in one. */
  static SweepCommand.Engine sweepEngine(String master, Path modelPath, List<SweepConfig> configs, String calibBackend,
      int threads, int calibSize, PrintWriter err) {
    SparkSession spark = session(master, "sweep");
    err.println("spark: sweeping " + configs.size() + " configurations on " + master + " ("
        + spark.sparkContext().defaultParallelism() + " task slots)");
    return new SparkSweep(spark, modelPath, configs, calibBackend, threads, calibSize);
  }

  private static QuantkitHome home() {
    return QuantkitHome.fromEnvironment();
  }

  private static final class SparkSweep implements SweepCommand.Engine {
    private final SparkSession spark;
    private final ModelBytes fp32;
    private final String modelName;
    private final List<SweepConfig> configs;
    private final String calibBackend;
    private final int threads;
    private final DatasetSource calib;
    private final Map<String, DatasetSource> sources = new HashMap<>();
    private final Map<String, QuantPlan> plans = new HashMap<>();
    private final Map<String, AccuracyReport> reports = new HashMap<>();

    SparkSweep(SparkSession spark, Path modelPath, List<SweepConfig> configs, String calibBackend, int threads, int calibSize) {
      this.spark = spark;
      this.fp32 = ModelBytes.of(modelPath);
      this.modelName = modelPath.getFileName().toString();
      this.configs = configs;
      this.calibBackend = calibBackend;
      this.threads = threads;
      // the sweep's data sets, built as SweepCommand builds them
      this.calib = DatasetSource.of("sweep-calib:" + calibSize, () -> Cifar10.train(home()).limit(calibSize));
      for (DatasetSource s : List.of(DatasetSource.of("sweep-test", () -> Cifar10.test(home())),
          DatasetSource.of("sweep-jpeg", () -> ImageFolderDataset.open(home().cifar10JpegTestDir())))) {
        sources.put(s.key(), s);
      }
    }

    private RunnerOptions runnerOptions() {
      return RunnerOptions.builder().threads(threads).build();
    }

    @Override
    public QuantPlan calibrate(SweepConfig config, Graph graph, Dataset data) {
      if (plans.isEmpty()) {
        List<SerializableSupplier<Calibration>> recipes = new ArrayList<>();
        int t = threads;
        for (SweepConfig c : configs) {
          recipes.add(() -> c.calibration(RunnerOptions.builder().threads(t).build(), CalibrationListener.NONE));
        }
        List<QuantPlan> all = DistributedCalibration.of(spark, calibBackend, 0).calibrateAll(fp32, calib, recipes);
        for (int i = 0; i < configs.size(); i++) {
          plans.put(configs.get(i).name(), all.get(i));
        }
      }
      if (!calib.dataset().name().equals(data.name())) {
        throw new IllegalStateException("sweep calibrates on " + data.name() + ", Spark on " + calib.dataset().name());
      }
      return plans.get(config.name());
    }

    private DatasetSource sourceOf(Dataset data) {
      for (DatasetSource s : sources.values()) {
        if (s.dataset().name().equals(data.name())) {
          return s;
        }
      }
      throw new IllegalStateException("no Spark source for " + data.name());
    }

    @Override
    public AccuracyReport evaluate(String key, Graph model, String backend, Dataset data, AccuracyReport baseline,
        String precision, PrintWriter err) {
      String cacheKey = key + "|" + backend + "|" + data.name();
      if (!reports.containsKey(cacheKey)) {
        List<String> keys = new ArrayList<>();
        List<DistributedEvaluation.Candidate> candidates = new ArrayList<>();
        if (key.equals("fp32")) {
          keys.add(key);
          candidates.add(new DistributedEvaluation.Candidate(fp32, modelName, precision, null));
        } else {
          // every configuration on this data set and backend: one job, configuration x shard tasks
          for (SweepConfig c : configs) {
            QuantPlan plan = calibrate(c, null, calib.dataset());
            keys.add(c.name());
            candidates.add(new DistributedEvaluation.Candidate(ModelBytes.of(Qdq.quantize(fp32.graph(), plan).graph(),
                c.name() + ".qdq.onnx"), modelName, precision, null));
          }
        }
        err.println("spark: evaluating " + candidates.size() + " model(s) on " + data.name() + " (" + backend + ")");
        List<AccuracyReport> got = DistributedEvaluation.builder(spark).source(sourceOf(data))
            .batchSize(SweepCommand.EVAL_BATCH).backend(backend).threads(threads).build().runAll(candidates);
        for (int i = 0; i < keys.size(); i++) {
          reports.put(keys.get(i) + "|" + backend + "|" + data.name(), got.get(i));
        }
      }
      AccuracyReport r = reports.get(cacheKey);
      return baseline == null ? r : r.withBaseline(baseline);
    }

    @Override
    public void close() {
      spark.stop();
    }
  }
}
