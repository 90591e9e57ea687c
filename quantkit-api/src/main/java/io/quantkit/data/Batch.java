package io.quantkit.data;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.Tensor;

/**
 * Images and their labels. Images are NHWC float32 raw pixel values 0..255 (the ResNet8 input
 * contract); labels are class indices.
 *
 * <p>Thread-safety: safe to share for reading; the {@code labels} array is not copied, so whoever
 * makes a batch must not change it afterwards.
 */
public record Batch(Tensor images, int[] labels) {
  public Batch {
    Preconditions.checkArgument(images.shape().dim(0) == labels.length,
        "%s images but %s labels", images.shape().dim(0), labels.length);
  }

  public int size() {
    return labels.length;
  }
}
