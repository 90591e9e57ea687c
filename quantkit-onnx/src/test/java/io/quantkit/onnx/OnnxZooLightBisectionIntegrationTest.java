package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.onnx.proto.Onnx.TypeProto;
import io.quantkit.onnx.proto.Onnx.ValueInfoProto;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where ONNX Runtime's fused integer kernels leave the exact QDQ arithmetic, tensor by tensor: every
 * QuantizeLinear output of the INT8 model (seeded random weights, as in
 * {@link OnnxZooLightIntegrationTest}) becomes a graph output, and one image is run with all graph
 * optimizations and with none. A QuantizeLinear output stays a node output through ORT's fusions,
 * so the two runs are compared on the same 8-bit tensors; the first tensor far off names the
 * kernel that is wrong (for ShuffleNet before the fix: the 3 -> 24 stem, then the grouped 1x1
 * convolutions with 28 output channels per group). The first stages must agree within 2 steps;
 * later ones drift by ordinary rounding differences, which the table shows.
 */
@Tag("integration")
class OnnxZooLightBisectionIntegrationTest {
  @ParameterizedTest
  @ValueSource(strings = {"light_shufflenet"})
  void fusedKernelsFollowTheQdqArithmeticTensorByTensor(String model) throws Exception {
    Path dir = Path.of(System.getProperty("quantkit.shared", "../../shared"), "real-models", "onnx-light");
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir.resolve(model + ".onnx")));
    Graph fp32 = OnnxModel.fromBytes(OnnxZooLightIntegrationTest.randomWeights(proto, 14).toByteArray(), model);
    String input = fp32.inputs().get(0).name();
    Shape shape = fp32.inputs().get(0).shape();
    Random rnd = new Random(7);
    List<Map<String, Tensor>> calib = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calib.add(Map.of(input, image(shape, rnd)));
    }
    RunnerOptions options = RunnerOptions.builder().threads(2).build();
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).perChannelWeights(true)
        .activations(QuantType.UINT8).calibSize(8).runnerOptions(options).build()
        .calibrate(fp32, CalibrationData.of(model + " random images", calib), Backends.named("onnx"));
    QuantizationResult q = Qdq.quantize(fp32, plan);
    ModelProto int8 = ModelProto.parseFrom(OnnxModel.toBytes(q.graph()));
    GraphProto.Builder g = int8.getGraph().toBuilder();
    Map<String, String> producer = new HashMap<>();
    List<String> quantized = new ArrayList<>();
    Map<String, String> quantizedFrom = new HashMap<>();
    for (NodeProto n : int8.getGraph().getNodeList()) {
      producer.put(n.getOutput(0), n.getOpType() + " '" + n.getName() + "'");
      if (n.getOpType().equals("QuantizeLinear")) {
        quantized.add(n.getOutput(0));
        quantizedFrom.put(n.getOutput(0), n.getInput(0));
        g.addOutput(ValueInfoProto.newBuilder().setName(n.getOutput(0)).setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.UINT8_VALUE))));
      }
    }
    byte[] bytes = int8.toBuilder().setGraph(g).build().toByteArray();
    float[] x = image(shape, rnd).toFloatArray();
    Map<String, byte[]> exact = run(bytes, OrtSession.SessionOptions.OptLevel.NO_OPT, input, shape, x, quantized);
    Map<String, byte[]> fused = run(bytes, OrtSession.SessionOptions.OptLevel.ALL_OPT, input, shape, x, quantized);
    int firstStagesOff = 0;
    for (int t = 0; t < quantized.size(); t++) {
      String name = quantized.get(t);
      byte[] a = exact.get(name);
      byte[] b = fused.get(name);
      int far = 0;
      int max = 0;
      for (int i = 0; i < a.length; i++) {
        int d = Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
        far += d > 2 ? 1 : 0;
        max = Math.max(max, d);
      }
      if (t < 20 && far > 0) {
        firstStagesOff++;
      }
      System.out.printf("%s %-28s from %-28s %7d values, %6d more than 2 steps off, max %3d%n", model, name,
          producer.getOrDefault(quantizedFrom.get(name), "the input"), a.length, far, max);
    }
    assertEquals(0, firstStagesOff, "tensors among the first 20 quantized ones more than 2 steps from the QDQ arithmetic");
  }

  private static Map<String, byte[]> run(byte[] model, OrtSession.SessionOptions.OptLevel level, String input, Shape shape,
      float[] x, List<String> names) throws Exception {
    OrtEnvironment env = OrtBackend.environment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(level);
      so.setIntraOpNumThreads(2);
      // as OrtBackend does: FP32 convolutions stay FP32
      so.addConfigEntry("optimization.disable_specified_optimizers", "WeightBiasQuantization");
      try (OrtSession s = env.createSession(model, so);
          OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape.toLongArray());
          OrtSession.Result r = s.run(Map.of(input, in))) {
        Map<String, byte[]> out = new HashMap<>();
        for (String t : names) {
          ByteBuffer bb = ((OnnxTensor) r.get(t).get()).getByteBuffer();
          byte[] v = new byte[bb.remaining()];
          bb.get(v);
          out.put(t, v);
        }
        return out;
      }
    }
  }

  private static Tensor image(Shape s, Random rnd) {
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextFloat();
    }
    return Tensor.wrapFloats(s, v);
  }
}
