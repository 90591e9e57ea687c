package io.quantkit.playground;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.QuantType;
import java.util.List;
import java.util.Locale;

/**
 * What one run does, as the browser sends it. {@link #validate} checks every field against the
 * model and the data before anything runs.
 */
record RunSettings(
    @JsonProperty("model") String model,
    @JsonProperty("method") String method,
    @JsonProperty("activations") String activations,
    @JsonProperty("perChannel") boolean perChannel,
    @JsonProperty("exclude") List<String> exclude,
    @JsonProperty("calibImages") int calibImages,
    @JsonProperty("evalImages") int evalImages,
    @JsonProperty("backend") String backend) {

  RunSettings {
    exclude = exclude == null ? List.of() : List.copyOf(exclude);
  }

  CalibrationMethod calibrationMethod() {
    try {
      return CalibrationMethod.valueOf(String.valueOf(method).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new PlaygroundException(400, "method must be minmax, percentile, entropy or mse, not '" + method + "'");
    }
  }

  QuantType activationType() {
    switch (String.valueOf(activations).toLowerCase(Locale.ROOT)) {
      case "uint8": return QuantType.UINT8;
      case "int8": return QuantType.INT8;
      default: throw new PlaygroundException(400, "activations must be uint8 or int8, not '" + activations + "'");
    }
  }

  /** Checks ranges and names; the model's quantizable node names are what {@code exclude} may hold. */
  void validate(List<String> nodes, int calibAvailable, int testAvailable, List<String> backends) {
    calibrationMethod();
    activationType();
    if (calibImages < 1 || calibImages > calibAvailable) {
      throw new PlaygroundException(400, "calibration images must be 1.." + calibAvailable + ", not " + calibImages);
    }
    if (evalImages < 1 || evalImages > testAvailable) {
      throw new PlaygroundException(400, "evaluation images must be 1.." + testAvailable + ", not " + evalImages);
    }
    for (String n : exclude) {
      if (!nodes.contains(n)) {
        throw new PlaygroundException(400, "the model has no quantizable node '" + n + "'");
      }
    }
    if (!backends.contains(backend)) {
      throw new PlaygroundException(400, "backend must be one of " + backends + ", not '" + backend + "'");
    }
  }

  /** The calibration these settings describe (the same builder calls as {@code quantkit quantize}). */
  Calibration calibration() {
    return Calibration.builder()
        .method(calibrationMethod())
        .calibSize(calibImages)
        .perChannelWeights(perChannel)
        .activations(activationType())
        .excludeNodes(exclude)
        .build();
  }
}
