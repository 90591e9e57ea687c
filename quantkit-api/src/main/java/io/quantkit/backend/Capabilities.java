package io.quantkit.backend;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Backend} can do, asked before compiling: the IR ops it runs, the element types
 * its kernels take, whether it runs a QDQ graph's quantized ops as integer kernels (rather than
 * dequantize, compute in float, quantize), and whether one {@link Runner} may be used by several
 * threads at once. Immutable.
 */
public final class Capabilities {
  private final ImmutableSet<Class<? extends Op>> ops;
  private final ImmutableSet<DataType> dataTypes;
  private final boolean integerQdqKernels;
  private final boolean threadSafeRunners;

  private Capabilities(Builder b) {
    this.ops = ImmutableSet.copyOf(b.ops);
    this.dataTypes = Sets.immutableEnumSet(b.dataTypes);
    this.integerQdqKernels = b.integerQdqKernels;
    this.threadSafeRunners = b.threadSafeRunners;
  }

  /**
   * What {@link Backend#capabilities()} assumes of a backend that does not say: every op, every
   * element type, QDQ simulated in float, runners not shared between threads. {@link
   * Backend#check} then reports nothing and {@link Backend#compile} is where an unsupported node
   * shows up.
   */
  public static Capabilities unspecified() {
    return builder().ops(Op.classes()).dataTypes(EnumSet.allOf(DataType.class)).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** IR op classes the backend has kernels for. */
  public ImmutableSet<Class<? extends Op>> ops() {
    return ops;
  }

  /** Element types its kernels take and produce. */
  public ImmutableSet<DataType> dataTypes() {
    return dataTypes;
  }

  /** Whether QuantizeLinear/DequantizeLinear around an op run as one integer kernel (ONNX Runtime's QLinearConv). */
  public boolean integerQdqKernels() {
    return integerQdqKernels;
  }

  /** Whether {@link Runner#run} may be called by several threads at once on one runner. */
  public boolean threadSafeRunners() {
    return threadSafeRunners;
  }

  public boolean supports(Op op) {
    return ops.contains(op.getClass());
  }

  /**
   * The nodes of {@code graph} these capabilities exclude: an op class outside {@link #ops()}, or
   * an input or output element type outside {@link #dataTypes()}. {@code backendName} words the
   * reasons. The graph's shapes are inferred first, so an inconsistent graph raises {@link
   * io.quantkit.GraphException}.
   */
  public List<UnsupportedNode> check(Graph graph, String backendName) {
    Map<String, ValueInfo> info = ShapeInference.infer(graph);
    List<UnsupportedNode> out = new ArrayList<>();
    for (Node n : graph.nodes()) {
      if (!supports(n.op())) {
        out.add(new UnsupportedNode(n.name(), n.op().type(), "backend '" + backendName + "' has no kernel for "
            + n.op().type()));
        continue;
      }
      String typeProblem = typeProblem(n, info, backendName);
      if (typeProblem != null) {
        out.add(new UnsupportedNode(n.name(), n.op().type(), typeProblem));
      }
    }
    return ImmutableList.copyOf(out);
  }

  private String typeProblem(Node n, Map<String, ValueInfo> info, String backendName) {
    for (String t : concat(n.inputs(), n.outputs())) {
      ValueInfo vi = t.isEmpty() ? null : info.get(t);
      if (vi != null && !dataTypes.contains(vi.type())) {
        return "tensor '" + t + "' is " + vi.type() + ", which backend '" + backendName + "' does not handle";
      }
    }
    return null;
  }

  private static List<String> concat(Collection<String> a, Collection<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  public Builder toBuilder() {
    return builder().ops(ops).dataTypes(dataTypes).integerQdqKernels(integerQdqKernels).threadSafeRunners(threadSafeRunners);
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    ops.forEach(c -> names.add(c.getSimpleName()));
    return "Capabilities(ops=" + names + ", dataTypes=" + dataTypes + ", integerQdqKernels=" + integerQdqKernels
        + ", threadSafeRunners=" + threadSafeRunners + ")";
  }

  public static final class Builder {
    private ImmutableSet<Class<? extends Op>> ops = ImmutableSet.of();
    private EnumSet<DataType> dataTypes = EnumSet.noneOf(DataType.class);
    private boolean integerQdqKernels;
    private boolean threadSafeRunners;

    private Builder() {}

    public Builder ops(Collection<Class<? extends Op>> value) {
      this.ops = ImmutableSet.copyOf(value);
      return this;
    }

    public Builder dataTypes(Collection<DataType> value) {
      Preconditions.checkNotNull(value, "dataTypes");
      this.dataTypes = value.isEmpty() ? EnumSet.noneOf(DataType.class) : EnumSet.copyOf(value);
      return this;
    }

    public Builder integerQdqKernels(boolean value) {
      this.integerQdqKernels = value;
      return this;
    }

    public Builder threadSafeRunners(boolean value) {
      this.threadSafeRunners = value;
      return this;
    }

    public Capabilities build() {
      return new Capabilities(this);
    }
  }
}
