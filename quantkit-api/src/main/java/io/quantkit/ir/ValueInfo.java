package io.quantkit.ir;

import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;

/**
 * A named tensor's element type and (possibly partly unknown) shape.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record ValueInfo(String name, DataType type, Shape shape) {}
