package io.quantkit.onnx;

import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;

/**
 * What is statically known of a tensor: its element type and shape, each possibly unknown (null);
 * a known shape may still have unknown ({@link Shape#UNKNOWN}) dimensions.
 */
record TypeShape(DataType type, Shape shape) {
  static final TypeShape UNKNOWN = new TypeShape(null, null);

  boolean hasRank() {
    return shape != null;
  }

  int rank() {
    return shape.rank();
  }
}
