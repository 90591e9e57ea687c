package io.quantkit.data;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.Tensor;

/**
 * Images and their labels. Images are NHWC float32 raw pixel values 0..255 (the ResNet8 input
 * contract); labels are class indices.
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
