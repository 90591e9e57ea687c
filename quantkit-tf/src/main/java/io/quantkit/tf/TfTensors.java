package io.quantkit.tf;

import io.quantkit.BackendException;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * Copies between quantkit's heap tensors and TensorFlow's native tensors, and maps element types.
 *
 * <p>TensorFlow Java has no Java class for DT_INT8, so INT8 tensors cross the JVM boundary as
 * INT32 (inside the TF graph they are DT_INT8; see {@link GraphTranslator}).
 */
final class TfTensors {
  private TfTensors() {}

  /** The TensorFlow element type a graph input or output of {@code type} has at the JVM boundary. */
  static org.tensorflow.proto.DataType boundaryType(DataType type) {
    switch (type) {
      case FLOAT32: return org.tensorflow.proto.DataType.DT_FLOAT;
      case UINT8: return org.tensorflow.proto.DataType.DT_UINT8;
      case INT8:
      case INT32: return org.tensorflow.proto.DataType.DT_INT32;
      case INT64: return org.tensorflow.proto.DataType.DT_INT64;
      default: throw new AssertionError(type);
    }
  }

  /** The TensorFlow element type of an IR tensor inside the graph. */
  static org.tensorflow.proto.DataType graphType(DataType type) {
    return type == DataType.INT8 ? org.tensorflow.proto.DataType.DT_INT8 : boundaryType(type);
  }

  /** The quantkit type of a TensorFlow element type, or null when quantkit tensors cannot hold it. */
  static DataType fromTf(org.tensorflow.proto.DataType type) {
    switch (type) {
      case DT_FLOAT: return DataType.FLOAT32;
      case DT_UINT8: return DataType.UINT8;
      case DT_INT8: return DataType.INT8;
      case DT_INT32: return DataType.INT32;
      case DT_INT64: return DataType.INT64;
      default: return null;
    }
  }

  static org.tensorflow.ndarray.Shape shape(Shape s) {
    return org.tensorflow.ndarray.Shape.of(s.toLongArray());
  }

  /** A native copy of {@code t}; INT8 becomes INT32 (see the class comment). The caller closes it. */
  static org.tensorflow.Tensor toTf(Tensor t) {
    org.tensorflow.ndarray.Shape shape = shape(t.shape());
    switch (t.type()) {
      case FLOAT32:
        return TFloat32.tensorOf(shape, DataBuffers.of(t.toFloatArray(), true, false));
      case UINT8:
        return TUint8.tensorOf(shape, DataBuffers.of(t.toByteArray(), true, false));
      case INT8:
      case INT32:
        return TInt32.tensorOf(shape, DataBuffers.of(t.toIntArray(), true, false));
      case INT64:
        return TInt64.tensorOf(shape, DataBuffers.of(t.toLongArray(), true, false));
      default:
        throw new AssertionError(t.type());
    }
  }

  /**
   * A heap copy of a native tensor; {@code expected} says what quantkit type it stands for (an
   * INT32 native tensor for an INT8 output is narrowed back). Does not close {@code t}.
   */
  static Tensor fromTf(org.tensorflow.Tensor t, DataType expected, String what) {
    Shape shape = Shape.of(t.shape().asArray());
    int n = shape.size();
    org.tensorflow.proto.DataType dt = t.dataType();
    switch (dt) {
      case DT_FLOAT: {
        float[] v = new float[n];
        t.asRawTensor().data().asFloats().read(v);
        return Tensor.wrapFloats(shape, v);
      }
      case DT_UINT8: {
        byte[] v = new byte[n];
        t.asRawTensor().data().read(v);
        return Tensor.wrapBytes(DataType.UINT8, shape, v);
      }
      case DT_INT32: {
        int[] v = new int[n];
        t.asRawTensor().data().asInts().read(v);
        if (expected == DataType.INT8) {
          byte[] b = new byte[n];
          for (int i = 0; i < n; i++) {
            b[i] = (byte) v[i];
          }
          return Tensor.wrapBytes(DataType.INT8, shape, b);
        }
        return Tensor.wrapInts(shape, v);
      }
      case DT_INT64: {
        long[] v = new long[n];
        t.asRawTensor().data().asLongs().read(v);
        return Tensor.ofLongs(shape, v);
      }
      default:
        throw new BackendException(what + " is a TensorFlow " + dt + " tensor, which quantkit tensors cannot hold");
    }
  }
}
