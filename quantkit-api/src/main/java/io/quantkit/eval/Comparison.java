package io.quantkit.eval;

import com.google.common.base.Preconditions;
import io.quantkit.BackendException;
import io.quantkit.DatasetException;
import io.quantkit.backend.Runner;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the same images through several runners (e.g. one model on two backends, or FP32 against
 * INT8) and measures how closely their outputs agree. Outputs are compared element by element
 * and by their top-1 class (arg-max of each row, ties to the lowest index).
 *
 * <p>Thread-safety: immutable and reusable; {@link #run} may be called from several threads at once,
 * and the runners it is given may be shared with other threads (the {@link
 * io.quantkit.backend.Runner} contract). Its {@link Builder} is not thread-safe.
 */
public final class Comparison {
  private final Dataset dataset;
  private final int batchSize;
  private final ProgressListener progress;
  private final boolean useLabels;

  private Comparison(Builder b) {
    this.useLabels = b.useLabels;
    this.dataset = b.dataset;
    this.batchSize = b.batchSize;
    this.progress = b.progress;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs every image of the dataset through each runner, keyed by a display name; the report
   * keeps the map's iteration order (pass a LinkedHashMap to choose it).
   */
  public ComparisonReport run(Map<String, ? extends Runner> runners) {
    Preconditions.checkArgument(runners.size() >= 2, "compare at least two runners, got %s", runners.keySet());
    List<String> names = new ArrayList<>(runners.keySet());
    boolean haveLabels = useLabels && dataset.labelled();
    Accumulator acc = new Accumulator(names, haveLabels);
    int total = dataset.size();
    if (total == 0) {
      throw new DatasetException("dataset " + dataset.name() + " has no images: nothing to compare");
    }
    progress.onProgress(0, total);
    for (int from = 0; from < total; from += batchSize) {
      int to = Math.min(total, from + batchSize);
      Batch batch = dataset.batch(from, to);
      List<Tensor> outputs = new ArrayList<>(names.size());
      for (String name : names) {
        Runner r = runners.get(name);
        outputs.add(Feeds.output(r, Feeds.run(r, name + " (" + r.backendName() + ")", batch, from, dataset)));
      }
      if (haveLabels) {
        Tensor out = outputs.get(0);
        int width = out == null || batch.size() == 0 ? 0 : out.size() / batch.size();
        Runner r = runners.get(names.get(0));
        if (from == 0) {
          Evaluation.classNames(dataset, batch, out, width, r);
        }
        Evaluation.checkLabels(batch, from, width, dataset, r);
      }
      acc.add(outputs, batch.labels(), from);
      progress.onProgress(to, total);
    }
    return acc.build(dataset.name());
  }

  /**
   * Compares outputs computed elsewhere, keyed by runner name (all of shape [N, ...]).
   * {@code labels} may be null; then the report has no top-1 accuracies.
   */
  public static ComparisonReport ofOutputs(Map<String, Tensor> outputs, int[] labels, String datasetName) {
    Preconditions.checkArgument(outputs.size() >= 2, "compare at least two outputs, got %s", outputs.keySet());
    List<String> names = new ArrayList<>(outputs.keySet());
    Tensor first = outputs.get(names.get(0));
    Preconditions.checkArgument(first.shape().rank() >= 1, "outputs need a sample axis, got shape %s", first.shape());
    int n = first.shape().dim(0);
    Preconditions.checkArgument(labels == null || labels.length == n, "%s labels for %s samples", labels == null ? 0 : labels.length, n);
    Accumulator acc = new Accumulator(names, labels != null);
    List<Tensor> tensors = new ArrayList<>();
    for (String name : names) {
      tensors.add(outputs.get(name));
    }
    acc.add(tensors, labels != null ? labels : new int[n], 0);
    return acc.build(datasetName);
  }

  /** Streaming sums, so a comparison over a large dataset keeps no outputs around. */
  private static final class Accumulator {
    private final List<String> names;
    private final boolean haveLabels;
    private final int[] correct;
    private final int[] agree;
    private final double[] maxAbs;
    private final double[] sumAbs;
    private long elements;
    private int samples;

    Accumulator(List<String> names, boolean haveLabels) {
      this.names = names;
      this.haveLabels = haveLabels;
      int r = names.size();
      this.correct = new int[r];
      int p = r * (r - 1) / 2;
      this.agree = new int[p];
      this.maxAbs = new double[p];
      this.sumAbs = new double[p];
    }

    void add(List<Tensor> outputs, int[] labels, int firstSample) {
      int n = labels.length;
      Tensor first = outputs.get(0);
      for (int r = 0; r < outputs.size(); r++) {
        Tensor t = outputs.get(r);
        if (t == null || !t.shape().equals(first.shape()) || t.shape().rank() < 1 || t.shape().dim(0) != n) {
          throw new BackendException("output of " + names.get(r) + " has shape " + (t == null ? "none" : t.shape())
              + " where " + names.get(0) + " gave " + first.shape() + " for " + n + " images (from sample " + firstSample + ")");
        }
      }
      int row = first.size() / Math.max(1, n);
      int rs = outputs.size();
      float[][] data = new float[rs][];
      int[][] top = new int[rs][n];
      for (int r = 0; r < rs; r++) {
        data[r] = outputs.get(r).toFloatArray();
        for (int i = 0; i < n; i++) {
          int best = Scores.argmax(data[r], i * row, row);
          top[r][i] = best;
          if (haveLabels && best == labels[i]) {
            correct[r]++;
          }
        }
      }
      int p = 0;
      for (int a = 0; a < rs; a++) {
        for (int b = a + 1; b < rs; b++, p++) {
          float[] x = data[a];
          float[] y = data[b];
          double sum = 0;
          double max = maxAbs[p];
          for (int k = 0; k < x.length; k++) {
            double d = Math.abs((double) x[k] - (double) y[k]);
            sum += d;
            if (d > max || Double.isNaN(d)) {
              max = d;
            }
          }
          sumAbs[p] += sum;
          maxAbs[p] = max;
          for (int i = 0; i < n; i++) {
            if (top[a][i] == top[b][i]) {
              agree[p]++;
            }
          }
        }
      }
      elements += first.size();
      samples += n;
    }

    ComparisonReport build(String dataset) {
      List<ComparisonReport.RunnerResult> runners = new ArrayList<>();
      for (int r = 0; r < names.size(); r++) {
        runners.add(new ComparisonReport.RunnerResult(names.get(r),
            haveLabels && samples > 0 ? (double) correct[r] / samples : null));
      }
      List<ComparisonReport.Pair> pairs = new ArrayList<>();
      int p = 0;
      for (int a = 0; a < names.size(); a++) {
        for (int b = a + 1; b < names.size(); b++, p++) {
          pairs.add(new ComparisonReport.Pair(names.get(a), names.get(b),
              samples == 0 ? 1.0 : (double) agree[p] / samples, samples - agree[p], maxAbs[p],
              elements == 0 ? 0.0 : sumAbs[p] / elements));
        }
      }
      return new ComparisonReport(dataset, samples, runners, pairs);
    }
  }

  /** Options; the dataset is required. */
  public static final class Builder {
    private Dataset dataset;
    private int batchSize = 32;
    private ProgressListener progress = ProgressListener.NONE;
    private boolean useLabels = true;

    private Builder() {}

    /**
     * Whether to score top-1 against the dataset's labels (default true; they are checked to fit
     * the model's output). False compares the outputs only.
     */
    public Builder labels(boolean value) {
      this.useLabels = value;
      return this;
    }

    public Builder dataset(Dataset value) {
      this.dataset = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder batchSize(int value) {
      Preconditions.checkArgument(value > 0, "batch size must be positive, got %s", value);
      this.batchSize = value;
      return this;
    }

    public Builder progress(ProgressListener value) {
      this.progress = Preconditions.checkNotNull(value);
      return this;
    }

    public Comparison build() {
      Preconditions.checkState(dataset != null, "Comparison needs a dataset");
      return new Comparison(this);
    }
  }
}
