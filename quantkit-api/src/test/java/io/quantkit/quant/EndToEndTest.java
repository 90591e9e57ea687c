package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Calibrate on the reference executor, quantize, run the QDQ graph on the reference executor and
 * compare with the FP32 graph; and the executor's QuantizeLinear/DequantizeLinear against
 * {@link QuantMath}, the arithmetic the plan and the weight quantization use.
 */
class EndToEndTest {
  private static final Graph NET = TestGraphs.tinyResNet(21);
  private static final Dataset CALIB = TestGraphs.randomImages("random-train", 64, 8, 8, 3, 5);
  private static final Dataset TEST = TestGraphs.randomImages("random-test", 64, 8, 8, 3, 99);

  @Test
  void quantizedNetTracksFp32WithinAFewSteps() {
    Tensor images = TEST.batch(0, TEST.size()).images();
    float[] fp32 = logits(NET, "input", images);
    // one 8-bit step of the logits' own range; the logits themselves stay FP32, the error comes
    // from the quantized activations and weights before them
    float step = eightBitStep(fp32);
    for (CalibrationMethod m : CalibrationMethod.values()) {
      QuantPlan plan = Calibration.builder().method(m).build().calibrate(NET, CALIB, new ReferenceBackend());
      QuantizationResult res = Qdq.quantize(NET, plan);
      assertTrue(res.graph().nodes().stream().anyMatch(n -> n.op() instanceof Op.QuantizeLinear), m.name());
      float[] int8 = logits(res.graph(), "input", images);
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
  void resNet8ShapedNetTracksFp32() {
    Graph net = TestGraphs.resNet8Shaped(4).withOutputs(List.of("logits"));
    Dataset calib = TestGraphs.randomImages("random-train", 12, 32, 32, 3, 6);
    Tensor images = TestGraphs.randomImages("random-test", 6, 32, 32, 3, 7).batch(0, 6).images();
    float[] fp32 = logits(net, "input_1", images);
    float step = eightBitStep(fp32);
    QuantPlan plan = Calibration.builder().batchSize(6).build().calibrate(net, calib, new ReferenceBackend());
    float[] int8 = logits(Qdq.quantize(net, plan).graph(), "input_1", images);
    double maxErr = 0;
    for (int i = 0; i < fp32.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(fp32[i] - int8[i]));
    }
    assertTrue(maxErr <= 4 * step, "max |int8 - fp32| = " + maxErr + ", 8-bit step of the logits " + step);
  }

  /**
   * Bit-exact agreement, per tensor and per axis, on random values, exact ties (k + 0.5 steps,
   * which must round to even), values whose float quotient x / scale lands on a tie although the
   * real quotient does not, signed zeros, denormals and saturating values up to infinity.
   */
  @Test
  void referenceQuantizeLinearAgreesBitExactlyWithQuantMath() {
    List<QuantParams> perTensor = List.of(
        QuantMath.params(new TensorRange(-1, 3), QuantType.UINT8, false),
        QuantMath.params(new TensorRange(-5, 2), QuantType.INT8, false),
        QuantMath.params(new TensorRange(-0.7f, 0.9f), QuantType.UINT8, true),
        QuantMath.params(new TensorRange(-0.7f, 0.9f), QuantType.INT8, true),
        QuantParams.perTensor(QuantType.UINT8, 0.25f, 7),
        QuantParams.perTensor(QuantType.INT8, 0.25f, 0),
        QuantParams.perTensor(QuantType.INT8, 0.1f, -3),
        QuantParams.perTensor(QuantType.UINT8, 3e-3f, 255));
    int ties = 0;
    for (QuantParams p : perTensor) {
      float[] v = values(p.scale(), new Random(8));
      ties += countTies(v, p.scale());
      checkQuantizeLinear(Tensor.ofFloats(Shape.of(v.length), v), p);
    }
    assertTrue(ties > 1000, "the cases must include many exact ties, got " + ties);

    // per axis: 3 channels on axis 1 of a [2, 3, n] tensor, each channel its own scale and zero point
    float[] scales = {0.25f, 0.1f, 7e-3f};
    for (QuantParams p : List.of(QuantParams.perChannel(QuantType.INT8, scales, new int[] {0, -5, 17}, 1),
        QuantParams.perChannel(QuantType.UINT8, scales, new int[] {128, 0, 255}, 1))) {
      int n = values(1f, new Random(0)).length;
      float[] v = new float[2 * 3 * n];
      for (int b = 0; b < 2; b++) {
        for (int c = 0; c < 3; c++) {
          System.arraycopy(values(scales[c], new Random(b * 3 + c)), 0, v, (b * 3 + c) * n, n);
        }
      }
      checkQuantizeLinear(Tensor.ofFloats(Shape.of(2, 3, n), v), p);
    }
  }

  /** Quantizes {@code x} with a one-node graph on the reference executor and with QuantMath; dequantizes back both ways. */
  private static void checkQuantizeLinear(Tensor x, QuantParams p) {
    int axis = p.isPerChannel() ? p.axis() : 1;
    Shape paramShape = p.isPerChannel() ? Shape.of(p.channels()) : Shape.scalar();
    byte[] zp = new byte[p.channels()];
    for (int c = 0; c < zp.length; c++) {
      zp[c] = (byte) p.zeroPoint(c);
    }
    Graph.Builder b = Graph.builder("qdq");
    b.input(new ValueInfo("x", DataType.FLOAT32, x.shape()));
    b.initializer("s", Tensor.ofFloats(paramShape, p.scales()));
    b.initializer("z", Tensor.ofBytes(p.type().dataType(), paramShape, zp));
    b.node(Node.of("q", new Op.QuantizeLinear(axis), List.of("x", "s", "z"), List.of("y")));
    b.node(Node.of("dq", new Op.DequantizeLinear(axis), List.of("y", "s", "z"), List.of("r")));
    b.output("r");
    Map<String, Tensor> got = ReferenceBackend.execute(b.build(), Map.of("x", x), List.of("y", "r"));
    Tensor graphQ = got.get("y");
    Tensor ours = QuantMath.quantize(x, p);
    assertEquals(p.type().dataType(), graphQ.type());
    assertEquals(x.shape(), graphQ.shape());
    for (int i = 0; i < x.size(); i++) {
      assertEquals(ours.getLong(i), graphQ.getLong(i), "x = " + x.getFloat(i) + " (index " + i + ") with " + p);
    }
    Tensor graphR = got.get("r");
    Tensor back = QuantMath.dequantize(ours, p);
    for (int i = 0; i < x.size(); i++) {
      assertEquals(Float.floatToIntBits(back.getFloat(i)), Float.floatToIntBits(graphR.getFloat(i)),
          "dequantized " + ours.getLong(i) + " (index " + i + ") with " + p);
    }
  }

  /** Test values for a quantizer of step {@code scale}. */
  private static float[] values(float scale, Random r) {
    List<Float> v = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      v.add((float) (r.nextGaussian() * 100 * scale));
    }
    for (int k = -300; k < 300; k++) {
      v.add((k + 0.5f) * scale); // a tie when the float product is exact, else its neighbours
      v.add(Math.nextUp((k + 0.5f) * scale));
      v.add(Math.nextDown((k + 0.5f) * scale));
    }
    for (float f : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e6f, -1e6f, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 127.5f * scale, -128.5f * scale, 255.5f * scale}) {
      v.add(f);
    }
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i);
    }
    return out;
  }

  private static int countTies(float[] v, float scale) {
    int n = 0;
    for (float x : v) {
      float q = x / scale;
      if (Float.isFinite(q) && q - (float) Math.floor(q) == 0.5f) {
        n++;
      }
    }
    return n;
  }

  private static float[] logits(Graph g, String input, Tensor images) {
    return ReferenceBackend.execute(g, Map.of(input, images), List.of("logits")).get("logits").toFloatArray();
  }

  /** One 8-bit step of the range of {@code v}. */
  private static float eightBitStep(float[] v) {
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (float x : v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    return (hi - lo) / 255f;
  }
}
