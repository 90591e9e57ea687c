package io.quantkit.quant;

/** Error measures shared by the quantization tests. */
final class QuantErrors {
  private QuantErrors() {}

  /** Sum of squared differences between {@code v} and its quantize-dequantize round trip (channel 0 of {@code p}). */
  static double roundTrip(float[] v, QuantParams p) {
    double e = 0;
    for (float x : v) {
      double d = x - p.dequantize(p.quantize(x, 0), 0);
      e += d * d;
    }
    return e;
  }
}
