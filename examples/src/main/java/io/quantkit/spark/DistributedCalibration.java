package io.quantkit.spark;

import com.google.common.base.Preconditions;
import io.quantkit.CalibrationException;
import io.quantkit.backend.Backends;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.TensorStatistics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Static calibration with the statistics gathered by Spark tasks, one per shard of whole
 * calibration batches, and merged on the driver: the {@link QuantPlan} equals
 * {@link Calibration#calibrate(Graph, Dataset, io.quantkit.backend.Backend)}'s on one machine, for
 * min/max and for the histogram methods (entropy, percentile, mse). Counts, minima and maxima merge
 * exactly; histograms merge exactly because the driver first runs the first batch, as one machine
 * would, and seeds every shard's histograms with the ranges seen there
 * ({@link TensorStatistics#seedRange}).
 *
 * <p>The calibration is described by a serializable supplier (executors build their own instance);
 * it must build the same calibration each time. Immutable.
 */
public final class DistributedCalibration {
  private final SparkSession spark;
  private final String backend;
  private final int shards;

  private DistributedCalibration(SparkSession spark, String backend, int shards) {
    this.spark = spark;
    this.backend = backend;
    this.shards = shards > 0 ? shards : Math.max(1, 2 * spark.sparkContext().defaultParallelism());
  }

  /** On {@code backend} (the calibration runs there), with about {@code shards} tasks (0: twice the parallelism). */
  public static DistributedCalibration of(SparkSession spark, String backend, int shards) {
    Preconditions.checkArgument(shards >= 0, "shards cannot be negative");
    return new DistributedCalibration(Preconditions.checkNotNull(spark), Preconditions.checkNotNull(backend), shards);
  }

  /**
   * Calibrates {@code fp32} on the first {@code calibSize} images of {@code calib} (fed to the
   * graph's single input in the calibration's batches), as one machine would.
   */
  public QuantPlan calibrate(ModelBytes fp32, DatasetSource calib, SerializableSupplier<Calibration> recipe) {
    return calibrateAll(fp32, calib, List.of(recipe)).get(0);
  }

  /** Several calibrations of one model on one set, their shards in one Spark job; plans in order. */
  public List<QuantPlan> calibrateAll(ModelBytes fp32, DatasetSource calib, List<SerializableSupplier<Calibration>> recipes) {
    Graph graph = fp32.graph();
    Dataset data = calib.dataset();
    String input = graph.input().name();
    List<Calibration> calibrations = new ArrayList<>();
    List<Map<String, Double>> seeds = new ArrayList<>();
    List<List<int[]>> ranges = new ArrayList<>();
    List<ShardTask> tasks = new ArrayList<>();
    for (int c = 0; c < recipes.size(); c++) {
      Calibration cal = recipes.get(c).get();
      calibrations.add(cal);
      int n = Math.min(cal.calibSize(), data.size());
      if (n == 0) {
        throw new CalibrationException("calibration data '" + data.name() + "' is empty");
      }
      // the first batch on the driver: the histogram ranges one machine starts from
      int first = Math.min(n, cal.batchSize());
      Map<String, Double> seed = new HashMap<>();
      for (TensorStatistics s : cal.statistics(graph, CalibrationData.of(calib.range(0, first), input, cal.batchSize()),
          Backends.named(backend), Map.of())) {
        if (s.hasHistogram() && s.histogramRange() > 0) {
          seed.put(s.tensor(), s.histogramRange());
        }
      }
      seeds.add(seed);
      List<int[]> r = DatasetSource.shards(n, cal.batchSize(), shards);
      ranges.add(r);
      for (int[] shard : r) {
        tasks.add(new ShardTask(c, shard[0], shard[1]));
      }
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<ModelBytes> model = sc.broadcast(fp32);
    List<SerializableSupplier<Calibration>> recipeList = new ArrayList<>(recipes);
    List<Map<String, Double>> seedList = seeds;
    String be = backend;
    List<List<TensorStatistics>> gathered;
    try {
      gathered = sc.parallelize(tasks, tasks.size()).map(t -> {
        try {
          Calibration cal = recipeList.get(t.config()).get();
          Graph g = model.value().graph();
          return cal.statistics(g, CalibrationData.of(calib.range(t.from(), t.to()), g.input().name(), cal.batchSize()),
              Backends.named(be), seedList.get(t.config()));
        } catch (RuntimeException e) {
          throw new CalibrationException("calibrating on records " + t.from() + ".." + (t.to() - 1) + " of " + calib.key()
              + ": " + e.getMessage(), e);
        }
      }).collect();
    } finally {
      model.destroy();
    }
    List<QuantPlan> plans = new ArrayList<>();
    int at = 0;
    for (int c = 0; c < recipes.size(); c++) {
      Map<String, TensorStatistics> merged = new LinkedHashMap<>();
      int n = 0;
      for (int[] shard : ranges.get(c)) {
        for (TensorStatistics s : gathered.get(at++)) {
          TensorStatistics into = merged.putIfAbsent(s.tensor(), s);
          if (into != null) {
            into.merge(s);
          }
        }
        n += shard[1] - shard[0];
      }
      plans.add(calibrations.get(c).plan(graph, merged.values(), data.name(), n));
    }
    return plans;
  }

  private record ShardTask(int config, int from, int to) implements java.io.Serializable {}
}
