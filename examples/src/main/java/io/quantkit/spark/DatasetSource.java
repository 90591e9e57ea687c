package io.quantkit.spark;

import com.google.common.base.Preconditions;
import io.quantkit.data.Batch;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.tensor.Shape;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A labelled image set that every Spark executor can open: CIFAR-10 binaries or an image folder on
 * a path all machines see (a shared or replicated file system), or any {@link Dataset} a
 * serializable supplier builds. Records are addressed by their source position (index in the
 * single-machine {@link Dataset}), and each executor opens the set once per JVM and reads only the
 * records of its shards, with the API's own readers, so a record decodes to the same tensor as on
 * one machine. A record that cannot be read fails its task with the record's position (CIFAR-10:
 * file and record number; image folder: file path).
 *
 * <p>Serializable and immutable. The key names the data; two sources with one key are the same data.
 */
public final class DatasetSource implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Map<String, Dataset> OPEN = new ConcurrentHashMap<>();

  private final String key;
  private final SerializableSupplier<Dataset> opener;

  private DatasetSource(String key, SerializableSupplier<Dataset> opener) {
    this.key = key;
    this.opener = opener;
  }

  /** Any dataset: {@code key} identifies it (executors open one per key), {@code opener} builds it. */
  public static DatasetSource of(String key, SerializableSupplier<Dataset> opener) {
    return new DatasetSource(Preconditions.checkNotNull(key), Preconditions.checkNotNull(opener));
  }

  /** CIFAR-10 binary files read as one set, in this order (as {@link Cifar10#open(List)}). */
  public static DatasetSource cifar(List<Path> files) {
    List<String> names = new ArrayList<>();
    files.forEach(f -> names.add(f.toAbsolutePath().toString()));
    return of("cifar:" + names, () -> Cifar10.open(names.stream().map(Path::of).toList()));
  }

  /** An image folder with one sub-folder per class, default options (as {@link ImageFolderDataset#open}). */
  public static DatasetSource imageFolder(Path root) {
    String dir = root.toAbsolutePath().toString();
    return of("folder:" + dir, () -> ImageFolderDataset.open(Path.of(dir)));
  }

  /** The first {@code n} records (as {@link Dataset#limit}). */
  public DatasetSource limit(int n) {
    SerializableSupplier<Dataset> base = opener;
    return of(key + "|limit:" + n, () -> base.get().limit(n));
  }

  public String key() {
    return key;
  }

  /** The dataset, opened once per JVM (driver or executor) and shared by its tasks. */
  public Dataset dataset() {
    return OPEN.computeIfAbsent(key, k -> opener.get());
  }

  /**
   * Records {@code from..to-1} as a dataset of their own, named after the source and the range, so
   * that messages of the API (which count from the shard's start) show where the shard lies.
   */
  public Dataset range(int from, int to) {
    Dataset base = dataset();
    Preconditions.checkPositionIndexes(from, to, base.size());
    return new Range(base, from, to);
  }

  /**
   * Contiguous shards {@code [from, to)} covering records {@code 0..size-1}, each a whole number of
   * batches of {@code batchSize} (the last may be shorter), about {@code shards} of them: the
   * single-machine run's batches, dealt out in order.
   */
  public static List<int[]> shards(int size, int batchSize, int shards) {
    Preconditions.checkArgument(batchSize > 0 && shards > 0, "batch size and shards must be positive");
    int batches = (size + batchSize - 1) / batchSize;
    int perShard = Math.max(1, (batches + shards - 1) / shards);
    List<int[]> out = new ArrayList<>();
    for (int b = 0; b < batches; b += perShard) {
      out.add(new int[] {b * batchSize, Math.min(size, (b + perShard) * batchSize)});
    }
    return out;
  }

  /**
   * The records as a Spark {@code Dataset<Row>} of (position, label), one partition per shard of
   * {@link #shards}: for inspecting, filtering or joining predictions back to the data. Labels are
   * read on the executors.
   */
  public org.apache.spark.sql.Dataset<Row> records(SparkSession spark, int batchSize, int shards) {
    List<int[]> ranges = shards(dataset().size(), batchSize, shards);
    JavaRDD<int[]> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ranges, ranges.size());
    DatasetSource self = this;
    JavaRDD<Row> rows = rdd.flatMap(r -> {
      Dataset d = self.dataset();
      List<Row> out = new ArrayList<>(r[1] - r[0]);
      for (int i = r[0]; i < r[1]; i++) {
        out.add(RowFactory.create((long) i, d.label(i)));
      }
      return out.iterator();
    });
    StructType schema = new StructType().add("position", DataTypes.LongType, false).add("label", DataTypes.IntegerType, false);
    return spark.createDataFrame(rows, schema);
  }

  @Override
  public String toString() {
    return "DatasetSource(" + key + ")";
  }

  /** Records from..to-1 of a dataset. */
  private static final class Range implements Dataset {
    private final Dataset base;
    private final int from;
    private final int to;

    Range(Dataset base, int from, int to) {
      this.base = base;
      this.from = from;
      this.to = to;
    }

    @Override
    public String name() {
      return base.name() + "[" + from + ".." + (to - 1) + "]";
    }

    @Override
    public int size() {
      return to - from;
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
    public Batch batch(int a, int b) {
      Preconditions.checkPositionIndexes(a, b, size());
      return base.batch(from + a, from + b);
    }

    @Override
    public int label(int index) {
      return base.label(from + index);
    }
  }

}
