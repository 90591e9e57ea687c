package io.quantkit.ir.passes;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.ir.Node;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.util.Optional;

/**
 * One quantized operation of a QDQ graph, as {@link QuantizedOpGroups#find} reports it: a compute
 * node, the DequantizeLinear node feeding each of its inputs, and the QuantizeLinear reading its
 * output. This is the unit ONNX Runtime fuses into one integer kernel (DQ(x), DQ(w), DQ(b) -> Conv
 * -> Q(y) becomes QLinearConv), and the unit any backend needs to build integer kernels of its
 * own: for every input, whether it arrives quantized and with which scale and zero point (the
 * activation's, or the weight's per tensor or per axis), the integer constant behind weights and
 * biases, and the output's scale and zero point.
 *
 * <p>Example, the first convolution of a QDQ ResNet8:
 * <pre>
 *   x_q --DQ(s_x, z_x)--&gt; x  \
 *   w_q --DQ(s_w[16], 0)-&gt; w  --&gt; Conv --&gt; y --Q(s_y, z_y)--&gt; y_q
 *   b_q --DQ(s_x*s_w, 0)-&gt; b  /
 * </pre>
 * gives {@code node} = the Conv; {@code inputs} 0, 1, 2 with their DequantizeLinear nodes and
 * {@link QdqParams}, {@code inputs().get(1).constant()} = the INT8 weight tensor {@code w_q}; and
 * {@code output} = the QuantizeLinear with {@code (s_y, z_y)}.
 *
 * <p>A group does not claim that a backend <em>can</em> fuse it: ONNX Runtime fuses only some op
 * types and input/output types, and a float input (an input without DequantizeLinear) usually
 * prevents it. Use {@link #allInputsDequantized()} and {@link #output()} to decide.
 *
 * <p>Immutable (the tensors it refers to are the graph's own, immutable initializers).
 *
 * @param node the compute node: any node other than QuantizeLinear/DequantizeLinear with at least
 *     one input produced by a DequantizeLinear
 * @param inputs one entry per input slot of {@code node}, in slot order (empty optional inputs
 *     included, with an empty tensor name)
 * @param output the QuantizeLinear reading the node's (first) output, when exactly one does
 */
public record QuantizedOpGroup(Node node, ImmutableList<Input> inputs, Optional<Output> output) {
  public QuantizedOpGroup {
    Preconditions.checkNotNull(node, "node");
    Preconditions.checkArgument(inputs.size() == node.inputs().size(), "node %s has %s inputs, group lists %s",
        node.name(), node.inputs().size(), inputs.size());
    Preconditions.checkNotNull(output, "output");
  }

  /** The entry of input slot {@code index} ({@code 0 <= index < node().inputs().size()}). */
  public Input input(int index) {
    return inputs.get(index);
  }

  /** Whether every input the node reads (empty optional slots aside) comes from a DequantizeLinear. */
  public boolean allInputsDequantized() {
    return inputs.stream().allMatch(i -> i.tensor().isEmpty() || i.dequantize().isPresent());
  }

  /** The output's quantization, when a QuantizeLinear with constant parameters reads the output. */
  public Optional<QdqParams> outputParams() {
    return output.flatMap(Output::params);
  }

  /**
   * Scale and zero point of one QuantizeLinear or DequantizeLinear node, resolved from the graph's
   * initializers, with ONNX's semantics: {@code q = saturate(round(x / scale) + zeroPoint)} and
   * {@code x = (q - zeroPoint) * scale}.
   *
   * @param scale the FLOAT32 scale: a scalar (per tensor) or one value per index of {@code axis}
   * @param zeroPoint the zero point initializer, same shape as {@code scale}; empty when the node
   *     omits it (ONNX then means 0)
   * @param type the integer type of the quantized data: the zero point's type, else the type of
   *     the data a DequantizeLinear reads when it is known, else UINT8 (ONNX's default)
   * @param axis the node's {@code axis} attribute as written (ONNX's default is 1; it may be
   *     negative, counted from the last dimension); it matters only when {@link #isPerAxis()}
   */
  public record QdqParams(Tensor scale, Optional<Tensor> zeroPoint, DataType type, int axis) {
    public QdqParams {
      Preconditions.checkNotNull(scale, "scale");
      Preconditions.checkNotNull(zeroPoint, "zeroPoint");
      Preconditions.checkNotNull(type, "type");
      Preconditions.checkArgument(zeroPoint.isEmpty() || zeroPoint.get().size() == scale.size(),
          "%s scales but %s zero points", scale.size(), zeroPoint.map(Tensor::size).orElse(0));
    }

    /** One scale per index of {@link #axis()} (more than one scale), rather than one for the tensor. */
    public boolean isPerAxis() {
      return scale.size() > 1;
    }

    /** Number of (scale, zero point) pairs: 1 per tensor. */
    public int channels() {
      return scale.size();
    }

    /** The axis counted from the front for a tensor of {@code rank} dimensions. */
    public int axis(int rank) {
      return axis < 0 ? axis + rank : axis;
    }

    public float scale(int channel) {
      return scale.getFloat(channel);
    }

    /** Zero point of {@code channel}; 0 when the node has none. */
    public int zeroPoint(int channel) {
      return zeroPoint.map(z -> (int) z.getLong(channel)).orElse(0);
    }

    /** All scales, a copy. */
    public float[] scales() {
      return scale.toFloatArray();
    }

    /** All zero points, a copy (zeros when the node has none). */
    public int[] zeroPoints() {
      return zeroPoint.map(Tensor::toIntArray).orElseGet(() -> new int[scale.size()]);
    }
  }

  /**
   * Input slot {@code index} of the node, which reads {@code tensor}.
   *
   * @param index the slot
   * @param tensor what the node reads; empty for an omitted optional input
   * @param dequantize the DequantizeLinear producing {@code tensor}; empty for a float input, a
   *     float constant or an omitted input
   * @param params that DequantizeLinear's scale and zero point; empty without one, or when they are
   *     not constants of the graph
   * @param constant the integer initializer the DequantizeLinear reads (quantized weights, biases,
   *     constants); empty when it reads an activation (typically a QuantizeLinear's output)
   */
  public record Input(int index, String tensor, Optional<Node> dequantize, Optional<QdqParams> params,
      Optional<Tensor> constant) {
    public Input {
      Preconditions.checkNotNull(tensor, "tensor");
      Preconditions.checkNotNull(dequantize, "dequantize");
      Preconditions.checkNotNull(params, "params");
      Preconditions.checkNotNull(constant, "constant");
    }

    /** Whether a DequantizeLinear produces this input. */
    public boolean isDequantized() {
      return dequantize.isPresent();
    }

    /** The integer tensor the DequantizeLinear reads (a QuantizeLinear's output or an initializer). */
    public Optional<String> quantizedTensor() {
      return dequantize.map(dq -> dq.input(0));
    }
  }

  /**
   * The quantization of the node's output.
   *
   * @param tensor the node's (float) output tensor
   * @param quantize the QuantizeLinear reading it
   * @param params its scale and zero point; empty when they are not constants of the graph
   * @param alsoReadAsFloat whether something other than {@code quantize} reads {@code tensor} too
   *     (another node, or the graph's outputs): then the float value must exist as well, and ONNX
   *     Runtime does not fuse
   */
  public record Output(String tensor, Node quantize, Optional<QdqParams> params, boolean alsoReadAsFloat) {
    public Output {
      Preconditions.checkNotNull(tensor, "tensor");
      Preconditions.checkNotNull(quantize, "quantize");
      Preconditions.checkNotNull(params, "params");
    }

    /** The QuantizeLinear's output: the integer tensor later DequantizeLinear nodes read. */
    public String quantizedTensor() {
      return quantize.output();
    }
  }
}
