package io.quantkit.quant;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
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
 * Runtime's) and reports what is quantized and how; see {@link InspectionReport}.
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
public final class QdqInspector {
  private QdqInspector() {}

  public static InspectionReport inspect(Graph g) {
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
      int axis = isQ ? ((Op.QuantizeLinear) n.op()).axis() : ((Op.DequantizeLinear) n.op()).axis();
      if (isQ) {
        tensors.add(entry(g, n, n.input(0), "ACTIVATION", axis));
      } else if (g.isInitializer(n.input(0))) {
        Tensor v = g.initializer(n.input(0)).orElseThrow();
        String role = v.type() == DataType.INT32 ? "BIAS" : feedsWeightSlot(g, n.output()) ? "WEIGHT" : "CONSTANT";
        tensors.add(entry(g, n, n.input(0), role, axis));
      }
    }
    List<AddScales> adds = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (!(n.op() instanceof Op.Add)) {
        continue;
      }
      Optional<Node> a = g.producer(n.input(0)).filter(p -> p.op() instanceof Op.DequantizeLinear);
      Optional<Node> b = g.producer(n.input(1)).filter(p -> p.op() instanceof Op.DequantizeLinear);
      if (a.isEmpty() || b.isEmpty()) {
        continue;
      }
      float sa = maxScale(g, a.get());
      float sb = maxScale(g, b.get());
      adds.add(new AddScales(n.name(), quantizedFrom(g, a.get()), quantizedFrom(g, b.get()), sa, sb,
          Math.max(sa, sb) / (double) Math.min(sa, sb)));
    }
    return new InspectionReport(g.name(), g.nodes().size(), q, dq, ImmutableMap.copyOf(ops), ImmutableList.copyOf(tensors),
        ImmutableList.copyOf(adds), weightBytes(g, qparamInits));
  }

  private static boolean feedsWeightSlot(Graph g, String tensor) {
    for (Node c : g.consumers(tensor)) {
      boolean weighted = c.op() instanceof Op.Conv || c.op() instanceof Op.Gemm || c.op() instanceof Op.MatMul;
      if (weighted && c.inputs().indexOf(tensor) == 1) {
        return true;
      }
    }
    return false;
  }

  private static TensorQuantization entry(Graph g, Node n, String tensor, String role, int axis) {
    float[] scales = g.initializer(n.input(1)).map(Tensor::toFloatArray).orElse(new float[] {Float.NaN});
    Optional<Tensor> zp = n.input(2).isEmpty() ? Optional.empty() : g.initializer(n.input(2));
    // ONNX: a missing zero point means UINT8 0 (for QuantizeLinear; DequantizeLinear takes x's type)
    QuantType type = zp.map(t -> QuantType.of(t.type())).orElseGet(() -> n.op() instanceof Op.DequantizeLinear
        ? g.initializer(n.input(0)).map(t -> QuantType.of(t.type())).orElse(QuantType.UINT8) : QuantType.UINT8);
    int[] zps = zp.map(Tensor::toIntArray).orElse(new int[scales.length]);
    return new TensorQuantization(tensor, role, type, scales, zps, scales.length > 1 ? axis : QuantParams.PER_TENSOR);
  }

  private static float maxScale(Graph g, Node dq) {
    float max = 0;
    for (float s : g.initializer(dq.input(1)).map(Tensor::toFloatArray).orElse(new float[] {Float.NaN})) {
      max = Math.max(max, s);
    }
    return max;
  }

  /** The float tensor behind a DQ: the input of the QuantizeLinear feeding it, else the DQ's input. */
  private static String quantizedFrom(Graph g, Node dq) {
    return g.producer(dq.input(0)).filter(p -> p.op() instanceof Op.QuantizeLinear).map(p -> p.input(0)).orElse(dq.input(0));
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
