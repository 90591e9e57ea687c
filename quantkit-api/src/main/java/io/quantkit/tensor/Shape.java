package io.quantkit.tensor;

import com.google.common.base.Preconditions;
import java.util.Arrays;

/**
 * Immutable tensor shape. A dimension of {@link #UNKNOWN} (-1) marks a size only known at run
 * time (typically the batch); concrete tensors never carry one.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class Shape {
  public static final int UNKNOWN = -1;
  private static final Shape SCALAR = new Shape(new int[0]);

  private final int[] dims;

  private Shape(int[] dims) {
    this.dims = dims;
  }

  public static Shape of(int... dims) {
    if (dims.length == 0) {
      return SCALAR;
    }
    int[] copy = dims.clone();
    checkDims(copy);
    return new Shape(copy);
  }

  /**
   * Backends call {@link #of} on every run, so the message is built only on failure (Guava's
   * checkArgument would have formatted the dimensions eagerly, allocating on every call).
   */
  private static void checkDims(int[] dims) {
    for (int d : dims) {
      if (d < UNKNOWN) {
        throw new IllegalArgumentException("negative dimension " + d + " in " + Arrays.toString(dims));
      }
    }
  }

  public static Shape of(long... dims) {
    int[] ints = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      Preconditions.checkArgument(dims[i] <= Integer.MAX_VALUE, "dimension %s too large", dims[i]);
      ints[i] = (int) Math.max(UNKNOWN, dims[i]);
    }
    // ints is fresh and every value >= UNKNOWN: no second copy, no check.
    return ints.length == 0 ? SCALAR : new Shape(ints);
  }

  public static Shape scalar() {
    return SCALAR;
  }

  public int rank() {
    return dims.length;
  }

  public int dim(int axis) {
    return dims[axis < 0 ? axis + dims.length : axis];
  }

  public boolean isKnown() {
    for (int d : dims) {
      if (d == UNKNOWN) {
        return false;
      }
    }
    return true;
  }

  /** Number of elements; only valid for fully known shapes. */
  public int size() {
    Preconditions.checkState(isKnown(), "shape %s has unknown dimensions", this);
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    Preconditions.checkState(n <= Integer.MAX_VALUE, "shape %s has more than 2^31 elements", this);
    return (int) n;
  }

  /** Product of the dimensions from {@code from} (inclusive) to {@code to} (exclusive). */
  public int size(int from, int to) {
    long n = 1;
    for (int i = from; i < to; i++) {
      n *= dims[i];
    }
    return (int) n;
  }

  public Shape withDim(int axis, int value) {
    int[] copy = dims.clone();
    copy[axis < 0 ? axis + dims.length : axis] = value;
    return new Shape(copy);
  }

  public int[] toArray() {
    return dims.clone();
  }

  public long[] toLongArray() {
    long[] out = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      out[i] = dims[i];
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(dims[i] == UNKNOWN ? "?" : String.valueOf(dims[i]));
    }
    return sb.append(']').toString();
  }
}
