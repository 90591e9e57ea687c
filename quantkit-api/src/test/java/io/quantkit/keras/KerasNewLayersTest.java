package io.quantkit.keras;

import static io.quantkit.keras.H5Fixture.ramp;
import static io.quantkit.keras.H5Fixture.rank4;
import static io.quantkit.keras.Json.functional;
import static io.quantkit.keras.Json.input;
import static io.quantkit.keras.Json.layer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasRef.T;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layers real CNNs and audio models add to ResNet8's set (SeparableConv2D, swish, UpSampling2D,
 * GlobalMaxPooling2D, Conv1D, LeakyReLU, PReLU, Multiply, GlobalAveragePooling1D, 1-D pooling,
 * hard_sigmoid, tanh), imported from .h5 fixtures and run on the reference executor against NHWC arithmetic
 * written out here and in {@link KerasRef}.
 */
class KerasNewLayersTest {
  @TempDir
  Path dir;

  private static final float TOL = 2e-5f;

  private static float[] run(Graph g, String input, float[] x, int... shape) {
    Map<String, Tensor> out = ReferenceBackend.execute(g, Map.of(input, Tensor.wrapFloats(Shape.of(shape), x)), g.outputs());
    return out.get(g.outputs().get(0)).toFloatArray();
  }

  private static void assertClose(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, "length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], TOL * Math.max(1f, Math.abs(expected[i])), "element " + i);
    }
  }

  private static float swish(float v) {
    return (float) (v / (1 + Math.exp(-v)));
  }

  @Test
  void separableConvSwishUpSamplingAndGlobalMaxPool() {
    float[] dk = ramp(3 * 3 * 2, 0.4f, 0.2f);
    float[] pk = ramp(2 * 3, 0.7f, 0.5f);
    float[] bias = {0.1f, -0.2f, 0.3f};
    Path file = new H5Fixture().config(functional("m", List.of("x"), List.of("gmp"),
            input("x", "[null, 4, 4, 2]"),
            layer("SeparableConv2D", "sep", "'filters': 3, 'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'same',"
                + " 'data_format': 'channels_last', 'dilation_rate': [1, 1], 'depth_multiplier': 1, 'activation': 'swish',"
                + " 'use_bias': true", "x"),
            layer("UpSampling2D", "up", "'size': [2, 2], 'data_format': 'channels_last', 'interpolation': 'nearest'", "sep"),
            layer("GlobalMaxPooling2D", "gmp", "'data_format': 'channels_last'", "up")))
        .emptyLayer("x")
        .weight("sep", "depthwise_kernel", rank4(dk, 3, 3, 2, 1))
        .weight("sep", "pointwise_kernel", rank4(pk, 1, 1, 2, 3))
        .weight("sep", "bias", bias)
        .emptyLayer("up").emptyLayer("gmp")
        .write(dir.resolve("sep.h5"));
    Graph g = KerasModel.load(file);
    T x = new T(ramp(4 * 4 * 2, 2f, 0.6f), new int[] {1, 4, 4, 2});
    T y = KerasRef.conv(KerasRef.depthwise(x, dk, null, 3, 3, 1, 1, true), pk, bias, 1, 1, 3, 1, 1, 1, 1, true);
    // swish, then the maximum per channel (nearest upsampling repeats values, so it keeps the maximum)
    float[] expected = new float[3];
    java.util.Arrays.fill(expected, Float.NEGATIVE_INFINITY);
    for (int i = 0; i < y.v().length; i++) {
      expected[i % 3] = Math.max(expected[i % 3], swish(y.v()[i]));
    }
    assertClose(expected, run(g, "x", x.v(), 1, 4, 4, 2));
  }

  @Test
  void upSamplingRepeatsEachPixel() {
    Path file = new H5Fixture().config(functional("m", List.of("x"), List.of("up"),
            input("x", "[null, 2, 2, 1]"),
            layer("UpSampling2D", "up", "'size': [2, 3], 'data_format': 'channels_last', 'interpolation': 'nearest'", "x")))
        .emptyLayer("x").emptyLayer("up")
        .write(dir.resolve("up.h5"));
    Graph g = KerasModel.load(file);
    // NHWC [1, 2, 2, 1] = [[1, 2], [3, 4]] to [1, 4, 6, 1]; the graph's output is NCHW [1, 1, 4, 6], the same order here
    float[] expected = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    assertArrayEquals(expected, run(g, "x", new float[] {1, 2, 3, 4}, 1, 2, 2, 1));
  }

  @Test
  void conv1dLeakyReluPreluMultiplyAndGlobalAveragePooling1d() {
    // x [1, 3, 2] (steps, channels); Conv1D 2 filters, kernel 2, valid: out [1, 2, 2]
    float[][][] kernel = {{{1, 0}, {0, 1}}, {{1, 1}, {-1, 2}}}; // [k][cin][filters]
    float[] cb = {0.5f, -4f};
    float[][] alpha = {{0.5f, 0.25f}, {0.5f, 0.25f}}; // PReLU slope per (step, channel)
    Path file = new H5Fixture().config(functional("m", List.of("x"), List.of("gap"),
            input("x", "[null, 3, 2]"),
            layer("Conv1D", "conv", "'filters': 2, 'kernel_size': [2], 'strides': [1], 'padding': 'valid',"
                + " 'data_format': 'channels_last', 'dilation_rate': [1], 'groups': 1, 'activation': 'linear',"
                + " 'use_bias': true", "x"),
            layer("LeakyReLU", "leaky", "'alpha': 0.1", "conv"),
            layer("PReLU", "prelu", "'shared_axes': null", "conv"),
            layer("Multiply", "mul", "", "leaky", "prelu"),
            layer("GlobalAveragePooling1D", "gap", "'data_format': 'channels_last'", "mul")))
        .emptyLayer("x")
        .weight("conv", "kernel", kernel)
        .weight("conv", "bias", cb)
        .emptyLayer("leaky")
        .weight("prelu", "alpha", alpha)
        .emptyLayer("mul").emptyLayer("gap")
        .write(dir.resolve("conv1d.h5"));
    Graph g = KerasModel.load(file);
    float[] x = {1, 2, 3, -1, 0, 5}; // steps [1, 2], [3, -1], [0, 5]
    // step 0: f0 = 1*1 + 2*0 + 3*1 + (-1)*(-1) + 0.5 = 5.5; f1 = 1*0 + 2*1 + 3*1 + (-1)*2 - 4 = -1
    // step 1: f0 = 3 + 0 + 0 + (-5) + 0.5 = -1.5; f1 = 0 + (-1) + 0 + 10 - 4 = 5
    // leaky * prelu: 5.5 * 5.5 = 30.25; (-0.1) * (-0.25) = 0.025; (-0.15) * (-0.75) = 0.1125; 5 * 5 = 25
    // mean over the steps: (30.25 + 0.1125) / 2, (0.025 + 25) / 2
    assertClose(new float[] {30.3625f / 2, 25.025f / 2}, run(g, "x", x, 1, 3, 2));
  }

  @Test
  void oneDimensionalPooling() {
    Path file = new H5Fixture().config(functional("m", List.of("x"), List.of("gmp"),
            input("x", "[null, 5, 2]"),
            layer("MaxPooling1D", "mp", "'pool_size': [2], 'strides': [2], 'padding': 'same', 'data_format': 'channels_last'", "x"),
            layer("AveragePooling1D", "ap", "'pool_size': [2], 'strides': [1], 'padding': 'valid', 'data_format': 'channels_last'",
                "mp"),
            layer("GlobalMaxPooling1D", "gmp", "'data_format': 'channels_last'", "ap")))
        .emptyLayer("x").emptyLayer("mp").emptyLayer("ap").emptyLayer("gmp")
        .write(dir.resolve("pool1d.h5"));
    Graph g = KerasModel.load(file);
    // steps [1, -1], [4, 0], [2, 5], [3, 3], [0, 9]; max pool 2 "same" (3 windows, the last one step):
    // [4, 0], [3, 5], [0, 9]; average pool 2 valid: [3.5, 2.5], [1.5, 7]; global max: [3.5, 7]
    float[] x = {1, -1, 4, 0, 2, 5, 3, 3, 0, 9};
    assertClose(new float[] {3.5f, 7f}, run(g, "x", x, 1, 5, 2));
  }

  @Test
  void activationsHardSigmoidAndTanhFollowKeras2() {
    Path file = new H5Fixture().config(functional("m", List.of("x"), List.of("t"),
            input("x", "[null, 3]"),
            layer("Activation", "hs", "'activation': 'hard_sigmoid'", "x"),
            layer("Activation", "t", "'activation': 'tanh'", "hs")))
        .emptyLayer("x").emptyLayer("hs").emptyLayer("t")
        .write(dir.resolve("act.h5"));
    Graph g = KerasModel.load(file);
    // Keras 2 hard_sigmoid clip(0.2 x + 0.5, 0, 1) at -5, 0, 1: 0, 0.5, 0.7; then tanh
    assertClose(new float[] {0f, (float) Math.tanh(0.5), (float) Math.tanh(0.7)}, run(g, "x", new float[] {-5, 0, 1}, 1, 3));
  }
}
