package io.quantkit.spark;

import com.google.common.base.Preconditions;
import io.quantkit.DatasetException;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Records as Spark rows, for data that lives in Spark (Parquet, tables) rather than on a shared
 * path: columns {@code position} (long, the record's index in the set), {@code label} (int) and
 * {@code image} (binary: the image's float32 values, little-endian, in [H, W, C] order).
 * {@link #of} turns any {@link DatasetSource} into such rows (write them with
 * {@code .write().parquet(dir)}); {@link DistributedEvaluation#runRows} evaluates them.
 */
public final class RecordRows {
  /** The rows' schema. */
  public static final StructType SCHEMA = new StructType().add("position", DataTypes.LongType, false)
      .add("label", DataTypes.IntegerType, false).add("image", DataTypes.BinaryType, false);

  private RecordRows() {}

  /** Every record of {@code source} as a row, read on the executors in {@code shards} partitions. */
  public static org.apache.spark.sql.Dataset<Row> of(SparkSession spark, DatasetSource source, int shards) {
    List<int[]> ranges = DatasetSource.shards(source.dataset().size(), 64, shards);
    JavaRDD<int[]> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ranges, ranges.size());
    JavaRDD<Row> rows = rdd.flatMap(r -> {
      Batch b = source.dataset().batch(r[0], r[1]);
      int per = (int) (b.images().size() / b.size());
      float[] all = new float[(int) b.images().size()];
      b.images().floatBuffer().get(all);
      List<Row> out = new ArrayList<>(b.size());
      for (int i = 0; i < b.size(); i++) {
        ByteBuffer bytes = ByteBuffer.allocate(per * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(all, i * per, per);
        out.add(RowFactory.create((long) (r[0] + i), b.labels()[i], bytes.array()));
      }
      return out.iterator();
    });
    return spark.createDataFrame(rows, SCHEMA);
  }

  /**
   * Rows of one shard, sorted by position, as a {@link Dataset} of records {@code from..from+n-1}.
   *
   * @throws DatasetException naming the position when a record is missing, repeated or has an
   *     image of the wrong size, so that no record leaves the count unnoticed
   */
  static Dataset shard(List<Row> rows, long from, int n, int[] imageDims, List<String> classNames, String name) {
    Shape imageShape = Shape.of(imageDims);
    rows.sort((a, b) -> Long.compare(a.getLong(0), b.getLong(0)));
    long per = imageShape.size();
    float[] images = new float[Math.toIntExact(n * per)];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      long expected = from + i;
      if (i >= rows.size() || rows.get(i).getLong(0) != expected) {
        throw new DatasetException(name + ": record at position " + expected + " is "
            + (i < rows.size() && rows.get(i).getLong(0) < expected ? "repeated" : "missing"));
      }
      Row r = rows.get(i);
      byte[] img = (byte[]) r.get(2);
      if (img == null || img.length != per * 4) {
        throw new DatasetException(name + ": record at position " + expected + " has " + (img == null ? 0 : img.length)
            + " image bytes, expected " + per * 4 + " (float32 " + imageShape + ")");
      }
      ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(images, (int) (i * per), (int) per);
      labels[i] = r.getInt(1);
    }
    if (rows.size() > n) {
      throw new DatasetException(name + ": " + (rows.size() - n) + " records beyond positions " + from + ".." + (from + n - 1)
          + " in this shard (a repeated or out-of-range position)");
    }
    return new Dataset() {
      @Override
      public String name() {
        return name + "[" + from + ".." + (from + n - 1) + "]";
      }

      @Override
      public int size() {
        return n;
      }

      @Override
      public List<String> classNames() {
        return classNames;
      }

      @Override
      public Shape imageShape() {
        return imageShape;
      }

      @Override
      public Batch batch(int a, int b) {
        Preconditions.checkPositionIndexes(a, b, n);
        float[] out = new float[Math.toIntExact((b - a) * per)];
        System.arraycopy(images, (int) (a * per), out, 0, out.length);
        int[] l = java.util.Arrays.copyOfRange(labels, a, b);
        int[] dims = new int[imageShape.rank() + 1];
        dims[0] = b - a;
        for (int d = 0; d < imageShape.rank(); d++) {
          dims[d + 1] = imageShape.dim(d);
        }
        return new Batch(Tensor.wrapFloats(Shape.of(dims), out), l);
      }
    };
  }
}
