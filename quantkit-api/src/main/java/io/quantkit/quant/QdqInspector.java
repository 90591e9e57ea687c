package io.quantkit.quant;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.QuantizedOpGroup;
import io.quantkit.ir.passes.QuantizedOpGroup.QdqParams;
import io.quantkit.ir.passes.QuantizedOpGroups;
import io.quantkit.quant.InspectionReport.AddScales;
import io.quantkit.quant.InspectionReport.TensorQuantization;
import io.quantkit.quant.InspectionReport.WeightBytes;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a QDQ graph (made by {@link Qdq}, or imported from any other QDQ tool such as ONNX
 * Runtime's) and reports what is quantized and how; see {@link InspectionReport}. Weights and the
 * residual Adds are found through {@link QuantizedOpGroups}, the grouping backends use.
 *
 * <p>Stateless and thread-safe.
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
public final class QdqInspector {
  private QdqInspector() {}

  public static InspectionReport inspect(Graph g) {
    // The DQs that feed a weight slot, and the Adds of two dequantized inputs, come from the
    // quantized-op groups every backend uses, so the inspector and the backends agree.
    Set<String> weightDqs = new HashSet<>();
    List<AddScales> adds = new ArrayList<>();
    for (QuantizedOpGroup group : QuantizedOpGroups.find(g)) {
      Op op = group.node().op();
      boolean weighted = op instanceof Op.Conv || op instanceof Op.Gemm || op instanceof Op.MatMul;
      if (weighted && group.inputs().size() > 1) {
        group.input(1).dequantize().ifPresent(dq -> weightDqs.add(dq.name()));
      }
      if (op instanceof Op.Add && group.inputs().size() == 2 && group.allInputsDequantized()) {
        QuantizedOpGroup.Input a = group.input(0);
        QuantizedOpGroup.Input b = group.input(1);
        float sa = maxScale(a);
        float sb = maxScale(b);
        adds.add(new AddScales(group.node().name(), quantizedFrom(g, a), quantizedFrom(g, b), sa, sb,
            Math.max(sa, sb) / (double) Math.min(sa, sb)));
      }
    }
    int q = 0;
    int dq = 0;
    Map<String, Integer> ops = new TreeMap<>();
    Set<String> qparamInits = new HashSet<>();
    List<TensorQuantization> tensors = new ArrayList<>();
    for (Node n : g.nodes()) {
      ops.merge(n.op().type(), 1, Integer::sum);
      boolean isQ = n.op() instanceof Op.QuantizeLinear;
      boolean isDq = n.op() instanceof Op.DequantizeLinear;
      if (!isQ && !isDq) {
        continue;
      }
      q += isQ ? 1 : 0;
      dq += isDq ? 1 : 0;
      qparamInits.add(n.input(1));
      qparamInits.add(n.input(2));
      if (isQ) {
        tensors.add(entry(g, n, n.input(0), "ACTIVATION"));
      } else if (g.isInitializer(n.input(0))) {
        Tensor v = g.initializer(n.input(0)).orElseThrow();
        String role = v.type() == DataType.INT32 ? "BIAS" : weightDqs.contains(n.name()) ? "WEIGHT" : "CONSTANT";
        tensors.add(entry(g, n, n.input(0), role));
      }
    }
    return new InspectionReport(g.name(), g.nodes().size(), q, dq, ImmutableMap.copyOf(ops), ImmutableList.copyOf(tensors),
        ImmutableList.copyOf(adds), weightBytes(g, qparamInits));
  }

  private static TensorQuantization entry(Graph g, Node n, String tensor, String role) {
    Optional<QdqParams> p = QuantizedOpGroups.params(g, n);
    if (p.isEmpty()) {
      // parameters computed at run time: nothing to report but the type ONNX defaults to
      return new TensorQuantization(tensor, role, QuantType.UINT8, new float[] {Float.NaN}, new int[1], QuantParams.PER_TENSOR);
    }
    QdqParams params = p.get();
    int axis = params.isPerAxis() ? params.axis() : QuantParams.PER_TENSOR;
    return new TensorQuantization(tensor, role, QuantType.of(params.type()), params.scales(), params.zeroPoints(), axis);
  }

  private static float maxScale(QuantizedOpGroup.Input in) {
    float max = 0;
    for (float s : in.params().map(QdqParams::scales).orElse(new float[] {Float.NaN})) {
      max = Math.max(max, s);
    }
    return max;
  }

  /** The float tensor behind a DQ: the input of the QuantizeLinear feeding it, else the DQ's input. */
  private static String quantizedFrom(Graph g, QuantizedOpGroup.Input in) {
    String data = in.quantizedTensor().orElseThrow();
    return g.producer(data).filter(p -> p.op() instanceof Op.QuantizeLinear).map(p -> p.input(0)).orElse(data);
  }

  private static WeightBytes weightBytes(Graph g, Set<String> qparamInits) {
    long fp32 = 0;
    long stored = 0;
    long params = 0;
    int quantized = 0;
    int floats = 0;
    for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
      Tensor t = e.getValue();
      long bytes = (long) t.size() * t.type().byteSize();
      if (qparamInits.contains(e.getKey())) {
        params += bytes;
        continue;
      }
      boolean viaDq = g.consumers(e.getKey()).stream().anyMatch(c -> c.op() instanceof Op.DequantizeLinear);
      if (viaDq) {
        quantized++;
        fp32 += 4L * t.size();
        stored += bytes;
      } else if (t.type() == DataType.FLOAT32 && readByCompute(g, e.getKey())) {
        floats++;
        fp32 += bytes;
        stored += bytes;
      }
    }
    return new WeightBytes(fp32, stored, params, quantized, floats);
  }

  private static boolean readByCompute(Graph g, String init) {
    for (Node c : g.consumers(init)) {
      if (!(c.op() instanceof Op.QuantizeLinear)) {
        return true;
      }
    }
    return false;
  }
}
