package io.quantkit.pytorch;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tensor as a TorchScript archive stores it: element type, shape, contiguous little-endian data
 * and, for quantized tensors, the quantizer. Immutable.
 */
final class TorchTensor {
  /** PyTorch scalar types used here, with their legacy storage class names and c10 codes. */
  enum ScalarType {
    UINT8("ByteStorage", 0, 1),
    INT8("CharStorage", 1, 1),
    INT32("IntStorage", 3, 4),
    INT64("LongStorage", 4, 8),
    FLOAT32("FloatStorage", 6, 4),
    FLOAT64("DoubleStorage", 7, 8),
    QINT8("QInt8Storage", 12, 1),
    QUINT8("QUInt8Storage", 13, 1);

    final String storage;
    final int code;
    final int byteSize;

    ScalarType(String storage, int code, int byteSize) {
      this.storage = storage;
      this.code = code;
      this.byteSize = byteSize;
    }
  }

  /** Per-tensor affine (axis -1, one scale) or per-channel affine quantization of the stored integers. */
  record Quantizer(int axis, double[] scales, long[] zeroPoints) {
    boolean perChannel() {
      return axis >= 0;
    }
  }

  private final ScalarType type;
  private final long[] shape;
  private final byte[] data;
  private final Quantizer quantizer;

  private TorchTensor(ScalarType type, long[] shape, byte[] data, Quantizer quantizer) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    Preconditions.checkArgument(data.length == n * type.byteSize, "%s bytes for %s elements of %s", data.length, n, type);
    this.type = type;
    this.shape = shape.clone();
    this.data = data;
    this.quantizer = quantizer;
  }

  static TorchTensor of(ScalarType type, long[] shape, byte[] littleEndian) {
    return new TorchTensor(type, shape, littleEndian, null);
  }

  /** The tensor's values with PyTorch's matching type (float32, int8, uint8, int32, int64). */
  static TorchTensor of(Tensor t) {
    ScalarType st;
    switch (t.type()) {
      case FLOAT32: st = ScalarType.FLOAT32; break;
      case INT8: st = ScalarType.INT8; break;
      case UINT8: st = ScalarType.UINT8; break;
      case INT32: st = ScalarType.INT32; break;
      case INT64: st = ScalarType.INT64; break;
      default: throw new AssertionError(t.type());
    }
    return new TorchTensor(st, t.shape().toLongArray(), t.toLittleEndianBytes(), null);
  }

  static TorchTensor floats(long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new TorchTensor(ScalarType.FLOAT32, shape, b.array(), null);
  }

  static TorchTensor doubles(double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return new TorchTensor(ScalarType.FLOAT64, new long[] {values.length}, b.array(), null);
  }

  static TorchTensor longs(long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new TorchTensor(ScalarType.INT64, new long[] {values.length}, b.array(), null);
  }

  /** A qint8 / quint8 tensor holding {@code values} (raw integers) with the given quantizer. */
  static TorchTensor quantized(ScalarType type, long[] shape, byte[] values, Quantizer quantizer) {
    Preconditions.checkArgument(type == ScalarType.QINT8 || type == ScalarType.QUINT8, "not a quantized type: %s", type);
    return new TorchTensor(type, shape, values, quantizer);
  }

  ScalarType type() {
    return type;
  }

  long[] shape() {
    return shape.clone();
  }

  long numel() {
    return data.length / type.byteSize;
  }

  byte[] data() {
    return data;
  }

  /** Null for ordinary tensors. */
  Quantizer quantizer() {
    return quantizer;
  }

  /** Row-major strides of a contiguous tensor of this shape. */
  long[] strides() {
    long[] s = new long[shape.length];
    long acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape[i];
    }
    return s;
  }
}
