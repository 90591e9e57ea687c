package io.quantkit.data;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Images and their labels. Images are NHWC float32 raw pixel values 0..255 (the ResNet8 input
 * contract); labels are class indices. Immutable: the labels are copied in and out.
 *
 * <p>Thread-safety: immutable, safe to share between threads.
 */
public final class Batch {
  private final Tensor images;
  private final int[] labels;

  public Batch(Tensor images, int[] labels) {
    Preconditions.checkNotNull(images, "images");
    Preconditions.checkNotNull(labels, "labels");
    Preconditions.checkArgument(images.shape().dim(0) == labels.length,
        "%s images but %s labels", images.shape().dim(0), labels.length);
    this.images = images;
    this.labels = labels.clone();
  }

  public Tensor images() {
    return images;
  }

  /** The class index of every image, in order (a copy). */
  public int[] labels() {
    return labels.clone();
  }

  /** The class index of image {@code i}. */
  public int label(int i) {
    return labels[i];
  }

  public int size() {
    return labels.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Batch b && images.equals(b.images) && Arrays.equals(labels, b.labels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(images, Arrays.hashCode(labels));
  }

  @Override
  public String toString() {
    return "Batch(" + images.shape() + ", " + labels.length + " labels)";
  }
}
