package io.quantkit.spark;

import com.google.common.base.Preconditions;
import io.quantkit.QuantkitException;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.tensor.Shape;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Accuracy of models on a {@link DatasetSource}, measured by Spark tasks: one task per model and
 * shard of whole batches. The models' bytes are broadcast; each executor imports a model once,
 * borrows a compiled runner from its {@link RunnerPool} for each task and runs the API's
 * {@link Evaluation} on the shard; the driver joins the shards' reports with
 * {@link AccuracyReport#concat} and adds the baseline. The report is the one a single machine gives
 * for the same model, backend and batch size (same top-1, per-class counts, predictions, flips).
 *
 * <p>A task that fails (a record that cannot be read, a backend error, a lost executor) is retried
 * by Spark ({@code spark.task.maxFailures}); if it keeps failing the job fails with the shard's
 * record range and the API's message naming the record. No record is ever left out of the count.
 *
 * <p>Immutable; {@link #run} may be called again (each call is one Spark job).
 */
public final class DistributedEvaluation {
  private final SparkSession spark;
  private final DatasetSource source;
  private final int batchSize;
  private final int shards;
  private final String backend;
  private final int threads;

  private DistributedEvaluation(Builder b) {
    this.spark = b.spark;
    this.source = b.source;
    this.batchSize = b.batchSize;
    this.shards = b.shards > 0 ? b.shards : Math.max(1, 2 * b.spark.sparkContext().defaultParallelism());
    this.backend = b.backend;
    this.threads = b.threads;
  }

  public static Builder builder(SparkSession spark) {
    return new Builder(spark);
  }

  /** One model; labels as {@link Evaluation}'s (model name, backend, precision); baseline may be null. */
  public AccuracyReport run(ModelBytes model, String modelName, String precision, AccuracyReport baseline) {
    return runAll(List.of(new Candidate(model, modelName, precision, baseline))).get(0);
  }

  /** A model to evaluate with its report labels and (optional) baseline. */
  public record Candidate(ModelBytes model, String modelName, String precision, AccuracyReport baseline) {}

  /**
   * Several models in one Spark job (models x shards tasks); reports in the order given.
   */
  public List<AccuracyReport> runAll(List<Candidate> candidates) {
    Preconditions.checkArgument(!candidates.isEmpty(), "no model to evaluate");
    Dataset data = source.dataset();
    if (data.size() == 0) {
      throw new QuantkitException("dataset " + data.name() + " has no images: nothing to evaluate");
    }
    for (Candidate c : candidates) {
      if (c.baseline() != null && c.baseline().samples() != data.size()) {
        throw new QuantkitException("baseline has " + c.baseline().samples() + " samples but the dataset " + data.name()
            + " has " + data.size() + ": compare runs over the same samples");
      }
    }
    List<int[]> ranges = DatasetSource.shards(data.size(), batchSize, shards);
    List<ModelBytes> models = new ArrayList<>();
    List<Task> tasks = new ArrayList<>();
    for (int m = 0; m < candidates.size(); m++) {
      Candidate c = candidates.get(m);
      models.add(c.model());
      for (int[] r : ranges) {
        tasks.add(new Task(m, r[0], r[1], c.modelName() != null ? c.modelName() : c.model().fileName(), c.precision()));
      }
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<List<ModelBytes>> shared = sc.broadcast(models);
    DatasetSource src = source;
    String be = backend;
    int bs = batchSize;
    int th = threads;
    List<String> json;
    try {
      json = sc.parallelize(tasks, tasks.size()).map(t -> t.run(shared.value().get(t.model), src, be, bs, th)).collect();
    } finally {
      shared.destroy();
    }
    List<AccuracyReport> out = new ArrayList<>();
    for (int m = 0; m < candidates.size(); m++) {
      List<AccuracyReport> parts = new ArrayList<>();
      for (int s = 0; s < ranges.size(); s++) {
        parts.add(AccuracyReport.fromJson(json.get(m * ranges.size() + s)));
      }
      AccuracyReport whole = AccuracyReport.concat(parts, data.name());
      AccuracyReport base = candidates.get(m).baseline();
      out.add(base == null ? whole : whole.withBaseline(base));
    }
    return out;
  }

  /**
   * Several models on records that live in Spark ({@link RecordRows#SCHEMA}: position, label,
   * float32 image; e.g. read from Parquet), in one job: rows are grouped into the shards of whole
   * batches that {@link #runAll} uses, each shard is checked to hold every position exactly once,
   * and each model runs on it. {@code dataset} names the set in the reports; reports in the order
   * given, equal to the single machine's on the same records.
   *
   * @throws QuantkitException (in the failed job) naming the position of a missing, repeated or
   *     malformed record
   */
  public List<AccuracyReport> runRows(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> records, Shape imageShape,
      List<String> classNames, String dataset, List<Candidate> candidates) {
    Preconditions.checkArgument(!candidates.isEmpty(), "no model to evaluate");
    long count = records.count();
    if (count == 0 || count > Integer.MAX_VALUE) {
      throw new QuantkitException("dataset " + dataset + " has " + count + " records: nothing to evaluate or too many");
    }
    int n = (int) count;
    List<int[]> ranges = DatasetSource.shards(n, batchSize, shards);
    int perShard = ranges.get(0)[1] - ranges.get(0)[0];
    List<ModelBytes> models = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<String> precisions = new ArrayList<>();
    for (Candidate c : candidates) {
      models.add(c.model());
      names.add(c.modelName() != null ? c.modelName() : c.model().fileName());
      precisions.add(c.precision());
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<List<ModelBytes>> shared = sc.broadcast(models);
    int[] dims = imageShape.toArray();
    List<String> classes = List.copyOf(classNames);
    String be = backend;
    int bs = batchSize;
    int th = threads;
    List<scala.Tuple2<Integer, String>> results;
    try {
      results = records.select("position", "label", "image").toJavaRDD()
          .mapToPair(r -> new scala.Tuple2<>((int) Math.min(Integer.MAX_VALUE, r.getLong(0) / perShard), r))
          .groupByKey(ranges.size())
          .flatMapToPair(group -> {
            int shard = group._1();
            long from = (long) shard * perShard;
            int size = (int) Math.max(0, Math.min(perShard, n - from));
            List<org.apache.spark.sql.Row> rows = new ArrayList<>();
            group._2().forEach(rows::add);
            List<scala.Tuple2<Integer, String>> out = new ArrayList<>();
            try {
              Dataset data = RecordRows.shard(rows, from, size, dims, classes, dataset);
              for (int m = 0; m < names.size(); m++) {
                String name = names.get(m);
                String precision = precisions.get(m);
                String json = RunnerPool.withRunner(shared.value().get(m), be, th, runner -> Evaluation.builder().dataset(data)
                    .batchSize(bs).model(name).backend(runner.backendName()).precision(precision).build().run(runner)).toJson();
                out.add(new scala.Tuple2<>(m * ranges.size() + shard, json));
              }
            } catch (RuntimeException e) {
              throw new QuantkitException("evaluating on records " + from + ".." + (from + size - 1) + " of " + dataset + ": "
                  + e.getMessage(), e);
            }
            return out.iterator();
          }).collect();
    } finally {
      shared.destroy();
    }
    String[] json = new String[candidates.size() * ranges.size()];
    for (scala.Tuple2<Integer, String> r : results) {
      json[r._1()] = r._2();
    }
    List<AccuracyReport> out = new ArrayList<>();
    for (int m = 0; m < candidates.size(); m++) {
      List<AccuracyReport> parts = new ArrayList<>();
      for (int s = 0; s < ranges.size(); s++) {
        String j = json[m * ranges.size() + s];
        if (j == null) {
          throw new QuantkitException(dataset + ": no record in positions " + ranges.get(s)[0] + ".." + (ranges.get(s)[1] - 1)
              + " (positions must run 0.." + (n - 1) + ")");
        }
        parts.add(AccuracyReport.fromJson(j));
      }
      AccuracyReport whole = AccuracyReport.concat(parts, dataset);
      AccuracyReport base = candidates.get(m).baseline();
      out.add(base == null ? whole : whole.withBaseline(base));
    }
    return out;
  }

  /** One model on records from..to-1; its result travels as the report's JSON. */
  private record Task(int model, int from, int to, String modelName, String precision) implements Serializable {
    String run(ModelBytes bytes, DatasetSource source, String backend, int batchSize, int threads) {
      try {
        Dataset shard = source.range(from, to);
        return RunnerPool.withRunner(bytes, backend, threads, runner -> Evaluation.builder().dataset(shard)
            .batchSize(batchSize).model(modelName).backend(runner.backendName()).precision(precision).build().run(runner)).toJson();
      } catch (RuntimeException e) {
        throw new QuantkitException("evaluating " + modelName + " on records " + from + ".." + (to - 1) + " of " + source.key()
            + ": " + e.getMessage(), e);
      }
    }
  }

  /** Options; the source is required. */
  public static final class Builder {
    private final SparkSession spark;
    private DatasetSource source;
    private int batchSize = 32;
    private int shards;
    private String backend = "onnx";
    private int threads = 1;

    private Builder(SparkSession spark) {
      this.spark = Preconditions.checkNotNull(spark);
    }

    public Builder source(DatasetSource value) {
      this.source = Preconditions.checkNotNull(value);
      return this;
    }

    /** Images per backend call, as {@link Evaluation.Builder#batchSize}; default 32. */
    public Builder batchSize(int value) {
      Preconditions.checkArgument(value > 0, "batch size must be positive, got %s", value);
      this.batchSize = value;
      return this;
    }

    /** Shards of the data (tasks per model); default twice the default parallelism. */
    public Builder shards(int value) {
      Preconditions.checkArgument(value > 0, "shards must be positive, got %s", value);
      this.shards = value;
      return this;
    }

    /** Backend name ({@link io.quantkit.backend.Backends#named}); default onnx. */
    public Builder backend(String value) {
      this.backend = Preconditions.checkNotNull(value);
      return this;
    }

    /** Intra-op threads of each runner; default 1 (Spark runs one task per core). */
    public Builder threads(int value) {
      this.threads = value;
      return this;
    }

    public DistributedEvaluation build() {
      Preconditions.checkState(source != null, "DistributedEvaluation needs a source");
      return new DistributedEvaluation(this);
    }
  }
}
