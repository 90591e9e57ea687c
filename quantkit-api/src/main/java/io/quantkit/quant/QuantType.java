package io.quantkit.quant;

import io.quantkit.tensor.DataType;

/**
 * Integer types a tensor can be quantized to, with their representable range.
 *
 * <p>Thread-safety: an enum; thread-safe.
 */
public enum QuantType {
  /** Signed 8 bit, [-128, 127]; weights and (optionally) activations. */
  INT8(-128, 127, DataType.INT8),
  /** Unsigned 8 bit, [0, 255]; the default for activations (ONNX Runtime's u8s8 kernels). */
  UINT8(0, 255, DataType.UINT8),
  /** Signed 32 bit; biases, whose scale is input scale x weight scale. */
  INT32(Integer.MIN_VALUE, Integer.MAX_VALUE, DataType.INT32);

  private final long qmin;
  private final long qmax;
  private final DataType dataType;

  QuantType(long qmin, long qmax, DataType dataType) {
    this.qmin = qmin;
    this.qmax = qmax;
    this.dataType = dataType;
  }

  public long qmin() {
    return qmin;
  }

  public long qmax() {
    return qmax;
  }

  /** The element type of a tensor holding values of this type. */
  public DataType dataType() {
    return dataType;
  }

  public static QuantType of(DataType type) {
    for (QuantType q : values()) {
      if (q.dataType == type) {
        return q;
      }
    }
    throw new IllegalArgumentException("no quantized type for " + type);
  }
}
