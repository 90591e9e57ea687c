package io.quantkit.tensor;

/**
 * Element types a {@link Tensor} can hold.
 *
 * <p>Thread-safety: an enum; thread-safe.
 */
public enum DataType {
  FLOAT32(4),
  INT8(1),
  UINT8(1),
  INT32(4),
  INT64(8);

  private final int byteSize;

  DataType(int byteSize) {
    this.byteSize = byteSize;
  }

  public int byteSize() {
    return byteSize;
  }
}
