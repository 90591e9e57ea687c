package io.quantkit.quant;

import io.quantkit.BackendException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;

/**
 * One model's first output on every image of a set, with the labels: what sensitivity and
 * fallback compare (accuracy, flipped predictions, output SQNR).
 */
final class ModelOutputs {
  final float[] values;
  final int[] labels;
  final int classes;
  final int[] predictions;

  private ModelOutputs(float[] values, int[] labels, int classes) {
    this.values = values;
    this.labels = labels;
    this.classes = classes;
    this.predictions = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (values[i * classes + c] > values[i * classes + best]) {
          best = c;
        }
      }
      predictions[i] = best;
    }
  }

  static ModelOutputs run(Graph g, Dataset data, Backend backend, RunnerOptions options, int batchSize) {
    int n = data.size();
    float[] values = null;
    int[] labels = new int[n];
    int classes = -1;
    try (Runner runner = backend.compile(g, options)) {
      for (int from = 0; from < n; from += batchSize) {
        int to = Math.min(n, from + batchSize);
        Batch b = data.batch(from, to);
        Tensor out = runner.run(b.images());
        if (classes < 0) {
          classes = out.size() / (to - from);
          values = new float[n * classes];
        }
        if (out.size() != (to - from) * classes) {
          throw new BackendException(backend.name() + " returned shape " + out.shape() + " for images " + from + ".." + (to - 1)
              + " of " + data.name());
        }
        out.floatBuffer().get(values, from * classes, (to - from) * classes);
        System.arraycopy(b.labels(), 0, labels, from, to - from);
      }
    }
    return new ModelOutputs(values, labels, classes);
  }

  int correct() {
    int k = 0;
    for (int i = 0; i < labels.length; i++) {
      k += predictions[i] == labels[i] ? 1 : 0;
    }
    return k;
  }

  int flipsAgainst(ModelOutputs baseline) {
    int k = 0;
    for (int i = 0; i < labels.length; i++) {
      k += predictions[i] != baseline.predictions[i] ? 1 : 0;
    }
    return k;
  }

  /** SQNR in dB of these outputs against {@code baseline}'s; infinite when identical. */
  double sqnrDbAgainst(ModelOutputs baseline) {
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < values.length; i++) {
      double d = values[i] - baseline.values[i];
      signal += (double) baseline.values[i] * baseline.values[i];
      noise += d * d;
    }
    return noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
  }

  /** Accuracy, flips and SQNR against {@code baseline}. */
  Score score(ModelOutputs baseline) {
    return new Score(labels.length, correct(), flipsAgainst(baseline), sqnrDbAgainst(baseline));
  }
}
