package io.quantkit.examples;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.InspectionReport;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QdqInspector;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import java.nio.file.Path;

/**
 * The public API in one page: import the Keras ResNet8, measure it on ONNX Runtime, calibrate on
 * training images, quantize to QDQ, measure the cost, save the INT8 model and its plan, and read
 * the saved model back to see what it holds. Run with
 * {@code java -cp ... io.quantkit.examples.QuantizeResNet8 [out.qdq.onnx]}; the plan is written
 * beside the model as {@code resnet8.plan.json}. {@code .ci/consumer-check} compiles and runs this
 * class in a project outside the build, against the installed jars.
 *
 * <p>Thread-safety: a single-threaded example program.
 */
public final class QuantizeResNet8 {
  private QuantizeResNet8() {}

  public static void main(String[] args) {
    Graph fp32 = KerasModel.load(io.quantkit.data.QuantkitHome.fromEnvironment().resnet8Model());
    Dataset test = Cifar10.test();
    Dataset calib = Cifar10.train().limit(500);
    Backend ort = Backends.named("onnx");

    QuantPlan plan = Calibration.builder().method(CalibrationMethod.ENTROPY).perChannelWeights(true).build()
        .calibrate(fp32, calib, ort);
    QuantizationResult int8 = Qdq.quantize(fp32, plan);

    try (Runner fp32Runner = ort.compile(fp32); Runner int8Runner = ort.compile(int8.graph())) {
      AccuracyReport base = Evaluation.builder().dataset(test).build().run(fp32Runner);
      AccuracyReport q = Evaluation.builder().dataset(test).baseline(base).build().run(int8Runner);
      System.out.printf("FP32 top-1 %.2f %%, INT8 top-1 %.2f %% (%+.2f pt, %d flipped predictions)%n",
          100 * base.top1(), 100 * q.top1(), 0.0 - q.dropPoints(), q.flips());
    }
    Path out = Path.of(args.length > 0 ? args[0] : "resnet8.qdq.onnx").toAbsolutePath();
    OnnxModel.save(int8.graph(), out);
    Path planFile = out.resolveSibling("resnet8.plan.json");
    plan.save(planFile);
    InspectionReport saved = QdqInspector.inspect(OnnxModel.load(out));
    System.out.printf("wrote %s (%d QuantizeLinear, %d DequantizeLinear) and %s (%s, %d tensors)%n", out,
        saved.quantizeLinear(), saved.dequantizeLinear(), planFile, QuantPlan.load(planFile).calibration().estimator(),
        QuantPlan.load(planFile).size());
  }
}
