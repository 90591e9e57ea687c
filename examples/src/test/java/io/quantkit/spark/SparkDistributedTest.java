package io.quantkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Batch;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.tensor.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed evaluation and calibration on Spark local[2] (two task slots, a task tried twice)
 * against the single-machine API on the same data: reports and plans must be equal.
 */
class SparkDistributedTest {
  private static final int IMAGES = 640;
  private static SparkSession spark;
  private static QuantkitHome home;
  private static Path model;
  private static Graph fp32;
  private static Graph int8;
  private static DatasetSource test;
  private static final AtomicBoolean FAILED_ONCE = new AtomicBoolean();

  @BeforeAll
  static void start() {
    spark = SparkSessions.create("local[2,2]", "quantkit-test");
    home = QuantkitHome.fromEnvironment();
    model = home.resnet8Model();
    fp32 = ModelBytes.of(model).graph();
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).calibSize(100).build()
        .calibrate(fp32, Cifar10.train(home), Backends.named("reference"));
    int8 = OnnxModel.fromBytes(OnnxModel.toBytes(Qdq.quantize(fp32, plan).graph()), "int8.onnx");
    test = DatasetSource.cifar(List.of(home.cifar10File(Cifar10.TEST_FILE))).limit(IMAGES);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static AccuracyReport single(Graph g, Dataset data, String name, String precision, AccuracyReport baseline) {
    try (Runner r = Backends.named("onnx").compile(g, RunnerOptions.builder().threads(1).build())) {
      Evaluation.Builder b = Evaluation.builder().dataset(data).batchSize(32).model(name).backend("onnx").precision(precision);
      if (baseline != null) {
        b.baseline(baseline);
      }
      return b.build().run(r);
    }
  }

  @Test
  void distributedEvaluationEqualsSingleMachineWithFlips() {
    Dataset data = Cifar10.test(home).limit(IMAGES);
    AccuracyReport fp = single(fp32, data, "resnet8.h5", "fp32", null);
    AccuracyReport q = single(int8, data, "int8.onnx", "int8", fp);
    DistributedEvaluation eval = DistributedEvaluation.builder(spark).source(test).batchSize(32).shards(5).build();
    int compiledBefore = RunnerPool.compiled();
    List<AccuracyReport> got = eval.runAll(List.of(
        new DistributedEvaluation.Candidate(ModelBytes.of(model), "resnet8.h5", "fp32", null),
        new DistributedEvaluation.Candidate(ModelBytes.of(int8, "int8.onnx"), "int8.onnx", "int8", fp)));
    assertEquals(fp, got.get(0));
    assertEquals(q, got.get(1));
    assertEquals(fp.toJson(), got.get(0).toJson());
    assertEquals(q.toJson(), got.get(1).toJson());
    // the records as a Spark Dataset<Row>: every source position once, with its label
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows = test.records(spark, 32, 3);
    assertEquals(IMAGES, rows.count());
    assertEquals(IMAGES, rows.select("position").distinct().count());
    long labelSum = 0;
    for (int i = 0; i < IMAGES; i++) {
      labelSum += data.label(i);
    }
    assertEquals(labelSum, rows.agg(org.apache.spark.sql.functions.sum("label")).first().getLong(0));
    assertTrue(q.flips() > 0, "the INT8 model should flip a few of " + IMAGES + " predictions");
    // 10 tasks on 2 slots: at most one runner per slot and model, not one per task
    assertTrue(RunnerPool.compiled() - compiledBefore <= 4, "compiled " + (RunnerPool.compiled() - compiledBefore));
  }

  @Test
  void runnerPoolKeepsTheRunnersOfTheLastFourModels() {
    ModelBytes m = ModelBytes.of(model);
    // the key includes the thread count: five thread counts are five pooled "models"
    int before = RunnerPool.compiled();
    for (int threads = 1; threads <= 5; threads++) {
      RunnerPool.withRunner(m, "reference", threads, r -> r.backendName());
    }
    assertEquals(before + 5, RunnerPool.compiled());
    RunnerPool.withRunner(m, "reference", 5, r -> r.backendName());
    assertEquals(before + 5, RunnerPool.compiled(), "the most recent model's runner is reused");
    RunnerPool.withRunner(m, "reference", 1, r -> r.backendName());
    assertEquals(before + 6, RunnerPool.compiled(), "the least recently used model's runner was closed");
  }

  @Test
  void recordsInParquetEvaluateToTheSingleMachineReport(@TempDir Path dir) {
    Dataset data = Cifar10.test(home).limit(IMAGES);
    AccuracyReport fp = single(fp32, data, "resnet8.h5", "fp32", null);
    String parquet = dir.resolve("cifar.parquet").toString();
    RecordRows.of(spark, test, 3).write().parquet(parquet);
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows = spark.read().parquet(parquet);
    DistributedEvaluation eval = DistributedEvaluation.builder(spark).source(test).batchSize(32).shards(4).build();
    List<DistributedEvaluation.Candidate> fpOnly = List.of(
        new DistributedEvaluation.Candidate(ModelBytes.of(model), "resnet8.h5", "fp32", null));
    AccuracyReport got = eval.runRows(rows, data.imageShape(), data.classNames(), data.name(), fpOnly).get(0);
    assertEquals(fp.toJson(), got.toJson());
    // a record missing from the table fails the job with its position, never a smaller denominator
    Exception e = assertThrows(Exception.class, () -> eval.runRows(rows.filter("position != 100"), data.imageShape(),
        data.classNames(), data.name(), fpOnly));
    assertTrue(String.valueOf(e.getMessage()).contains("record at position 100 is missing"), e.getMessage());
  }

  @Test
  void minMaxAndHistogramCalibrationGiveTheSinglePlan() {
    Dataset calib = Cifar10.train(home).limit(150);
    DatasetSource src = DatasetSource.cifar(List.of(home.cifar10File("data_batch_1.bin"))).limit(150);
    assertEquals(calib.size(), src.dataset().size());
    for (CalibrationMethod m : List.of(CalibrationMethod.MINMAX, CalibrationMethod.ENTROPY, CalibrationMethod.PERCENTILE)) {
      SerializableSupplier<Calibration> recipe = () -> Calibration.builder().method(m).calibSize(150).batchSize(50).build();
      QuantPlan one = recipe.get().calibrate(fp32, Cifar10.open(home.cifar10File("data_batch_1.bin")).limit(150),
          Backends.named("reference"));
      QuantPlan many = DistributedCalibration.of(spark, "reference", 3).calibrate(ModelBytes.of(model), src, recipe);
      assertEquals(one.toJson(), many.toJson(), m.name());
      assertEquals(one, many, m.name());
    }
  }

  @Test
  void aTaskThatFailsOnceIsRetriedAndCountsTheSame() {
    Dataset data = Cifar10.test(home).limit(IMAGES);
    AccuracyReport fp = single(fp32, data, "resnet8.h5", "fp32", null);
    String file = home.cifar10File(Cifar10.TEST_FILE).toString();
    FAILED_ONCE.set(false);
    DatasetSource flaky = DatasetSource.of("flaky-cifar", () -> new FailOnce(Cifar10.open(Path.of(file)).limit(IMAGES)));
    AccuracyReport got = DistributedEvaluation.builder(spark).source(flaky).batchSize(32).shards(4).build()
        .run(ModelBytes.of(model), "resnet8.h5", "fp32", null);
    assertTrue(FAILED_ONCE.get(), "the injected failure did not happen");
    assertEquals(fp.toJson(), got.withLabels(fp.model(), fp.backend(), fp.precision(), fp.dataset()).toJson());
  }

  @Test
  void aCorruptRecordFailsTheJobWithItsFile(@TempDir Path dir) throws Exception {
    Dataset data = Cifar10.test(home).limit(100); // every class present
    for (int i = 0; i < data.size(); i++) {
      Batch b = data.batch(i, i + 1);
      Path cls = Files.createDirectories(dir.resolve(data.classNames().get(b.labels()[0])));
      float[] px = new float[32 * 32 * 3];
      b.images().floatBuffer().get(px);
      BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
      for (int p = 0; p < 1024; p++) {
        img.setRGB(p % 32, p / 32, ((int) px[3 * p] << 16) | ((int) px[3 * p + 1] << 8) | (int) px[3 * p + 2]);
      }
      ImageIO.write(img, "png", cls.resolve(String.format("img%03d.png", i)).toFile());
    }
    Path bad = Files.list(dir).sorted().findFirst().orElseThrow().resolve("zz-corrupt.png");
    Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    DatasetSource folder = DatasetSource.imageFolder(dir);
    Exception e = assertThrows(Exception.class, () -> DistributedEvaluation.builder(spark).source(folder).batchSize(20)
        .shards(3).build().run(ModelBytes.of(model), "resnet8.h5", "fp32", null));
    assertTrue(String.valueOf(e.getMessage()).contains("zz-corrupt.png"), e.getMessage());
    assertNotEquals(-1, String.valueOf(e.getMessage()).indexOf("records "), e.getMessage());
  }

  @Test
  void sweepAndSensitivityScanReproduceTheSingleMachineTable() {
    io.quantkit.cli.SweepConfig base = new io.quantkit.cli.SweepConfig("uint8", false, "minmax", 99.99, 100, List.of());
    List<io.quantkit.cli.SweepConfig> configs = new java.util.ArrayList<>(
        io.quantkit.cli.SweepConfig.grid(List.of("uint8"), List.of("minmax", "entropy"), 99.99, 100));
    List<String> layers = fp32.nodes().stream().filter(n -> n.op().type().equals("Conv")).map(n -> n.name()).limit(2).toList();
    configs.addAll(io.quantkit.cli.SweepConfig.sensitivity(base, layers));
    Dataset calib = Cifar10.train(home).limit(100);
    Dataset data = Cifar10.test(home).limit(IMAGES);
    AccuracyReport fp = single(fp32, data, "resnet8.h5", "fp32", null);
    java.util.Map<String, SerializableSupplier<Calibration>> recipes = new java.util.LinkedHashMap<>();
    for (io.quantkit.cli.SweepConfig c : configs) {
      recipes.put(c.name(), () -> c.calibration(RunnerOptions.builder().threads(1).build(),
          io.quantkit.quant.CalibrationListener.NONE));
    }
    DistributedSweep sweep = new DistributedSweep(DistributedCalibration.of(spark, "reference", 2),
        DistributedEvaluation.builder(spark).source(test).batchSize(32).shards(4).build());
    DistributedSweep.Result got = sweep.run(ModelBytes.of(model), "resnet8.h5",
        recipes, DatasetSource.of("sweep-calib", () -> Cifar10.train(QuantkitHome.fromEnvironment()).limit(100)));
    assertEquals(fp.toJson(), got.fp32().toJson());
    assertEquals(configs.size(), got.outcomes().size());
    for (int i = 0; i < configs.size(); i++) {
      io.quantkit.cli.SweepConfig c = configs.get(i);
      QuantPlan plan = recipes.get(c.name()).get().calibrate(fp32, calib, Backends.named("reference"));
      Graph q = Qdq.quantize(fp32, plan).graph();
      AccuracyReport r = single(q, data, "resnet8.h5", "int8", fp);
      DistributedSweep.Outcome o = got.outcomes().get(i);
      assertEquals(c.name(), o.name());
      assertEquals(plan.toJson(), o.plan().toJson(), c.name());
      assertEquals(r.toJson(), o.report().toJson(), c.name());
    }
  }

  /** A dataset whose batch starting at record 96 fails the first time it is read. */
  private static final class FailOnce implements Dataset {
    private final Dataset base;

    FailOnce(Dataset base) {
      this.base = base;
    }

    @Override
    public String name() {
      return base.name();
    }

    @Override
    public int size() {
      return base.size();
    }

    @Override
    public List<String> classNames() {
      return base.classNames();
    }

    @Override
    public Shape imageShape() {
      return base.imageShape();
    }

    @Override
    public Batch batch(int from, int to) {
      if (from == 96 && FAILED_ONCE.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure (executor lost) at record 96");
      }
      return base.batch(from, to);
    }
  }
}
