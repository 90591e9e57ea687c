package io.quantkit.reference;

import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;

/**
 * A tensor while the reference executor works on it: a shape and a plain Java array, float[] for
 * FLOAT32, int[] for INT8/UINT8/INT32 (UINT8 held as 0..255), long[] for INT64. Kernels never write
 * into a Value they did not create, so arrays may be shared between values (Reshape, Flatten).
 */
final class Value {
  final DataType type;
  final Shape shape;
  /** float[], int[] or long[] depending on {@link #type}. */
  final Object data;

  private Value(DataType type, Shape shape, Object data) {
    this.type = type;
    this.shape = shape;
    this.data = data;
  }

  static Value floats(Shape shape, float[] data) {
    return new Value(DataType.FLOAT32, shape, data);
  }

  static Value ints(DataType type, Shape shape, int[] data) {
    return new Value(type, shape, data);
  }

  /** A value of the same type over another array (data movement ops). */
  static Value of(DataType type, Shape shape, Object data) {
    return new Value(type, shape, data);
  }

  static Value fromTensor(Tensor t) {
    switch (t.type()) {
      case FLOAT32:
        return floats(t.shape(), t.toFloatArray());
      case INT8:
      case UINT8: {
        ByteBuffer b = t.byteBuffer();
        int[] v = new int[t.size()];
        boolean unsigned = t.type() == DataType.UINT8;
        for (int i = 0; i < v.length; i++) {
          byte x = b.get(b.position() + i);
          v[i] = unsigned ? x & 0xFF : x;
        }
        return ints(t.type(), t.shape(), v);
      }
      case INT32: {
        IntBuffer b = t.intBuffer();
        int[] v = new int[t.size()];
        b.get(v);
        return ints(DataType.INT32, t.shape(), v);
      }
      case INT64:
        return new Value(DataType.INT64, t.shape(), t.toLongArray());
      default:
        throw new AssertionError(t.type());
    }
  }

  Tensor toTensor() {
    switch (type) {
      case FLOAT32:
        return Tensor.wrapFloats(shape, floats());
      case INT8:
      case UINT8: {
        int[] v = ints();
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
          b[i] = (byte) v[i];
        }
        return Tensor.wrapBytes(type, shape, b);
      }
      case INT32:
        return Tensor.wrapInts(shape, ints());
      case INT64:
        return Tensor.ofLongs(shape, (long[]) data);
      default:
        throw new AssertionError(type);
    }
  }

  float[] floats() {
    return (float[]) data;
  }

  int[] ints() {
    return (int[]) data;
  }

  int size() {
    return shape.size();
  }

  /** The elements as floats, converting integer types (exact for 8-bit values). */
  float[] asFloats() {
    if (data instanceof float[]) {
      return (float[]) data;
    }
    int n = size();
    float[] out = new float[n];
    if (data instanceof int[]) {
      int[] v = (int[]) data;
      for (int i = 0; i < n; i++) {
        out[i] = v[i];
      }
    } else {
      long[] v = (long[]) data;
      for (int i = 0; i < n; i++) {
        out[i] = v[i];
      }
    }
    return out;
  }

  /** A new zero-filled array of this value's storage kind and {@code n} elements. */
  static Object newArray(DataType type, int n) {
    switch (type) {
      case FLOAT32:
        return new float[n];
      case INT64:
        return new long[n];
      default:
        return new int[n];
    }
  }
}
