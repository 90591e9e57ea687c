package io.quantkit.reference;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Padding;
import io.quantkit.tensor.Shape;
import java.util.Arrays;

/**
 * Geometry of a sliding window (convolution or pooling) over the spatial axes of an [N, C, ...]
 * tensor. 1-D and 2-D windows are padded to 3-D with leading axes of size 1, so one loop nest
 * serves every rank.
 */
final class Window {
  final int[] in = new int[3];
  final int[] out = new int[3];
  final int[] kernel = new int[3];
  final int[] stride = new int[3];
  final int[] dilation = new int[3];
  final int[] padBegin = new int[3];
  final int[] padEnd = new int[3];

  /**
   * {@code x} is the input shape, {@code y} the output shape as shape inference computed it (it
   * already accounts for ceil mode).
   */
  Window(Shape x, Shape y, ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations, Padding padding) {
    int spatial = kernel.length();
    if (spatial > 3) {
      throw new IllegalArgumentException(spatial + "-D windows are not supported (at most 3-D)");
    }
    int[] inSpatial = new int[spatial];
    for (int i = 0; i < spatial; i++) {
      inSpatial[i] = x.dim(2 + i);
    }
    Padding.Explicit pads = padding.resolve(inSpatial, kernel, strides, dilations);
    int lead = 3 - spatial;
    for (int i = 0; i < 3; i++) {
      boolean real = i >= lead;
      int s = i - lead;
      this.in[i] = real ? inSpatial[s] : 1;
      this.out[i] = real ? y.dim(2 + s) : 1;
      this.kernel[i] = real ? kernel.get(s) : 1;
      this.stride[i] = real ? strides.get(s) : 1;
      this.dilation[i] = real ? dilations.get(s) : 1;
      this.padBegin[i] = real ? pads.begins().get(s) : 0;
      this.padEnd[i] = real ? pads.ends().get(s) : 0;
    }
  }

  int inSize() {
    return in[0] * in[1] * in[2];
  }

  int outSize() {
    return out[0] * out[1] * out[2];
  }

  int kernelSize() {
    return kernel[0] * kernel[1] * kernel[2];
  }

  static ImmutableIntArray ones(int n) {
    int[] a = new int[n];
    Arrays.fill(a, 1);
    return ImmutableIntArray.copyOf(a);
  }
}
