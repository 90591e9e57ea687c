package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import io.quantkit.testing.TinyExecutor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Calibrate, quantize, execute the QDQ graph with an independent interpreter, compare with FP32. */
class EndToEndTest {
  private static final Graph NET = TestGraphs.tinyResNet(21);
  private static final Dataset CALIB = TestGraphs.randomImages("random-train", 64, 8, 8, 3, 5);
  private static final Dataset TEST = TestGraphs.randomImages("random-test", 64, 8, 8, 3, 99);

  @Test
  void quantizedNetTracksFp32WithinAFewSteps() {
    Tensor images = TEST.batch(0, TEST.size()).images();
    float[] fp32 = TinyExecutor.execute(NET, Map.of("input", images)).get("logits").toFloatArray();
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (float v : fp32) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    // one 8-bit step of the logits' own range; the logits themselves stay FP32, the error comes
    // from the quantized activations and weights before them
    float step = (hi - lo) / 255f;
    for (CalibrationMethod m : CalibrationMethod.values()) {
      QuantPlan plan = Calibration.builder().method(m).build().calibrate(NET, CALIB, new TinyExecutor());
      QuantizationResult res = Qdq.quantize(NET, plan);
      float[] int8 = TinyExecutor.execute(res.graph(), Map.of("input", images)).get("logits").toFloatArray();
      double maxErr = 0;
      double sumErr = 0;
      for (int i = 0; i < fp32.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(fp32[i] - int8[i]));
        sumErr += Math.abs(fp32[i] - int8[i]);
      }
      assertTrue(maxErr <= 4 * step, m + ": max |int8 - fp32| = " + maxErr + ", 8-bit step of the logits " + step);
      assertTrue(sumErr / fp32.length <= step, m + ": mean |int8 - fp32| = " + sumErr / fp32.length + ", step " + step);
      assertTrue(maxErr > 0, "the quantized graph must actually quantize");
    }
  }

  @Test
  void quantizeLinearOfTheGraphAgreesWithQuantMath() {
    Random r = new Random(8);
    float[] v = new float[4000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * 3);
    }
    // exact ties: k + 0.5 steps
    for (int i = 0; i < 40; i++) {
      v[i] = (i - 20) * 0.25f + 0.125f;
    }
    for (QuantParams p : List.of(QuantMath.params(new TensorRange(-1, 3), QuantType.UINT8, false),
        QuantParams.perTensor(QuantType.UINT8, 0.25f, 7), QuantParams.perTensor(QuantType.INT8, 0.25f, 0),
        QuantMath.params(new TensorRange(-5, 2), QuantType.INT8, false))) {
      Graph.Builder b = Graph.builder("q");
      b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(v.length)));
      b.initializer("s", Tensor.scalar(p.scale()));
      b.initializer("z", Tensor.ofBytes(p.type().dataType(), Shape.scalar(), (byte) p.zeroPoint()));
      b.node(Node.of("q", new Op.QuantizeLinear(1), List.of("x", "s", "z"), List.of("y")));
      b.output("y");
      Tensor graphQ = TinyExecutor.execute(b.build(), Map.of("x", Tensor.ofFloats(Shape.of(v.length), v))).get("y");
      Tensor ours = QuantMath.quantize(Tensor.ofFloats(Shape.of(v.length), v), p);
      for (int i = 0; i < v.length; i++) {
        assertEquals(graphQ.getLong(i), ours.getLong(i), "x = " + v[i] + " with " + p);
      }
    }
  }

  @Test
  void resNet8ShapedNetTracksFp32() {
    Graph net = TestGraphs.resNet8Shaped(4).withOutputs(List.of("logits"));
    Dataset calib = TestGraphs.randomImages("random-train", 12, 32, 32, 3, 6);
    Tensor images = TestGraphs.randomImages("random-test", 6, 32, 32, 3, 7).batch(0, 6).images();
    float[] fp32 = TinyExecutor.execute(net, Map.of("input_1", images)).get("logits").toFloatArray();
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (float v : fp32) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    float step = (hi - lo) / 255f;
    QuantPlan plan = Calibration.builder().batchSize(6).build().calibrate(net, calib, new TinyExecutor());
    float[] int8 = TinyExecutor.execute(Qdq.quantize(net, plan).graph(), Map.of("input_1", images)).get("logits").toFloatArray();
    double maxErr = 0;
    for (int i = 0; i < fp32.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(fp32[i] - int8[i]));
    }
    assertTrue(maxErr <= 4 * step, "max |int8 - fp32| = " + maxErr + ", 8-bit step of the logits " + step);
  }
}
