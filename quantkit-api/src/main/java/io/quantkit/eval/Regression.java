package io.quantkit.eval;

import com.google.common.base.Preconditions;
import io.quantkit.BackendException;
import io.quantkit.DatasetException;
import io.quantkit.backend.Runner;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures a model without classes (a regression model, an autoencoder) by how close its outputs
 * are to a reference: {@link #run} compares runners with the first (FP32 against INT8, one model
 * on two backends), output by output; {@link #reconstruction} compares an autoencoder's output
 * with its own input. Sums are streamed, so no outputs are kept. The result is a
 * {@link RegressionReport}.
 *
 * <p>Thread-safety: immutable and reusable; as thread-safe as the runners. Its {@link Builder} is
 * not thread-safe.
 */
public final class Regression {
  private final Dataset dataset;
  private final int batchSize;
  private final ProgressListener progress;

  private Regression(Builder b) {
    this.dataset = b.dataset;
    this.batchSize = b.batchSize;
    this.progress = b.progress;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Every sample through each runner; each runner after the first is compared with the first on
   * every output the first gives. Keys are display names, in the map's order.
   */
  public RegressionReport run(Map<String, ? extends Runner> runners) {
    Preconditions.checkArgument(runners.size() >= 2, "compare at least two runners, got %s", runners.keySet());
    List<String> names = new ArrayList<>(runners.keySet());
    Map<String, Sums> sums = new LinkedHashMap<>();
    int total = checkedSize();
    progress.onProgress(0, total);
    for (int from = 0; from < total; from += batchSize) {
      int to = Math.min(total, from + batchSize);
      Batch batch = dataset.batch(from, to);
      Runner ref = runners.get(names.get(0));
      Map<String, Tensor> expected = Feeds.run(ref, names.get(0), batch, from, dataset);
      for (int r = 1; r < names.size(); r++) {
        Runner other = runners.get(names.get(r));
        Map<String, Tensor> got = Feeds.run(other, names.get(r), batch, from, dataset);
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
          Tensor x = got.get(e.getKey());
          if (x == null && got.size() == 1 && expected.size() == 1) {
            x = got.values().iterator().next();
          }
          if (x == null) {
            throw new BackendException(names.get(r) + " gives outputs " + got.keySet() + " but no '" + e.getKey() + "' as "
                + names.get(0) + " does");
          }
          sums.computeIfAbsent(names.get(r) + "\u0000" + e.getKey(), k -> new Sums()).add(e.getValue(), x, e.getKey());
        }
      }
      progress.onProgress(to, total);
    }
    List<RegressionReport.Entry> entries = new ArrayList<>();
    sums.forEach((k, s) -> {
      int cut = k.indexOf('\u0000');
      entries.add(s.entry(names.get(0), k.substring(0, cut), k.substring(cut + 1)));
    });
    return new RegressionReport(dataset.name(), total, entries);
  }

  /**
   * An autoencoder's reconstruction error: each output compared with the model input of the same
   * shape (the input is the reference).
   *
   * @throws DatasetException when no input has an output's shape
   */
  public RegressionReport reconstruction(Runner runner, String name) {
    Map<String, Sums> sums = new LinkedHashMap<>();
    int total = checkedSize();
    progress.onProgress(0, total);
    for (int from = 0; from < total; from += batchSize) {
      int to = Math.min(total, from + batchSize);
      Batch batch = dataset.batch(from, to);
      Map<String, Tensor> got = Feeds.run(runner, name, batch, from, dataset);
      for (Map.Entry<String, Tensor> e : got.entrySet()) {
        Tensor input = batch.inputs().values().stream().filter(t -> t.shape().equals(e.getValue().shape())).findFirst()
            .orElseThrow(() -> new DatasetException("output '" + e.getKey() + "' has shape " + e.getValue().shape()
                + " but no input has it: not an autoencoder, so there is nothing to reconstruct"));
        sums.computeIfAbsent(e.getKey(), k -> new Sums()).add(input, e.getValue(), e.getKey());
      }
      progress.onProgress(to, total);
    }
    List<RegressionReport.Entry> entries = new ArrayList<>();
    sums.forEach((k, s) -> entries.add(s.entry("input", name, k)));
    return new RegressionReport(dataset.name(), total, entries);
  }

  private int checkedSize() {
    int total = dataset.size();
    if (total == 0) {
      throw new DatasetException("dataset " + dataset.name() + " has no samples: nothing to measure");
    }
    return total;
  }

  /** Streaming sums of one output pair. */
  private static final class Sums {
    double signal;
    double noise;
    double maxAbs;
    double sumAbs;
    long elements;

    void add(Tensor reference, Tensor x, String output) {
      if (!reference.shape().equals(x.shape())) {
        throw new BackendException("output '" + output + "' has shape " + x.shape() + " where the reference has "
            + reference.shape());
      }
      float[] a = reference.toFloatArray();
      float[] b = x.toFloatArray();
      for (int i = 0; i < a.length; i++) {
        double d = (double) a[i] - b[i];
        signal += (double) a[i] * a[i];
        noise += d * d;
        double abs = Math.abs(d);
        sumAbs += abs;
        if (abs > maxAbs || Double.isNaN(abs)) {
          maxAbs = abs;
        }
      }
      elements += a.length;
    }

    RegressionReport.Entry entry(String reference, String candidate, String output) {
      Double sqnr = noise == 0 ? null : 10 * Math.log10(signal / noise);
      double rel = signal == 0 ? (noise == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(noise / signal);
      return new RegressionReport.Entry(reference, candidate, output, sqnr, rel, maxAbs,
          elements == 0 ? 0 : sumAbs / elements);
    }
  }

  /** Options; the dataset is required. */
  public static final class Builder {
    private Dataset dataset;
    private int batchSize = 32;
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

    public Builder progress(ProgressListener value) {
      this.progress = Preconditions.checkNotNull(value);
      return this;
    }

    public Regression build() {
      Preconditions.checkState(dataset != null, "Regression needs a dataset");
      return new Regression(this);
    }
  }
}
