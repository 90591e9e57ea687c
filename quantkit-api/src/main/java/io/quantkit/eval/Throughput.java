package io.quantkit.eval;

import com.google.common.base.Preconditions;
import io.quantkit.backend.Runner;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A repeatable inference-speed measurement: one fixed input batch, a few unmeasured warm-up runs
 * (JIT, allocator and native thread-pool start-up), then timed runs. The median is reported because
 * a single GC pause or scheduler hiccup should not move the figure.
 *
 * <p>Thread-safety: results are immutable; a measurement runs on the calling thread (run concurrent
 * measurements only if you mean to measure contention).
 */
public final class Throughput {
  private final int batchSize;
  private final int warmup;
  private final int iterations;

  /**
   * What was measured. Times are per batch in milliseconds; {@code imagesPerSecond} is
   * {@code batchSize} divided by the median time.
   */
  public record Result(int batchSize, int warmup, int iterations, double imagesPerSecond, double medianMillis,
                       double minMillis, double maxMillis) {}

  private Throughput(Builder b) {
    this.batchSize = b.batchSize;
    this.warmup = b.warmup;
    this.iterations = b.iterations;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Times {@code runner} on a batch of {@code batchSize} images taken from {@code images} (shape
   * [M, ...]): the first batchSize of them, repeated in order when M is smaller.
   */
  public Result measure(Runner runner, Tensor images) {
    Tensor input = batchOf(images, batchSize);
    for (int i = 0; i < warmup; i++) {
      runner.run(input);
    }
    long[] nanos = new long[iterations];
    Object sink = null;
    for (int i = 0; i < iterations; i++) {
      long t0 = System.nanoTime();
      sink = runner.run(input);
      nanos[i] = System.nanoTime() - t0;
    }
    Preconditions.checkState(sink != null || iterations == 0, "runner returned no output");
    Arrays.sort(nanos);
    double median = iterations % 2 == 1 ? nanos[iterations / 2] : (nanos[iterations / 2 - 1] + nanos[iterations / 2]) / 2.0;
    // A clock too coarse to see the run still must not yield an infinite rate.
    median = Math.max(median, 1.0);
    return new Result(batchSize, warmup, iterations, batchSize / (median / 1e9), median / 1e6, nanos[0] / 1e6,
        nanos[iterations - 1] / 1e6);
  }

  /** Times {@code runner} on the first {@code batchSize} images of {@code dataset}. */
  public Result measure(Runner runner, Dataset dataset) {
    Preconditions.checkArgument(dataset.size() > 0, "dataset %s is empty", dataset.name());
    return measure(runner, dataset.batch(0, Math.min(batchSize, dataset.size())).images());
  }

  static Tensor batchOf(Tensor images, int n) {
    Preconditions.checkArgument(images.shape().rank() >= 1 && images.shape().dim(0) > 0,
        "need at least one image, got shape %s", images.shape());
    int m = images.shape().dim(0);
    if (m >= n) {
      return images.sliceFirstAxis(0, n);
    }
    byte[] one = images.toLittleEndianBytes();
    int rowBytes = one.length / m;
    ByteBuffer tiled = ByteBuffer.allocate(n * rowBytes);
    for (int i = 0; i < n; i++) {
      tiled.put(one, (i % m) * rowBytes, rowBytes);
    }
    tiled.flip();
    return Tensor.fromLittleEndian(images.type(), images.shape().withDim(0, n), tiled);
  }

  /** Defaults: batch 32, 5 warm-up runs, 20 measured runs. */
  public static final class Builder {
    private int batchSize = 32;
    private int warmup = 5;
    private int iterations = 20;

    private Builder() {}

    public Builder batchSize(int value) {
      Preconditions.checkArgument(value > 0, "batch size must be positive, got %s", value);
      this.batchSize = value;
      return this;
    }

    public Builder warmup(int value) {
      Preconditions.checkArgument(value >= 0, "warm-up count must be >= 0, got %s", value);
      this.warmup = value;
      return this;
    }

    public Builder iterations(int value) {
      Preconditions.checkArgument(value > 0, "iterations must be positive, got %s", value);
      this.iterations = value;
      return this;
    }

    public Throughput build() {
      return new Throughput(this);
    }
  }
}
