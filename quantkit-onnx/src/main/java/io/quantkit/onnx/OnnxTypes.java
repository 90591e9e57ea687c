package io.quantkit.onnx;

import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.DataType;
import java.util.Optional;

/** Maps between quantkit element types and ONNX TensorProto.DataType codes. */
final class OnnxTypes {
  private OnnxTypes() {}

  static int toOnnx(DataType type) {
    switch (type) {
      case FLOAT32: return TensorProto.DataType.FLOAT_VALUE;
      case INT8: return TensorProto.DataType.INT8_VALUE;
      case UINT8: return TensorProto.DataType.UINT8_VALUE;
      case INT32: return TensorProto.DataType.INT32_VALUE;
      case INT64: return TensorProto.DataType.INT64_VALUE;
      default: throw new AssertionError(type);
    }
  }

  static Optional<DataType> fromOnnx(int code) {
    switch (code) {
      case TensorProto.DataType.FLOAT_VALUE: return Optional.of(DataType.FLOAT32);
      case TensorProto.DataType.INT8_VALUE: return Optional.of(DataType.INT8);
      case TensorProto.DataType.UINT8_VALUE: return Optional.of(DataType.UINT8);
      case TensorProto.DataType.INT32_VALUE: return Optional.of(DataType.INT32);
      case TensorProto.DataType.INT64_VALUE: return Optional.of(DataType.INT64);
      default: return Optional.empty();
    }
  }

  /** "DOUBLE (11)", or "code 99" for codes newer than our copy of onnx.proto. */
  static String describe(int code) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(code);
    return t == null ? "unknown data_type " + code : t.name() + " (" + code + ")";
  }

  /**
   * The supported type for {@code code}, or an {@link UnsupportedDataTypeException} naming the
   * tensor and file.
   */
  static DataType require(int code, String tensorName, String where) {
    return fromOnnx(code).orElseThrow(() -> new UnsupportedDataTypeException(tensorName, code,
        where + ": tensor '" + tensorName + "' has element type " + describe(code)
            + "; quantkit supports FLOAT, UINT8, INT8, INT32 and INT64"));
  }
}
