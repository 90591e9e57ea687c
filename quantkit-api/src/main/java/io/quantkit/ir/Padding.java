package io.quantkit.ir;

import com.google.common.base.Preconditions;
import com.google.common.primitives.ImmutableIntArray;

/**
 * Spatial padding of a convolution or pooling window.
 *
 * <p>{@link Same} is TensorFlow/Keras "same": output = ceil(input / stride), and when the total
 * padding is odd the extra row/column goes at the end (SAME_UPPER, TensorFlow's asymmetric
 * convention) or at the beginning (SAME_LOWER). {@link #resolve} turns any padding into explicit
 * begin/end amounts once the input size is known, which is what executors use.
 *
 * <p>Thread-safety: immutable values, thread-safe.
 */
public interface Padding {

  /** Explicit pads per spatial axis; ONNX's {@code pads} = begins followed by ends. */
  record Explicit(ImmutableIntArray begins, ImmutableIntArray ends) implements Padding {
    public Explicit {
      Preconditions.checkArgument(begins.length() == ends.length(), "pads begins %s and ends %s differ in rank", begins, ends);
      for (int i = 0; i < begins.length(); i++) {
        Preconditions.checkArgument(begins.get(i) >= 0 && ends.get(i) >= 0, "negative padding %s/%s", begins, ends);
      }
    }

    public static Explicit of(int[] begins, int[] ends) {
      return new Explicit(ImmutableIntArray.copyOf(begins), ImmutableIntArray.copyOf(ends));
    }

    /** From ONNX's flat {@code pads} attribute [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
    public static Explicit fromOnnx(long[] pads) {
      Preconditions.checkArgument(pads.length % 2 == 0, "pads length %s is odd", pads.length);
      int n = pads.length / 2;
      int[] b = new int[n];
      int[] e = new int[n];
      for (int i = 0; i < n; i++) {
        b[i] = Math.toIntExact(pads[i]);
        e[i] = Math.toIntExact(pads[n + i]);
      }
      return of(b, e);
    }

    public static Explicit zeros(int spatialRank) {
      return of(new int[spatialRank], new int[spatialRank]);
    }

    public long[] toOnnx() {
      long[] out = new long[2 * begins.length()];
      for (int i = 0; i < begins.length(); i++) {
        out[i] = begins.get(i);
        out[begins.length() + i] = ends.get(i);
      }
      return out;
    }

    public boolean isZero() {
      for (int i = 0; i < begins.length(); i++) {
        if (begins.get(i) != 0 || ends.get(i) != 0) {
          return false;
        }
      }
      return true;
    }
  }

  /** "same" padding; {@code upper}: the odd extra pad goes at the end (TensorFlow). */
  record Same(boolean upper) implements Padding {}

  /** No padding. */
  record Valid() implements Padding {}

  static Padding valid() {
    return new Valid();
  }

  static Padding sameUpper() {
    return new Same(true);
  }

  /** Explicit pads for an input of spatial size {@code input}. */
  default Explicit resolve(int[] input, ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations) {
    if (this instanceof Explicit) {
      return (Explicit) this;
    }
    int n = input.length;
    if (this instanceof Valid) {
      return Explicit.zeros(n);
    }
    boolean upper = ((Same) this).upper();
    int[] b = new int[n];
    int[] e = new int[n];
    for (int i = 0; i < n; i++) {
      int effectiveKernel = (kernel.get(i) - 1) * dilations.get(i) + 1;
      int out = (input[i] + strides.get(i) - 1) / strides.get(i);
      int total = Math.max(0, (out - 1) * strides.get(i) + effectiveKernel - input[i]);
      int small = total / 2;
      b[i] = upper ? small : total - small;
      e[i] = upper ? total - small : small;
    }
    return Explicit.of(b, e);
  }
}
