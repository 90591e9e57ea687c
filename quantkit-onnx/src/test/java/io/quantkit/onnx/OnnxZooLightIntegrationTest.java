package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationData;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ONNX model zoo's "light" architectures (opset 9, every weight a ConstantOfShape node), as
 * ONNX's own backend test runs them: imported as shipped, run on the reference executor and ONNX
 * Runtime on ONNX's test input, and compared with ONNX's expected output at ONNX's tolerances. Then
 * with seeded random weights (so that quantization has something to lose): per-channel INT8
 * weights, UINT8 activations, MinMax over 8 random images, run INT8 on ONNX Runtime; the logits'
 * SQNR against FP32 (4 other random images) must reach 25 dB, both on ONNX Runtime's fused integer
 * kernels and in the exact QDQ arithmetic.
 */
@Tag("integration")
class OnnxZooLightIntegrationTest {
  private static final RunnerOptions OPTIONS = RunnerOptions.builder().threads(2).build();

  @ParameterizedTest
  @CsvSource({"light_resnet50, 1e-3", "light_inception_v1, 1e-3", "light_shufflenet, 1e-3", "light_densenet121, 2e-3"})
  void importsAsShippedAndMatchesOnnxsExpectedOutput(String model, double rtol) throws Exception {
    Path dir = dir();
    Graph g = OnnxModel.load(dir.resolve(model + ".onnx"));
    Tensor expected = OnnxModel.loadTensor(dir.resolve(model + "_output_0.pb"));
    Shape in = g.inputs().get(0).shape();
    int n = in.size();
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) i / n;
    }
    Map<String, Tensor> inputs = Map.of(g.inputs().get(0).name(), Tensor.wrapFloats(in, x));
    for (String backend : List.of("reference", "onnx")) {
      try (Runner r = Backends.named(backend).compile(g, OPTIONS)) {
        Tensor out = r.run(inputs).get(g.outputs().get(0));
        assertEquals(expected.shape(), out.shape(), model + " on " + backend);
        int bad = 0;
        for (int i = 0; i < expected.size(); i++) {
          double e = expected.getFloat(i);
          if (!(Math.abs(out.getFloat(i) - e) <= 1e-7 + rtol * Math.abs(e))) {
            bad++;
          }
        }
        System.out.printf("%s on %s: %d of %d outputs outside ONNX's tolerance%n", model, backend, bad, expected.size());
        assertEquals(0, bad, model + " on " + backend + ": outputs outside rtol " + rtol);
      }
    }
  }

  @ParameterizedTest
  // ShuffleNet reaches it on ONNX Runtime's fused kernels because its 3 -> 24 stem and its grouped
  // convolutions with 28 output channels per group stay FP32 (QdqPlacement.integerConvProblem: ORT's
  // x86 QLinearConv is wrong for those shapes, 11 dB otherwise) and OrtBackend keeps ORT from
  // quantizing them back (WeightBiasQuantization). DenseNet-121 reaches it through
  // GraphSimplification (the Mul/Add by constants after its BatchNorms folded).
  @CsvSource({"light_resnet50, 25, 25", "light_inception_v1, 25, 25", "light_shufflenet, 25, 25",
      "light_densenet121, 25, 25"})
  void withRandomWeightsQuantizesPerChannelUint8AndKeepsItsSqnrOnOrt(String model, double exactBoundDb,
      double fusedBoundDb) throws Exception {
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir().resolve(model + ".onnx")));
    Graph fp32 = OnnxModel.fromBytes(randomWeights(proto, 14).toByteArray(), model + " (random weights)");
    String input = fp32.inputs().get(0).name();
    Shape shape = fp32.inputs().get(0).shape();
    Random rnd = new Random(7);
    List<Map<String, Tensor>> calib = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calib.add(Map.of(input, randomImage(shape, rnd)));
    }
    List<Map<String, Tensor>> test = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      test.add(Map.of(input, randomImage(shape, rnd)));
    }
    Backend ort = Backends.named("onnx");
    QuantPlan plan = Calibration.builder()
        .method(CalibrationMethod.MINMAX).perChannelWeights(true).activations(QuantType.UINT8).calibSize(8)
        .runnerOptions(OPTIONS).build()
        .calibrate(fp32, CalibrationData.of(model + " random images", calib), ort);
    QuantizationResult q = Qdq.quantize(fp32, plan);
    Graph int8 = OnnxModel.fromBytes(OnnxModel.toBytes(q.graph()), model + " int8");
    double fused = sqnr(ort, fp32, int8, test, OPTIONS);
    // Without graph optimizations ONNX Runtime runs each DequantizeLinear -> op -> QuantizeLinear in
    // float: the exact QDQ arithmetic, which the reference executor computes too.
    double exact = sqnr(ort, fp32, int8, test,
        RunnerOptions.builder().threads(2).optimization(RunnerOptions.Optimization.NONE).build());
    System.out.printf("%s random weights: INT8 (per-channel, uint8 activations) logits SQNR %.1f dB on ORT's fused"
        + " integer kernels, %.1f dB exact QDQ (ORT unoptimized); %d nodes kept FP32%n", model, fused, exact,
        q.warnings().size());
    assertTrue(exact >= exactBoundDb, model + " INT8 logits SQNR (exact QDQ) " + exact + " dB, bound " + exactBoundDb);
    assertTrue(fused >= fusedBoundDb, model + " INT8 logits SQNR (ORT fused) " + fused + " dB, bound " + fusedBoundDb);
  }

  private static double sqnr(Backend ort, Graph fp32, Graph int8, List<Map<String, Tensor>> test, RunnerOptions int8Options) {
    double signal = 0;
    double noise = 0;
    try (Runner a = ort.compile(fp32, OPTIONS); Runner b = ort.compile(int8, int8Options)) {
      for (Map<String, Tensor> t : test) {
        float[] ref = a.run(t).get(fp32.outputs().get(0)).toFloatArray();
        float[] got = b.run(t).get(int8.outputs().get(0)).toFloatArray();
        for (int i = 0; i < ref.length; i++) {
          signal += (double) ref[i] * ref[i];
          noise += (double) (ref[i] - got[i]) * (ref[i] - got[i]);
        }
      }
    }
    return 10 * Math.log10(signal / noise);
  }

  private static Path dir() {
    return Path.of(System.getProperty("quantkit.shared", "../../shared"), "real-models", "onnx-light");
  }

  private static Tensor randomImage(Shape s, Random rnd) {
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextFloat();
    }
    return Tensor.wrapFloats(s, v);
  }

  /**
   * Replaces each ConstantOfShape weight by a seeded random initializer chosen by what consumes
   * it: He-normal convolution and Gemm weights, BatchNorm statistics that keep activations near
   * unit scale, scales near 1 and offsets near 0 for Mul/Add by a constant.
   */
  static ModelProto randomWeights(ModelProto m, long seed) {
    Random rnd = new Random(seed);
    GraphProto g = m.getGraph();
    Map<String, long[]> shapes = new HashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
        shapes.put(t.getName(), TensorCodec.decode(t, "test", null).toLongArray());
      }
    }
    Map<String, String[]> consumer = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (int i = 0; i < n.getInputCount(); i++) {
        consumer.putIfAbsent(n.getInput(i), new String[] {n.getOpType(), String.valueOf(i), n.getOutput(0)});
      }
    }
    GraphProto.Builder out = g.toBuilder().clearNode();
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("Softmax") && n.getOutput(0).equals(g.getOutput(0).getName())) {
        // Random weights give large logits that saturate the softmax into a one-hot vector, on
        // which INT8 error would be invisible: the error is measured on the logits.
        out.addNode(n.toBuilder().setOpType("Identity").clearAttribute());
        continue;
      }
      if (!n.getOpType().equals("ConstantOfShape")) {
        out.addNode(n);
        continue;
      }
      long[] dims = shapes.get(n.getInput(0));
      int size = 1;
      for (long d : dims) {
        size *= (int) d;
      }
      String[] use = consumer.get(n.getOutput(0));
      while (use != null && (use[0].equals("Unsqueeze") || use[0].equals("Reshape"))) {
        use = consumer.get(use[2]);
      }
      String role = use == null ? "" : use[0] + ":" + use[1];
      TensorProto.Builder t = TensorProto.newBuilder().setName(n.getOutput(0)).setDataType(TensorProto.DataType.FLOAT_VALUE);
      for (long d : dims) {
        t.addDims(d);
      }
      for (int i = 0; i < size; i++) {
        float v;
        switch (role) {
          case "Conv:1": v = (float) (rnd.nextGaussian() * Math.sqrt(2.0 * dims[0] / size)); break;
          case "Gemm:1": v = (float) (rnd.nextGaussian() * Math.sqrt(1.0 / Math.max(dims[0], dims[1]))); break;
          case "BatchNormalization:1":
          case "BatchNormalization:4":
          case "Mul:1":
          case "Mul:0": v = 0.5f + rnd.nextFloat(); break;
          default: v = (float) (rnd.nextGaussian() * 0.1); break;
        }
        t.addFloatData(v);
      }
      out.addInitializer(t);
    }
    return m.toBuilder().setGraph(out).build();
  }
}
