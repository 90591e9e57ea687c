package io.quantkit.quant;

import com.google.common.base.Preconditions;
import io.quantkit.data.Dataset;
import io.quantkit.data.Datasets;

/**
 * The images an accuracy target is checked on: neither the calibration images nor the test set,
 * so the test-set figure of the chosen plan stays an honest estimate. For CIFAR-10, training
 * images after the ones calibration used (the binary batches are stored shuffled, so any
 * contiguous run is a fair sample).
 *
 * <p>Thread-safety: immutable and thread-safe.
 *
 * @param dataset the validation images
 * @param description where they come from, for reports and plan metadata
 */
public record ValidationSet(Dataset dataset, String description) {
  public ValidationSet {
    Preconditions.checkNotNull(dataset, "dataset");
    Preconditions.checkNotNull(description, "description");
  }

  /**
   * Images {@code start .. start + size - 1} of {@code train}, whose first {@code calibSize}
   * images calibrate.
   *
   * @throws IllegalArgumentException when the range overlaps the calibration images or runs past the data
   */
  public static ValidationSet afterCalibration(Dataset train, int calibSize, int start, int size) {
    Preconditions.checkArgument(size >= 1, "validation size must be >= 1, got %s", size);
    Preconditions.checkArgument(start >= calibSize, "validation images start at %s, inside the %s calibration images "
        + "of %s; start at %s or later", start, calibSize, train.name(), calibSize);
    Preconditions.checkArgument(start + (long) size <= train.size(), "validation images %s..%s run past the %s images of %s",
        start, start + size - 1, train.size(), train.name());
    int[] idx = new int[size];
    for (int i = 0; i < size; i++) {
      idx[i] = start + i;
    }
    String what = "images " + start + ".." + (start + size - 1) + " of " + train.name();
    return new ValidationSet(Datasets.subset(train, idx, train.name() + "[" + start + ":" + (start + size) + "]"),
        what + " (calibration used images 0.." + (calibSize - 1) + ")");
  }

  /** Any other image set, e.g. a held-out folder; the caller vouches that it is disjoint. */
  public static ValidationSet of(Dataset images, String description) {
    return new ValidationSet(images, description);
  }
}
