package io.quantkit.keras;

import static io.quantkit.keras.H5Fixture.ramp;
import static io.quantkit.keras.H5Fixture.rank2;
import static io.quantkit.keras.H5Fixture.rank4;
import static io.quantkit.keras.Json.functional;
import static io.quantkit.keras.Json.input;
import static io.quantkit.keras.Json.layer;
import static io.quantkit.keras.Json.seqLayer;
import static io.quantkit.keras.Json.sequential;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.keras.KerasRef.T;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.Tensor;
import io.quantkit.tensor.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small Keras models written as .h5 fixtures, imported, run on the reference executor, and
 * compared with {@link KerasRef}, which computes the same layers the way Keras defines them (NHWC,
 * Keras weight layouts, TensorFlow SAME padding) without going through the IR.
 */
class KerasModelLayersTest {
  @TempDir
  Path dir;

  private static final float TOL = 2e-5f;

  // ---- Sequential (Keras 2.4 form): conv with asymmetric SAME, BN without beta, ReLU(6), Dropout, Flatten, Dense

  private static final float[] SEQ_K = ramp(3 * 2 * 2 * 3, 0.8f, 0.3f);
  private static final float[] SEQ_B = ramp(3, 0.5f, 1.1f);
  private static final float[] SEQ_GAMMA = {1.5f, 0.7f, 2.0f};
  private static final float[] SEQ_MEAN = {0.2f, -0.4f, 0.1f};
  private static final float[] SEQ_VAR = {0.5f, 2.0f, 0.05f};
  private static final float[] SEQ_FC = ramp(45 * 4, 0.3f, 2.2f);
  private static final float[] SEQ_FC_B = {0.1f, -0.2f, 0.3f, 0f};

  private H5Fixture sequentialFixture() {
    return new H5Fixture()
        .config(sequential("seq",
            input("input_x", "[null, 5, 5, 2]"),
            seqLayer("Conv2D", "conv", "'filters': 3, 'kernel_size': [3, 2], 'strides': [2, 1], 'padding': 'same',"
                + " 'data_format': 'channels_last', 'dilation_rate': [1, 1], 'groups': 1, 'activation': 'relu', 'use_bias': true"),
            seqLayer("BatchNormalization", "bn", "'axis': [3], 'epsilon': 0.01, 'center': false, 'scale': true"),
            seqLayer("ReLU", "relu6", "'max_value': 6.0, 'negative_slope': 0.0, 'threshold': 0.0"),
            seqLayer("Dropout", "drop", "'rate': 0.5"),
            seqLayer("Flatten", "flat", "'data_format': 'channels_last'"),
            seqLayer("Dense", "fc", "'units': 4, 'activation': 'softmax', 'use_bias': true")))
        .emptyLayer("input_x")
        .weight("conv", "kernel", rank4(SEQ_K, 3, 2, 2, 3))
        .weight("conv", "bias", SEQ_B)
        .weight("bn", "gamma", SEQ_GAMMA)
        .weight("bn", "moving_mean", SEQ_MEAN)
        .weight("bn", "moving_variance", SEQ_VAR)
        .emptyLayer("relu6")
        .emptyLayer("drop")
        .emptyLayer("flat")
        .weight("fc", "kernel", rank2(SEQ_FC, 45, 4))
        .weight("fc", "bias", SEQ_FC_B);
  }

  private static T sequentialExpected(T x) {
    T y = KerasRef.conv(x, SEQ_K, SEQ_B, 3, 2, 3, 2, 1, 1, 1, true);
    y = KerasRef.clip(y, 0, Double.MAX_VALUE);
    y = KerasRef.batchNorm(y, SEQ_GAMMA, null, SEQ_MEAN, SEQ_VAR, 0.01);
    y = KerasRef.clip(y, 0, 6);
    y = KerasRef.flatten(y);
    return KerasRef.softmax(KerasRef.dense(y, SEQ_FC, SEQ_FC_B, 4));
  }

  @Test
  void sequentialModelComputesWhatKerasComputes() {
    Path file = sequentialFixture().write(dir.resolve("seq.h5"));
    KerasImporter.Result r = KerasModel.importFile(file);
    Graph g = r.graph();
    assertEquals("seq", g.name());
    assertEquals("input_x", g.input().name());
    assertEquals(Shape.of(-1, 5, 5, 2), g.input().shape());
    assertEquals(List.of("fc"), g.outputs());
    assertEquals(Shape.of(-1, 45), r.kerasShapes().get("flat"));
    assertEquals(Shape.of(-1, 3, 5, 3), r.kerasShapes().get("conv"));

    List<String> nodes = new ArrayList<>();
    for (Node n : g.nodes()) {
      nodes.add(n.name() + ":" + n.op().type() + "->" + n.output());
    }
    assertEquals(List.of(
        "input_x/to_nchw:Transpose->input_x/nchw",
        "conv:Conv->conv/preact",
        "conv/relu:Relu->conv",
        "bn:BatchNormalization->bn",
        "relu6:Clip->relu6",
        "flat/to_nhwc:Transpose->flat/nhwc",
        "flat:Flatten->flat",
        "fc:Gemm->fc/preact",
        "fc/softmax:Softmax->fc"), nodes);
    assertEquals(new Op.Clip(0f, 6f), g.node("relu6").orElseThrow().op());
    // center=false: beta is a zero constant under the usual name
    assertArrayEquals(new float[3], g.initializer("bn/beta").orElseThrow().toFloatArray());
    assertEquals(Padding.sameUpper(), ((Op.Conv) g.node("conv").orElseThrow().op()).padding());

    T x = new T(ramp(2 * 5 * 5 * 2, 3f, 0.7f), new int[] {2, 5, 5, 2});
    assertClose(sequentialExpected(x), run(g, Map.of("input_x", x)).get("fc"));
  }

  @Test
  void weightsAreFoundWithoutWeightNamesAttributes() {
    Path file = sequentialFixture().withoutWeightNames().write(dir.resolve("seq-no-names.h5"));
    Graph g = KerasModel.load(file);
    T x = new T(ramp(5 * 5 * 2, 3f, 0.2f), new int[] {1, 5, 5, 2});
    assertClose(sequentialExpected(x), run(g, Map.of("input_x", x)).get("fc"));
  }

  // ---- Functional: two inputs, depthwise (multiplier 2), dilated conv, 3-way Add, Concatenate, MaxPool SAME, GAP, Dense

  @Test
  void functionalModelWithTwoInputsComputesWhatKerasComputes() {
    float[] dwK = ramp(3 * 3 * 3 * 2, 0.6f, 0.1f);
    float[] dwB = ramp(6, 0.2f, 0.9f);
    float[] pwK = ramp(3 * 6, 0.7f, 1.3f);
    float[] p2K = ramp(3 * 3 * 3 * 6, 0.4f, 2.9f);
    float[] p2B = ramp(6, 0.3f, 0.4f);
    float[] outK = ramp(12 * 2, 0.5f, 0.5f);
    float[] outB = {0.25f, -0.5f};
    String config = functional("two_in", List.of("in_a", "in_b"), List.of("out", "cat"),
        input("in_a", "[null, 4, 4, 3]"),
        input("in_b", "[null, 4, 4, 3]"),
        layer("DepthwiseConv2D", "dw", "'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'same', 'depth_multiplier': 2,"
            + " 'data_format': 'channels_last', 'dilation_rate': [1, 1], 'activation': 'linear', 'use_bias': true", "in_a"),
        layer("Conv2D", "pw", "'filters': 6, 'kernel_size': 1, 'strides': 1, 'padding': 'valid', 'use_bias': false,"
            + " 'activation': 'linear'", "in_b"),
        layer("Conv2D", "p2", "'filters': 6, 'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'same',"
            + " 'dilation_rate': [2, 2], 'use_bias': true, 'activation': 'linear'", "in_b"),
        layer("Add", "sum", "", "dw", "pw", "p2"),
        layer("Concatenate", "cat", "'axis': -1", "sum", "dw"),
        layer("MaxPooling2D", "mp", "'pool_size': [3, 3], 'strides': [2, 2], 'padding': 'same', 'data_format': 'channels_last'", "cat"),
        layer("GlobalAveragePooling2D", "gap", "'data_format': 'channels_last'", "mp"),
        layer("Dense", "out", "'units': 2, 'activation': 'linear', 'use_bias': true", "gap"));
    Path file = new H5Fixture().config(config)
        .weight("dw", "depthwise_kernel", rank4(dwK, 3, 3, 3, 2))
        .weight("dw", "bias", dwB)
        .weight("pw", "kernel", rank4(pwK, 1, 1, 3, 6))
        .weight("p2", "kernel", rank4(p2K, 3, 3, 3, 6))
        .weight("p2", "bias", p2B)
        .weight("out", "kernel", rank2(outK, 12, 2))
        .weight("out", "bias", outB)
        .write(dir.resolve("two_in.h5"));
    KerasImporter.Result r = KerasModel.importFile(file);
    Graph g = r.graph();
    assertEquals(List.of("in_a", "in_b"), List.of(g.inputs().get(0).name(), g.inputs().get(1).name()));
    // A rank-4 output is handed back in Keras's NHWC layout.
    assertEquals(List.of("out", "cat/nhwc"), g.outputs());
    assertEquals(new Op.Concat(1), g.node("cat").orElseThrow().op());
    Op.Conv dw = (Op.Conv) g.node("dw").orElseThrow().op();
    assertEquals(3, dw.groups());
    assertEquals(Shape.of(6, 1, 3, 3), g.initializer("dw/depthwise_kernel").orElseThrow().shape());
    assertEquals(ImmutableIntArray.of(2, 2), ((Op.Conv) g.node("p2").orElseThrow().op()).dilations());
    // Three-way Add becomes a chain; the last link produces the tensor named after the layer.
    assertEquals(List.of("dw", "pw"), g.node("sum").orElseThrow().inputs());
    assertEquals(List.of("sum/sum1", "p2"), g.node("sum/2").orElseThrow().inputs());
    assertEquals(List.of("sum"), g.node("sum/2").orElseThrow().outputs());
    assertEquals(2, g.nodes().stream().filter(n -> n.op() instanceof Op.Add).count());
    assertEquals("", g.node("pw").orElseThrow().input(2));
    assertEquals(Shape.of(-1, 2, 2, 12), r.kerasShapes().get("mp"));

    T a = new T(ramp(2 * 4 * 4 * 3, 2f, 0.0f), new int[] {2, 4, 4, 3});
    T b = new T(ramp(2 * 4 * 4 * 3, 2f, 5.0f), new int[] {2, 4, 4, 3});
    T dwY = KerasRef.depthwise(a, dwK, dwB, 3, 3, 2, 1, true);
    T sum = KerasRef.add(KerasRef.add(dwY, KerasRef.conv(b, pwK, null, 1, 1, 6, 1, 1, 1, 1, false)),
        KerasRef.conv(b, p2K, p2B, 3, 3, 6, 1, 1, 2, 2, true));
    T cat = KerasRef.concatLast(sum, dwY);
    T out = KerasRef.dense(KerasRef.globalAverage(KerasRef.pool(cat, 3, 2, true, true)), outK, outB, 2);
    Map<String, T> got = run(g, Map.of("in_a", a, "in_b", b));
    assertClose(out, got.get("out"));
    assertClose(cat, got.get("cat/nhwc"));
  }

  // ---- Sequential (Keras <= 2.2 form: bare layer list, batch_input_shape on the first layer):
  //      ZeroPadding2D folded into a valid conv and into a valid average pool; SAME average pool

  @Test
  void zeroPaddingIsFoldedIntoTheNextWindowOp() {
    float[] k = ramp(3 * 3 * 2 * 2, 0.5f, 0.8f);
    float[] kb = {0.5f, -1f};
    float[] fc = ramp(8 * 3, 0.4f, 1.9f);
    String config = "{'class_name': 'Sequential', 'config': ["
        + seqLayer("ZeroPadding2D", "zero_padding2d", "'batch_input_shape': [null, 5, 6, 2], 'dtype': 'float32',"
            + " 'padding': [[1, 2], [0, 1]], 'data_format': 'channels_last'") + ", "
        + seqLayer("Conv2D", "c1", "'filters': 2, 'kernel_size': [3, 3], 'strides': [2, 2], 'padding': 'valid',"
            + " 'activation': 'linear', 'use_bias': true") + ", "
        + seqLayer("AveragePooling2D", "ap", "'pool_size': [2, 2], 'strides': [1, 1], 'padding': 'same'") + ", "
        + seqLayer("ZeroPadding2D", "zp2", "'padding': [1, 1]") + ", "
        + seqLayer("AveragePooling2D", "ap2", "'pool_size': [3, 3], 'strides': [2, 2], 'padding': 'valid'") + ", "
        + seqLayer("Flatten", "fl", "") + ", "
        + seqLayer("Dense", "d", "'units': 3, 'activation': 'relu6', 'use_bias': false") + "]}";
    Path file = new H5Fixture().config(config).kerasVersion("2.1.6")
        .weight("c1", "kernel", rank4(k, 3, 3, 2, 2))
        .weight("c1", "bias", kb)
        .weight("d", "kernel", rank2(fc, 8, 3))
        .write(dir.resolve("old-seq.h5"));
    KerasImporter.Result r = KerasModel.importFile(file);
    Graph g = r.graph();
    assertEquals("zero_padding2d_input", g.input().name());
    assertEquals("keras 2.1.6", g.metadata().get("framework"));
    Op.Conv c1 = (Op.Conv) g.node("c1").orElseThrow().op();
    assertEquals(Padding.Explicit.of(new int[] {1, 0}, new int[] {2, 1}), c1.padding());
    assertEquals("zero_padding2d_input/nchw", g.node("c1").orElseThrow().input(0));
    Op.AveragePool ap = (Op.AveragePool) g.node("ap").orElseThrow().op();
    assertFalse(ap.countIncludePad());
    Op.AveragePool ap2 = (Op.AveragePool) g.node("ap2").orElseThrow().op();
    assertTrue(ap2.countIncludePad());
    assertEquals(Padding.Explicit.of(new int[] {1, 1}, new int[] {1, 1}), ap2.padding());
    assertEquals(Shape.of(-1, 2, 2, 2), r.kerasShapes().get("ap2"));

    T x = new T(ramp(5 * 6 * 2, 4f, 0.6f), new int[] {1, 5, 6, 2});
    T y = KerasRef.conv(KerasRef.zeroPad(x, 1, 2, 0, 1), k, kb, 3, 3, 2, 2, 2, 1, 1, false);
    y = KerasRef.pool(y, 2, 1, true, false);
    y = KerasRef.pool(KerasRef.zeroPad(y, 1, 1, 1, 1), 3, 2, false, false);
    y = KerasRef.clip(KerasRef.dense(KerasRef.flatten(y), fc, null, 3), 0, 6);
    assertClose(y, run(g, Map.of("zero_padding2d_input", x)).get("d"));
  }

  // ---- rank-2 input, Reshape to an image, Dense on a rank-4 tensor, Softmax layer, linear Activation

  @Test
  void reshapeAndDenseOnSpatialDataKeepKerasOrder() {
    float[] d1 = ramp(6 * 12, 0.5f, 0.1f);
    float[] ck = ramp(3 * 2, 0.9f, 0.7f);
    float[] d2 = ramp(2 * 4, 0.6f, 1.4f);
    float[] d2b = {0.1f, 0.2f, 0.3f, 0.4f};
    String config = functional("shapes", List.of("vec"), List.of("lin"),
        input("vec", "[null, 6]"),
        layer("Dense", "d1", "'units': 12, 'activation': 'linear', 'use_bias': false", "vec"),
        layer("Reshape", "rs", "'target_shape': [2, -1, 3]", "d1"),
        layer("Conv2D", "c", "'filters': 2, 'kernel_size': [1, 1], 'padding': 'valid', 'use_bias': false, 'activation': 'linear'", "rs"),
        layer("Dense", "d2", "'units': 4, 'activation': 'linear', 'use_bias': true", "c"),
        layer("Softmax", "sm", "'axis': -1", "d2"),
        layer("Flatten", "fl", "", "sm"),
        layer("Activation", "lin", "'activation': 'linear'", "fl"));
    Path file = new H5Fixture().config(config)
        .weight("d1", "kernel", rank2(d1, 6, 12))
        .weight("c", "kernel", rank4(ck, 1, 1, 3, 2))
        .weight("d2", "kernel", rank2(d2, 2, 4))
        .weight("d2", "bias", d2b)
        .write(dir.resolve("shapes.h5"));
    KerasImporter.Result r = KerasModel.importFile(file);
    Graph g = r.graph();
    assertEquals(Shape.of(-1, 6), g.input().shape());
    assertEquals("d1", g.nodes().get(0).name()); // no input transpose for a rank-2 input
    assertEquals(Shape.of(-1, 2, 2, 3), r.kerasShapes().get("rs"));
    assertEquals(new Op.Reshape(ImmutableIntArray.of(0, 2, -1, 3)), g.node("rs").orElseThrow().op());
    assertEquals(new Op.Softmax(1), g.node("sm").orElseThrow().op()); // Keras's last axis = IR channel axis
    assertEquals(List.of("fl"), g.outputs()); // a linear Activation adds nothing

    T x = new T(ramp(3 * 6, 2f, 0.3f), new int[] {3, 6});
    T y = KerasRef.reshape(KerasRef.dense(x, d1, null, 12), 2, 2, 3);
    y = KerasRef.conv(y, ck, null, 1, 1, 2, 1, 1, 1, 1, false);
    y = KerasRef.flatten(KerasRef.softmax(KerasRef.dense(y, d2, d2b, 4)));
    assertClose(y, run(g, Map.of("vec", x)).get("fl"));
  }

  @Test
  void fusedBatchNormRaisesEpsilonLikeTensorFlow() {
    String config = functional("bn", List.of("x"), List.of("bn_fused", "bn_plain"),
        input("x", "[null, 2, 2, 1]"),
        layer("BatchNormalization", "bn_fused", "'axis': -1, 'epsilon': 1e-6", "x"),
        layer("BatchNormalization", "bn_plain", "'axis': 3, 'epsilon': 1e-6, 'fused': false", "x"));
    H5Fixture f = new H5Fixture().config(config);
    for (String l : List.of("bn_fused", "bn_plain")) {
      f.weight(l, "gamma", new float[] {1f}).weight(l, "beta", new float[] {0f})
          .weight(l, "moving_mean", new float[] {0f}).weight(l, "moving_variance", new float[] {1f});
    }
    Graph g = KerasModel.load(f.write(dir.resolve("bn.h5")));
    assertEquals(new Op.BatchNorm(1.001e-5f), g.node("bn_fused").orElseThrow().op());
    assertEquals(new Op.BatchNorm(1e-6f), g.node("bn_plain").orElseThrow().op());
  }

  @Test
  void sharedLayerCallsShareWeights() {
    String config = "{'class_name': 'Model', 'config': {'name': 'shared', 'layers': ["
        + input("x", "[null, 3]") + ", "
        + "{'class_name': 'Dense', 'name': 'd', 'config': {'name': 'd', 'units': 3, 'activation': 'relu', 'use_bias': false},"
        + " 'inbound_nodes': [[['x', 0, 0, {}]], [['d', 0, 0, {}]]]}], "
        + "'input_layers': [['x', 0, 0]], 'output_layers': [['d', 1, 0]]}}";
    float[] k = {1f, -1f, 0.5f, 0.5f, 2f, -1f, 0f, 1f, 1f};
    Path file = new H5Fixture().config(config).weight("d", "kernel", rank2(k, 3, 3)).write(dir.resolve("shared.h5"));
    Graph g = KerasModel.load(file);
    assertEquals(List.of("d_call1"), g.outputs());
    assertEquals(g.node("d").orElseThrow().input(1), g.node("d_call1").orElseThrow().input(1));
    T x = new T(new float[] {1f, 2f, 3f}, new int[] {1, 3});
    T once = KerasRef.clip(KerasRef.dense(x, k, null, 3), 0, Double.MAX_VALUE);
    T twice = KerasRef.clip(KerasRef.dense(once, k, null, 3), 0, Double.MAX_VALUE);
    assertClose(twice, run(g, Map.of("x", x)).get("d_call1"));
  }

  @Test
  void sequentialWithBatchInputShapeOnItsFirstLayer() {
    // Keras 2.2/2.3 form: a named config whose first layer carries the input shape.
    String config = "{'class_name': 'Sequential', 'config': {'name': 'mlp', 'layers': ["
        + seqLayer("Dense", "dense_1", "'batch_input_shape': [null, 2], 'dtype': 'float32', 'units': 2, 'activation': 'relu',"
            + " 'use_bias': true") + "]}}";
    float[] k = {1f, -2f, 3f, 0.5f};
    Path file = new H5Fixture().config(config).kerasVersion(null)
        .weight("dense_1", "kernel", rank2(k, 2, 2)).weight("dense_1", "bias", new float[] {0.5f, 1f})
        .write(dir.resolve("mlp.h5"));
    Graph g = KerasModel.load(file);
    assertEquals("dense_1_input", g.input().name());
    assertEquals(Shape.of(-1, 2), g.input().shape());
    assertEquals("keras", g.metadata().get("framework"));
    // x = [1, 2]: [1*1 + 2*3 + 0.5, 1*-2 + 2*0.5 + 1] = [7.5, 0]
    T y = run(g, Map.of("dense_1_input", new T(new float[] {1f, 2f}, new int[] {1, 2}))).get("dense_1");
    assertArrayEquals(new float[] {7.5f, 0f}, y.v());
  }

  @Test
  void keras3InboundNodesAreUnderstood() {
    // Keras 3 writes each call as {"args": [...], "kwargs": {...}} with keras_history triples.
    String t = "{'class_name': '__keras_tensor__', 'config': {'shape': [null, 2], 'dtype': 'float32', 'keras_history': ['%s', 0, 0]}}";
    String config = "{'class_name': 'Functional', 'config': {'name': 'k3', 'layers': ["
        + "{'class_name': 'InputLayer', 'name': 'a', 'config': {'name': 'a', 'batch_shape': [null, 2], 'dtype': 'float32'}, 'inbound_nodes': []}, "
        + "{'class_name': 'InputLayer', 'name': 'b', 'config': {'name': 'b', 'batch_shape': [null, 2], 'dtype': 'float32'}, 'inbound_nodes': []}, "
        + "{'class_name': 'Add', 'name': 's', 'config': {'name': 's'}, 'inbound_nodes': [{'args': [["
        + String.format(t, "a") + ", " + String.format(t, "b") + "]], 'kwargs': {}}]}], "
        + "'input_layers': [['a', 0, 0], ['b', 0, 0]], 'output_layers': ['s', 0, 0]}}";
    Graph g = KerasModel.load(new H5Fixture().config(config).kerasVersion("3.3.3").write(dir.resolve("k3.h5")));
    assertEquals(List.of("a", "b"), g.node("s").orElseThrow().inputs());
    assertEquals(List.of("s"), g.outputs());
  }

  @Test
  void kernelTransposeMapsEveryElement() {
    // [kh=2][kw=3][in=4][out=5] with value = its own Keras index, so each OIHW slot says where it came from.
    float[] hwio = new float[2 * 3 * 4 * 5];
    for (int i = 0; i < hwio.length; i++) {
      hwio[i] = i;
    }
    float[] oihw = KerasImporter.hwioToOihw(hwio, 2, 3, 4, 5);
    for (int o = 0; o < 5; o++) {
      for (int i = 0; i < 4; i++) {
        for (int y = 0; y < 2; y++) {
          for (int x = 0; x < 3; x++) {
            assertEquals(((y * 3 + x) * 4 + i) * 5 + o, oihw[((o * 4 + i) * 2 + y) * 3 + x]);
          }
        }
      }
    }
  }

  /** The graph's outputs on the reference executor, as the oracle's arrays. */
  private static Map<String, T> run(Graph g, Map<String, T> inputs) {
    Map<String, Tensor> in = new LinkedHashMap<>();
    inputs.forEach((name, t) -> in.put(name, Tensor.wrapFloats(Shape.of(t.s()), t.v())));
    Map<String, T> out = new LinkedHashMap<>();
    ReferenceBackend.execute(g, in, g.outputs())
        .forEach((name, t) -> out.put(name, new T(t.toFloatArray(), t.shape().toArray())));
    return out;
  }

  static void assertClose(T expected, T actual) {
    assertArrayEquals(expected.s(), actual.s(), "shape");
    for (int i = 0; i < expected.v().length; i++) {
      float e = expected.v()[i];
      assertEquals(e, actual.v()[i], TOL * Math.max(1f, Math.abs(e)), "element " + i);
    }
  }
}
