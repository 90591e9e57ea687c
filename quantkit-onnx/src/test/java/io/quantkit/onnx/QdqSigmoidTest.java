package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ValueInfo;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Sigmoid between quantized ops: the QDQ placement quantizes it because ONNX Runtime has an
 * integer kernel for it (QLinearSigmoid, a 256-entry table), and ORT's integer result stays within
 * one output quantization step of the reference executor's exact QDQ arithmetic.
 */
class QdqSigmoidTest {

  /** NHWC images -> conv 3x3 (8 channels) -> sigmoid -> global average pool -> [N, 8, 1, 1]. */
  private static Graph graph() {
    Random r = new Random(3);
    float[] w = new float[8 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian() * 0.01f;
    }
    return Graph.builder("sig")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 32, 32, 3)))
        .initializer("w", Tensor.wrapFloats(Shape.of(8, 3, 3, 3), w))
        .initializer("b", Tensor.ofFloats(Shape.of(8), -1, -0.5f, 0, 0.5f, 1, -2, 2, 0))
        .node(Node.of("nchw", new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), List.of("x"), List.of("xc")))
        .node(Node.of("conv", new Op.Conv(ImmutableIntArray.of(3, 3), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 1,
            Padding.sameUpper()), List.of("xc", "w", "b"), List.of("c")))
        .node(Node.of("sigmoid", new Op.Sigmoid(), List.of("c"), List.of("s")))
        .node(Node.of("gap", new Op.GlobalAveragePool(), List.of("s"), List.of("y")))
        .output("y")
        .build();
  }

  @Test
  void sigmoidRunsAsAnIntegerKernelAndAgreesWithTheReference() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    RunnerOptions options = RunnerOptions.builder().threads(2).build();
    QuantPlan plan = Calibration.builder().calibSize(64).runnerOptions(options).build()
        .calibrate(graph(), Cifar10.train(home).limit(64), Backends.named("reference"));
    QuantizationResult q = Qdq.quantize(graph(), plan);
    Map<String, Integer> ops = OrtOptimizedModel.opTypes(q.graph(), options);
    System.out.println("QDQ sigmoid graph on ORT: " + ops + ", warnings " + q.warnings());
    Tensor images = Cifar10.test(home).batch(0, 200).images();
    float[] ort;
    float[] ref;
    try (Runner o = Backends.named("onnx").compile(q.graph(), options);
        Runner r = Backends.named("reference").compile(q.graph(), options)) {
      ort = o.run(images).toFloatArray();
      ref = r.run(images).toFloatArray();
    }
    double max = 0;
    int differ = 0;
    for (int i = 0; i < ort.length; i++) {
      max = Math.max(max, Math.abs(ort[i] - ref[i]));
      differ += ort[i] != ref[i] ? 1 : 0;
    }
    System.out.println("max |ORT - reference| " + max + ", " + differ + " of " + ort.length + " differ");
    assertEquals(List.of(), q.warnings(), "Sigmoid is quantized, not kept FP32");
    assertTrue(ops.containsKey("com.microsoft.QLinearSigmoid"), "ORT fuses the QDQ Sigmoid: " + ops);
    assertFalse(ops.containsKey("Sigmoid"), "no float Sigmoid left: " + ops);
    // the output lies in [0, 1], so one quantization step is at most 1/255
    assertTrue(max <= 1.0 / 255 + 1e-6, "ORT's table differs from the exact arithmetic by more than one step: " + max);
  }
}
