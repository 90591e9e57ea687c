package io.quantkit.onnx;

import io.quantkit.ModelFormatException;

/**
 * A well-formed ONNX tensor whose element type quantkit cannot hold (DOUBLE, STRING, FLOAT16,
 * BOOL, ...). Distinct from a corrupt file so that callers can tell "valid model, outside what
 * quantkit supports" from "broken model".
 *
 * <p>Thread-safety: as {@link io.quantkit.QuantkitException}.
 */
public class UnsupportedDataTypeException extends ModelFormatException {
  private static final long serialVersionUID = 1L;
  private final String tensorName;
  private final int onnxDataType;

  public UnsupportedDataTypeException(String tensorName, int onnxDataType, String message) {
    super(message);
    this.tensorName = tensorName;
    this.onnxDataType = onnxDataType;
  }

  /** The tensor (initializer, graph input or output) with the unsupported type. */
  public String tensorName() {
    return tensorName;
  }

  /** The TensorProto.DataType code found in the file. */
  public int onnxDataType() {
    return onnxDataType;
  }
}
