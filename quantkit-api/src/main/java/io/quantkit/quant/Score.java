package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A quantized model's result on an image set against its FP32 original: images, correct top-1
 * predictions, flipped predictions (top-1 differs from FP32's) and output SQNR in dB (infinite
 * when the outputs are identical).
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record Score(
    @JsonProperty("images") int images,
    @JsonProperty("correct") int correct,
    @JsonProperty("flips") int flips,
    @JsonIgnore double sqnrDb) {

  /** {@link #sqnrDb()} for JSON: null when infinite (identical outputs). */
  @JsonProperty("sqnrDb")
  public Double sqnrDbOrNull() {
    return Double.isFinite(sqnrDb) ? sqnrDb : null;
  }

  /** Top-1 accuracy in percent. */
  @JsonIgnore
  public double accuracyPercent() {
    return 100.0 * correct / images;
  }

  /** Agreement with the FP32 model's top-1 in percent. */
  @JsonIgnore
  public double agreementPercent() {
    return 100.0 * (images - flips) / images;
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%.2f %% top-1, %d flips, %.2f dB", accuracyPercent(), flips, sqnrDb);
  }
}
