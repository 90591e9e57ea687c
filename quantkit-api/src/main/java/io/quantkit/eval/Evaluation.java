package io.quantkit.eval;

import com.google.common.base.Preconditions;
import io.quantkit.BackendException;
import io.quantkit.DatasetException;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Runner;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
    int total = dataset.size();
    if (total == 0) {
      throw new DatasetException("dataset " + dataset.name() + " has no images: nothing to evaluate");
    }
    if (!dataset.labelled()) {
      throw new DatasetException("dataset " + dataset.name() + " has no labels: accuracy needs a class label per sample "
          + "(compare FP32 and INT8 outputs without labels instead, or measure a regression model with Regression)");
    }
    AccuracyReport.Builder acc = null;
    progress.onProgress(0, total);
    for (int from = 0; from < total; from += batchSize) {
      int to = Math.min(total, from + batchSize);
      Batch batch = dataset.batch(from, to);
      Tensor out = Feeds.output(runner, Feeds.run(runner, runner.backendName(), batch, from, dataset));
      if (out == null || out.shape().rank() < 1 || out.shape().dim(0) != batch.size()) {
        throw new BackendException(runner.backendName() + " returned " + (out == null ? "no output" : "shape " + out.shape())
            + " for " + batch.size() + " samples of " + dataset.name() + "; expected [" + batch.size() + ", classes] scores");
      }
      int width = out.size() / batch.size();
      if (acc == null) {
        List<String> names = classNames(dataset, batch, out, width, runner);
        acc = AccuracyReport.builder(names)
            .model(model != null ? model : runner.signature().modelName())
            .backend(backend != null ? backend : runner.backendName())
            .precision(precision)
            .dataset(dataset.name());
      }
      checkLabels(batch, from, width, dataset, runner);
      try {
        acc.add(out.reshape(Shape.of(batch.size(), width)), batch.labels());
      } catch (QuantkitException e) {
        throw new BackendException(runner.backendName() + " on images " + from + ".." + (to - 1) + ": " + e.getMessage(), e);
      }
      progress.onProgress(to, total);
    }
    AccuracyReport report = acc.build();
    return baseline == null ? report : report.withBaseline(baseline);
  }

  /**
   * The class names for a model that gives {@code width} scores per sample: the dataset's, which
   * must be as many; or, for data labelled by index only (numpy arrays), "0".."width-1".
   *
   * @throws DatasetException when the labels cannot fit the model's output, or the output is not
   *     class scores but has the input's shape (an autoencoder)
   */
  static List<String> classNames(Dataset dataset, Batch batch, Tensor out, int width, Runner runner) {
    Shape sample = Shape.of(Arrays.copyOfRange(out.shape().toArray(), 1, out.shape().rank()));
    for (Tensor in : batch.inputs().values()) {
      Shape inSample = Shape.of(Arrays.copyOfRange(in.shape().toArray(), 1, in.shape().rank()));
      if (inSample.equals(sample) && width > 1) {
        throw new DatasetException(modelName(runner) + " gives an output of the input's shape " + sample + " per sample: it is "
            + "not a classifier (an autoencoder?), so top-1 accuracy means nothing; measure it as regression (--task regress)");
      }
    }
    List<String> names = dataset.classNames();
    if (names.isEmpty()) {
      List<String> generated = new ArrayList<>();
      for (int c = 0; c < width; c++) {
        generated.add(Integer.toString(c));
      }
      return generated;
    }
    if (names.size() != width) {
      throw new DatasetException("the labels do not fit the model: " + dataset.name() + " has " + names.size() + " classes "
          + "but " + modelName(runner) + " gives " + width + " values per sample (output shape " + out.shape() + "); use "
          + "data labelled for this model, compare without labels, or --task regress for a non-classifier");
    }
    return names;
  }

  static void checkLabels(Batch batch, int from, int width, Dataset dataset, Runner runner) {
    for (int i = 0; i < batch.size(); i++) {
      int l = batch.label(i);
      if (l < 0 || l >= width) {
        throw new DatasetException("the labels do not fit the model: sample " + (from + i) + " of " + dataset.name()
            + " has label " + l + " but " + modelName(runner) + " scores only classes 0.." + (width - 1));
      }
    }
  }

  private static String modelName(Runner runner) {
    try {
      return "model '" + runner.signature().modelName() + "'";
    } catch (RuntimeException e) {
      return "the model";
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
