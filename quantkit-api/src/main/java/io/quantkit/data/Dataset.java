package io.quantkit.data;

import io.quantkit.tensor.Shape;
import java.util.List;

/**
 * A fixed, ordered, labelled image set. Deterministic: the same index always gives the same image.
 * For calibration it is one adapter of {@link io.quantkit.quant.CalibrationData}.
 * Implementations are safe for concurrent use (several threads may read batches at once).
 */
public interface Dataset {

  /** Human-readable identity, e.g. "cifar10/test_batch.bin". */
  String name();

  int size();

  /**
   * Class names, in label order; unmodifiable (the SDK's datasets return an {@code ImmutableList},
   * and everything that keeps the names copies them).
   */
  List<String> classNames();

  /** Shape of one image, [H, W, C]; for data with several inputs, one sample of the first. */
  Shape imageShape();

  /** Images {@code from} (inclusive) to {@code to} (exclusive) as one batch. */
  Batch batch(int from, int to);

  /** The label (class index) of image {@code index}; the default decodes a one-image batch. */
  default int label(int index) {
    return batch(index, index + 1).labels()[0];
  }

  /** Whether the samples carry labels (class indices); an unlabelled dataset gives -1 for each. */
  default boolean labelled() {
    return true;
  }

  /** The first {@code n} images (all of them when n >= size()). */
  default Dataset limit(int n) {
    return Datasets.limit(this, n);
  }
}
