/**
 * Where INT8 loses accuracy, backend-neutral: {@link io.quantkit.quant.debug.QuantErrorAnalysis}
 * runs an FP32 graph and its QDQ version on the same images, on any
 * {@link io.quantkit.backend.Backend}, and measures every quantized tensor (SQNR, absolute error,
 * share clipped, histograms), every quantized weight (per layer and per output channel) and the
 * images whose prediction flips. {@link io.quantkit.quant.debug.QuantErrorReport} holds the result
 * and is plain JSON, so anything can plot it.
 */
package io.quantkit.quant.debug;
