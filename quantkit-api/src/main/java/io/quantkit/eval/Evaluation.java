package io.quantkit.eval;

import com.google.common.base.Preconditions;
import io.quantkit.BackendException;
import io.quantkit.DatasetException;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Runner;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Tensor;

/**
 * Measures a classifier's accuracy on a dataset: runs it batch by batch and accumulates an
 * {@link AccuracyReport}. The runner's single output must hold one row of class scores per image
 * ([N, classes]); softmax or raw logits both work since only the ranking counts.
 *
 * <p>Thread-safety: immutable and reusable; {@link #run} may be called from several threads at once,
 * also with one shared runner (the {@link Runner} contract). The progress listener is called on the
 * thread that runs. Its {@link Builder} is not thread-safe.
 */
public final class Evaluation {
  private final Dataset dataset;
  private final int batchSize;
  private final AccuracyReport baseline;
  private final String model;
  private final String backend;
  private final String precision;
  private final ProgressListener progress;

  private Evaluation(Builder b) {
    this.dataset = b.dataset;
    this.batchSize = b.batchSize;
    this.baseline = b.baseline;
    this.model = b.model;
    this.backend = b.backend;
    this.precision = b.precision;
    this.progress = b.progress;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Dataset dataset() {
    return dataset;
  }

  public int batchSize() {
    return batchSize;
  }

  /**
   * Runs every image of the dataset through {@code runner}, in order. Labels default to the
   * runner's backend name and graph name when not set.
   */
  public AccuracyReport run(Runner runner) {
    AccuracyReport.Builder acc = AccuracyReport.builder(dataset.classNames())
        .model(model != null ? model : runner.signature().modelName())
        .backend(backend != null ? backend : runner.backendName())
        .precision(precision)
        .dataset(dataset.name());
    int total = dataset.size();
    if (total == 0) {
      throw new DatasetException("dataset " + dataset.name() + " has no images: nothing to evaluate");
    }
    int classes = dataset.classNames().size();
    progress.onProgress(0, total);
    for (int from = 0; from < total; from += batchSize) {
      int to = Math.min(total, from + batchSize);
      Batch batch = dataset.batch(from, to);
      Tensor out = runBatch(runner, runner.backendName(), batch.images(), from, to, dataset);
      if (out == null || out.shape().rank() < 1 || out.shape().dim(0) != batch.size()
          || out.size() != (long) batch.size() * classes) {
        throw new BackendException(runner.backendName() + " returned " + (out == null ? "no output" : "shape " + out.shape())
            + " for " + batch.size() + " images; expected [" + batch.size() + ", " + classes + "] class scores for "
            + dataset.name());
      }
      try {
        acc.add(out, batch.labels());
      } catch (QuantkitException e) {
        throw new BackendException(runner.backendName() + " on images " + from + ".." + (to - 1) + ": " + e.getMessage(), e);
      }
      progress.onProgress(to, total);
    }
    AccuracyReport report = acc.build();
    return baseline == null ? report : report.withBaseline(baseline);
  }

  /**
   * {@code runner.run(images)} for images {@code from..to-1} of {@code dataset}; a failure that is
   * not already a quantkit exception becomes a {@link BackendException} naming {@code who} and the
   * images.
   */
  static Tensor runBatch(Runner runner, String who, Tensor images, int from, int to, Dataset dataset) {
    try {
      return runner.run(images);
    } catch (QuantkitException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException(who + " failed on images " + from + ".." + (to - 1) + " of " + dataset.name() + ": " + e, e);
    }
  }

  /** Options; the dataset is required. */
  public static final class Builder {
    private Dataset dataset;
    private int batchSize = 32;
    private AccuracyReport baseline;
    private String model;
    private String backend;
    private String precision;
    private ProgressListener progress = ProgressListener.NONE;

    private Builder() {}

    public Builder dataset(Dataset value) {
      this.dataset = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder batchSize(int value) {
      Preconditions.checkArgument(value > 0, "batch size must be positive, got %s", value);
      this.batchSize = value;
      return this;
    }

    /** A report of the reference run on the same dataset; the result then carries drop and flips. */
    public Builder baseline(AccuracyReport value) {
      this.baseline = value;
      return this;
    }

    public Builder model(String value) {
      this.model = value;
      return this;
    }

    public Builder backend(String value) {
      this.backend = value;
      return this;
    }

    /** E.g. "fp32", "int8". */
    public Builder precision(String value) {
      this.precision = value;
      return this;
    }

    public Builder progress(ProgressListener value) {
      this.progress = Preconditions.checkNotNull(value);
      return this;
    }

    public Evaluation build() {
      Preconditions.checkState(dataset != null, "Evaluation needs a dataset");
      if (baseline != null && baseline.samples() != dataset.size()) {
        throw new QuantkitException("baseline has " + baseline.samples() + " samples but the dataset " + dataset.name()
            + " has " + dataset.size() + ": compare runs over the same samples");
      }
      return new Evaluation(this);
    }
  }
}
