package io.quantkit.tensor;

import com.google.common.base.Preconditions;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * An immutable, dense, row-major tensor held on the Java heap.
 *
 * <p>{@code of*} factories copy their argument; {@code wrap*} factories take ownership of the
 * array without copying (the caller must not change it afterwards), which is what backends use
 * on their hot path. Buffers handed out are read-only views, never copies.
 *
 * <p>Thread-safety: immutable and thread-safe for reading, as long as the owner of an array given to a
 * {@code wrap*} factory keeps the promise not to change it; {@link #viewOf} tensors are as stable
 * as the buffer they view.
 */
public final class Tensor {
  private final DataType type;
  private final Shape shape;
  /** FloatBuffer for FLOAT32, ByteBuffer for INT8/UINT8, IntBuffer for INT32, LongBuffer for INT64. */
  private final Buffer data;

  private Tensor(DataType type, Shape shape, Buffer data) {
    Preconditions.checkArgument(shape.isKnown(), "tensor shape must be fully known, got %s", shape);
    Preconditions.checkArgument(
        data.remaining() == shape.size(),
        "%s elements do not fill shape %s (%s elements)", data.remaining(), shape, shape.size());
    this.type = type;
    this.shape = shape;
    this.data = data;
  }

  public static Tensor ofFloats(Shape shape, float... values) {
    return wrapFloats(shape, values.clone());
  }

  public static Tensor wrapFloats(Shape shape, float[] values) {
    return new Tensor(DataType.FLOAT32, shape, FloatBuffer.wrap(values).asReadOnlyBuffer());
  }

  /**
   * A read-only view of the remaining elements of {@code values}, without copying. Only for
   * buffers that do not change while the tensor is in use, such as the outputs a backend hands to
   * {@code Runner.runScoped} for the duration of the callback.
   */
  public static Tensor viewOf(Shape shape, FloatBuffer values) {
    return new Tensor(DataType.FLOAT32, shape, values.asReadOnlyBuffer());
  }

  /** Copies the remaining elements of {@code values} (its position is left unchanged). */
  public static Tensor copyOf(Shape shape, FloatBuffer values) {
    float[] copy = new float[values.remaining()];
    values.duplicate().get(copy);
    return wrapFloats(shape, copy);
  }

  public static Tensor scalar(float value) {
    return wrapFloats(Shape.scalar(), new float[] {value});
  }

  /** INT8 or UINT8 tensor; for UINT8 the bytes are read as unsigned 0..255. */
  public static Tensor ofBytes(DataType type, Shape shape, byte... values) {
    return wrapBytes(type, shape, values.clone());
  }

  public static Tensor wrapBytes(DataType type, Shape shape, byte[] values) {
    Preconditions.checkArgument(type == DataType.INT8 || type == DataType.UINT8, "byte data needs INT8 or UINT8, not %s", type);
    return new Tensor(type, shape, ByteBuffer.wrap(values).asReadOnlyBuffer());
  }

  public static Tensor ofInts(Shape shape, int... values) {
    return wrapInts(shape, values.clone());
  }

  public static Tensor wrapInts(Shape shape, int[] values) {
    return new Tensor(DataType.INT32, shape, IntBuffer.wrap(values).asReadOnlyBuffer());
  }

  public static Tensor ofLongs(Shape shape, long... values) {
    return new Tensor(DataType.INT64, shape, LongBuffer.wrap(values.clone()).asReadOnlyBuffer());
  }

  /** Reads little-endian raw bytes (the ONNX raw_data layout) into a tensor of {@code type}. */
  public static Tensor fromLittleEndian(DataType type, Shape shape, ByteBuffer raw) {
    ByteBuffer le = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int n = shape.size();
    Preconditions.checkArgument(
        le.remaining() == (long) n * type.byteSize(),
        "%s bytes do not hold %s %s elements of shape %s", le.remaining(), n, type, shape);
    switch (type) {
      case FLOAT32: {
        float[] v = new float[n];
        le.asFloatBuffer().get(v);
        return wrapFloats(shape, v);
      }
      case INT8:
      case UINT8: {
        byte[] v = new byte[n];
        le.get(v);
        return wrapBytes(type, shape, v);
      }
      case INT32: {
        int[] v = new int[n];
        le.asIntBuffer().get(v);
        return wrapInts(shape, v);
      }
      case INT64: {
        long[] v = new long[n];
        le.asLongBuffer().get(v);
        return new Tensor(DataType.INT64, shape, LongBuffer.wrap(v).asReadOnlyBuffer());
      }
      default:
        throw new AssertionError(type);
    }
  }

  public DataType type() {
    return type;
  }

  public Shape shape() {
    return shape;
  }

  public int size() {
    return shape.size();
  }

  /** The same data seen with another shape of equal element count; no copy. */
  public Tensor reshape(Shape newShape) {
    return new Tensor(type, newShape, view());
  }

  /** Rows {@code from} (inclusive) to {@code to} (exclusive) of the first axis; no copy. */
  public Tensor sliceFirstAxis(int from, int to) {
    Preconditions.checkArgument(shape.rank() > 0 && 0 <= from && from <= to && to <= shape.dim(0),
        "slice [%s, %s) out of range for shape %s", from, to, shape);
    int row = shape.size(1, shape.rank());
    Buffer v = view();
    v.position(from * row).limit(to * row);
    return new Tensor(type, shape.withDim(0, to - from), slice(v));
  }

  public FloatBuffer floatBuffer() {
    requireType(DataType.FLOAT32);
    return (FloatBuffer) view();
  }

  public ByteBuffer byteBuffer() {
    Preconditions.checkState(type == DataType.INT8 || type == DataType.UINT8, "tensor is %s, not a byte tensor", type);
    return (ByteBuffer) view();
  }

  public IntBuffer intBuffer() {
    requireType(DataType.INT32);
    return (IntBuffer) view();
  }

  public LongBuffer longBuffer() {
    requireType(DataType.INT64);
    return (LongBuffer) view();
  }

  /**
   * Copies every element into {@code target} from index 0 on, with absolute indexing: the target's
   * position and limit stay as they are, and nothing is allocated, which is what a backend refilling
   * the same native input buffer on every call needs.
   *
   * @param target a buffer of this tensor's element type (FloatBuffer for FLOAT32, ByteBuffer for
   *     INT8 and UINT8, IntBuffer for INT32, LongBuffer for INT64), writable, holding at least
   *     {@link #size()} elements; its byte order is its own business (a direct native-order view
   *     receives the values, not the bytes)
   * @throws IllegalArgumentException when the target's type does not match or it is too small
   * @throws java.nio.ReadOnlyBufferException when the target is read-only
   */
  public void copyTo(Buffer target) {
    int n = size();
    Preconditions.checkArgument(target.capacity() >= n, "target holds %s elements, the tensor %s", target.capacity(), n);
    int from = data.position();
    switch (type) {
      case FLOAT32:
        Preconditions.checkArgument(target instanceof FloatBuffer, "a FLOAT32 tensor copies into a FloatBuffer, not %s", target);
        ((FloatBuffer) target).put(0, (FloatBuffer) data, from, n);
        break;
      case INT8:
      case UINT8:
        Preconditions.checkArgument(target instanceof ByteBuffer, "a %s tensor copies into a ByteBuffer, not %s", type, target);
        ((ByteBuffer) target).put(0, (ByteBuffer) data, from, n);
        break;
      case INT32:
        Preconditions.checkArgument(target instanceof IntBuffer, "an INT32 tensor copies into an IntBuffer, not %s", target);
        ((IntBuffer) target).put(0, (IntBuffer) data, from, n);
        break;
      case INT64:
        Preconditions.checkArgument(target instanceof LongBuffer, "an INT64 tensor copies into a LongBuffer, not %s", target);
        ((LongBuffer) target).put(0, (LongBuffer) data, from, n);
        break;
      default:
        throw new AssertionError(type);
    }
  }

  /** Element {@code i} (row-major flat index) as a float; UINT8 is read unsigned. */
  public float getFloat(int i) {
    switch (type) {
      case FLOAT32: return ((FloatBuffer) data).get(data.position() + i);
      case INT8: return ((ByteBuffer) data).get(data.position() + i);
      case UINT8: return ((ByteBuffer) data).get(data.position() + i) & 0xFF;
      case INT32: return ((IntBuffer) data).get(data.position() + i);
      case INT64: return ((LongBuffer) data).get(data.position() + i);
      default: throw new AssertionError(type);
    }
  }

  /** Element {@code i} as a long (exact for all integer types). */
  public long getLong(int i) {
    switch (type) {
      case INT8: return ((ByteBuffer) data).get(data.position() + i);
      case UINT8: return ((ByteBuffer) data).get(data.position() + i) & 0xFF;
      case INT32: return ((IntBuffer) data).get(data.position() + i);
      case INT64: return ((LongBuffer) data).get(data.position() + i);
      case FLOAT32: return (long) ((FloatBuffer) data).get(data.position() + i);
      default: throw new AssertionError(type);
    }
  }

  /** A new float array with every element converted to float (UINT8 unsigned). */
  public float[] toFloatArray() {
    if (type == DataType.FLOAT32) {
      float[] out = new float[size()];
      ((FloatBuffer) view()).get(out);
      return out;
    }
    float[] out = new float[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = getFloat(i);
    }
    return out;
  }

  public byte[] toByteArray() {
    byte[] out = new byte[size()];
    byteBuffer().get(out);
    return out;
  }

  public int[] toIntArray() {
    if (type == DataType.INT32) {
      int[] out = new int[size()];
      ((IntBuffer) view()).get(out);
      return out;
    }
    int[] out = new int[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.toIntExact(getLong(i));
    }
    return out;
  }

  public long[] toLongArray() {
    long[] out = new long[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = getLong(i);
    }
    return out;
  }

  /** The data as little-endian bytes (the ONNX raw_data layout). */
  public byte[] toLittleEndianBytes() {
    ByteBuffer out = ByteBuffer.allocate(size() * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case FLOAT32: out.asFloatBuffer().put((FloatBuffer) view()); break;
      case INT8:
      case UINT8: out.put((ByteBuffer) view()); break;
      case INT32: out.asIntBuffer().put((IntBuffer) view()); break;
      case INT64: out.asLongBuffer().put((LongBuffer) view()); break;
      default: throw new AssertionError(type);
    }
    return out.array();
  }

  private void requireType(DataType expected) {
    Preconditions.checkState(type == expected, "tensor is %s, not %s", type, expected);
  }

  private Buffer view() {
    if (data instanceof FloatBuffer) {
      return ((FloatBuffer) data).duplicate();
    } else if (data instanceof ByteBuffer) {
      return ((ByteBuffer) data).duplicate();
    } else if (data instanceof IntBuffer) {
      return ((IntBuffer) data).duplicate();
    }
    return ((LongBuffer) data).duplicate();
  }

  private static Buffer slice(Buffer b) {
    if (b instanceof FloatBuffer) {
      return ((FloatBuffer) b).slice();
    } else if (b instanceof ByteBuffer) {
      return ((ByteBuffer) b).slice();
    } else if (b instanceof IntBuffer) {
      return ((IntBuffer) b).slice();
    }
    return ((LongBuffer) b).slice();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Tensor)) {
      return false;
    }
    Tensor t = (Tensor) o;
    return type == t.type && shape.equals(t.shape) && view().equals(t.view());
  }

  @Override
  public int hashCode() {
    return 31 * shape.hashCode() + type.hashCode();
  }

  @Override
  public String toString() {
    int n = Math.min(size(), 8);
    float[] head = new float[n];
    for (int i = 0; i < n; i++) {
      head[i] = getFloat(i);
    }
    return "Tensor(" + type + " " + shape + " " + Arrays.toString(head) + (size() > n ? "...)" : ")");
  }
}
