package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.common.base.Preconditions;

/**
 * A closed real interval [min, max] that a tensor's values are mapped onto before quantization.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record TensorRange(float min, float max) {
  @JsonCreator
  public TensorRange(@JsonProperty("min") float min, @JsonProperty("max") float max) {
    Preconditions.checkArgument(Float.isFinite(min) && Float.isFinite(max) && min <= max,
        "invalid range [%s, %s]", min, max);
    this.min = min;
    this.max = max;
  }

  public float absMax() {
    return Math.max(Math.abs(min), Math.abs(max));
  }

  /** The smallest range holding both. */
  public TensorRange union(TensorRange other) {
    return new TensorRange(Math.min(min, other.min), Math.max(max, other.max));
  }
}
