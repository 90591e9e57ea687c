/**
 * Static INT8 post-training quantization to the QDQ format, backend-neutral.
 *
 * <p>The flow, end to end:
 * <pre>{@code
 * QuantPlan plan = Calibration.builder()            // how to calibrate, what to quantize
 *     .method(CalibrationMethod.ENTROPY)
 *     .build()
 *     .calibrate(fp32, trainImages.limit(500), backend);  // statistics from any Backend
 * plan.save(Path.of("resnet8.plan.json"));             // the one artifact every backend consumes
 *
 * QuantizationResult q = Qdq.quantize(fp32, plan);    // IR -> IR: QuantizeLinear/DequantizeLinear inserted
 * Graph int8 = q.graph();                              // export to ONNX, run on any backend
 * q.warnings().forEach(System.err::println);           // what stayed FP32 and why
 * System.out.println(QdqInspector.inspect(int8).toText());
 * }</pre>
 *
 * <ul>
 *   <li>{@link io.quantkit.quant.QuantType}, {@link io.quantkit.quant.QuantParams},
 *       {@link io.quantkit.quant.QuantPlan}: the vocabulary. Plan keys are IR tensor names of the
 *       BatchNorm-folded graph ({@link io.quantkit.ir.passes.BatchNormFolding} keeps BatchNorm
 *       output names, so they are the names of the original graph).
 *   <li>{@link io.quantkit.quant.TensorStatistics}: one bounded-memory collector per tensor (min,
 *       max, zeros, a signed histogram that doubles its range exactly); never stores activations.
 *   <li>{@link io.quantkit.quant.RangeEstimator}: how an observed tensor becomes a range; the
 *       built-in ones in {@link io.quantkit.quant.RangeEstimators} (MINMAX, PERCENTILE, ENTROPY
 *       (KL), MSE), or the caller's own.
 *   <li>{@link io.quantkit.quant.CalibrationData}: what calibration feeds the model, batches keyed
 *       by graph input name (several inputs, non-image inputs); an image dataset is one adapter.
 *   <li>{@link io.quantkit.quant.QuantMath}: scale and zero point arithmetic, weights and biases.
 *   <li>{@link io.quantkit.quant.Calibration}: runs the calibration set through a backend once.
 *   <li>{@link io.quantkit.quant.Qdq}: the placement and the rewrite (see its documentation for
 *       where Q/DQ go and why).
 *   <li>{@link io.quantkit.quant.QdqInspector}: what a QDQ graph contains.
 * </ul>
 */
package io.quantkit.quant;
