package io.quantkit.onnx;

import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.GraphException;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Node-by-node element type and shape propagation (ONNX opset 13 rules) for the importer, which
 * needs what is known of a tensor while the graph is still being built: to check element types,
 * to take a missing kernel_shape from the weights, and to rewrite old-opset Softmax and
 * broadcasting. Unlike {@link io.quantkit.ir.ShapeInference}, which checks the finished graph,
 * it tolerates unknown element types and ranks; unknown stays unknown, only contradictions are
 * errors.
 */
final class ShapeRules {
  private ShapeRules() {}

  /** Output types and shapes of one node; {@code constants} returns null for non-constants. */
  static List<TypeShape> outputs(Node node, Function<String, TypeShape> lookup, Function<String, Tensor> constants) {
    List<TypeShape> in = new ArrayList<>();
    for (String name : node.inputs()) {
      in.add(name.isEmpty() ? TypeShape.UNKNOWN : lookup.apply(name));
    }
    TypeShape x = in.isEmpty() ? TypeShape.UNKNOWN : in.get(0);
    Op op = node.op();
    try {
      return List.of(single(node, op, in, x));
    } catch (ArithmeticException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new GraphException("node " + node.name() + " (" + op.type() + "): inconsistent shapes " + shapes(in) + ": " + e.getMessage(), e);
    }
  }

  private static TypeShape single(Node node, Op op, List<TypeShape> in, TypeShape x) {
    if (op instanceof Op.Conv) {
      Op.Conv c = (Op.Conv) op;
      TypeShape w = in.get(1);
      int spatial = c.kernel().length();
      int[] out = new int[spatial + 2];
      out[0] = x.hasRank() ? x.shape().dim(0) : Shape.UNKNOWN;
      out[1] = w.hasRank() ? w.shape().dim(0) : Shape.UNKNOWN;
      for (int i = 0; i < spatial; i++) {
        int size = x.hasRank() ? x.shape().dim(2 + i) : Shape.UNKNOWN;
        out[2 + i] = window(size, i, c.kernel(), c.strides(), c.dilations(), c.padding(), false);
      }
      return new TypeShape(DataType.FLOAT32, Shape.of(out));
    } else if (op instanceof Op.MaxPool) {
      Op.MaxPool p = (Op.MaxPool) op;
      return pool(x, p.kernel(), p.strides(), p.dilations(), p.padding(), p.ceilMode());
    } else if (op instanceof Op.AveragePool) {
      Op.AveragePool p = (Op.AveragePool) op;
      return pool(x, p.kernel(), p.strides(), ones(p.kernel().length()), p.padding(), p.ceilMode());
    } else if (op instanceof Op.GlobalAveragePool) {
      if (!x.hasRank()) {
        return new TypeShape(x.type(), null);
      }
      int[] out = x.shape().toArray();
      for (int i = 2; i < out.length; i++) {
        out[i] = 1;
      }
      return new TypeShape(x.type(), Shape.of(out));
    } else if (op instanceof Op.BatchNorm || op instanceof Op.Relu || op instanceof Op.Clip || op instanceof Op.Softmax) {
      return x;
    } else if (op instanceof Op.Add || op instanceof Op.Mul) {
      TypeShape y = in.get(1);
      DataType t = x.type() != null ? x.type() : y.type();
      if (!x.hasRank() || !y.hasRank()) {
        return new TypeShape(t, null);
      }
      return new TypeShape(t, broadcast(x.shape(), y.shape()));
    } else if (op instanceof Op.Flatten) {
      if (!x.hasRank()) {
        return new TypeShape(x.type(), null);
      }
      int r = x.rank();
      int axis = ((Op.Flatten) op).axis();
      axis = axis < 0 ? axis + r : axis;
      if (axis < 0 || axis > r) {
        throw new IllegalArgumentException("Flatten axis " + ((Op.Flatten) op).axis() + " out of range for rank " + r);
      }
      return new TypeShape(x.type(), Shape.of(product(x.shape(), 0, axis), product(x.shape(), axis, r)));
    } else if (op instanceof Op.Reshape) {
      return new TypeShape(x.type(), x.hasRank() ? reshape(x.shape(), ((Op.Reshape) op).shape()) : reshapeUnknownInput(((Op.Reshape) op).shape()));
    } else if (op instanceof Op.Gemm) {
      Op.Gemm g = (Op.Gemm) op;
      TypeShape a = in.get(0);
      TypeShape b = in.get(1);
      int m = a.hasRank() ? a.shape().dim(g.transA() ? 1 : 0) : Shape.UNKNOWN;
      int n = b.hasRank() ? b.shape().dim(g.transB() ? 0 : 1) : Shape.UNKNOWN;
      int ka = a.hasRank() ? a.shape().dim(g.transA() ? 0 : 1) : Shape.UNKNOWN;
      int kb = b.hasRank() ? b.shape().dim(g.transB() ? 1 : 0) : Shape.UNKNOWN;
      if (ka != Shape.UNKNOWN && kb != Shape.UNKNOWN && ka != kb) {
        throw new IllegalArgumentException("Gemm inner dimensions differ: A " + a.shape() + (g.transA() ? "'" : "")
            + ", B " + b.shape() + (g.transB() ? "'" : ""));
      }
      return new TypeShape(DataType.FLOAT32, Shape.of(m, n));
    } else if (op instanceof Op.MatMul) {
      TypeShape b = in.get(1);
      if (!x.hasRank() || !b.hasRank()) {
        return new TypeShape(x.type(), null);
      }
      return new TypeShape(x.type(), matmul(x.shape(), b.shape()));
    } else if (op instanceof Op.Concat) {
      return concat(((Op.Concat) op).axis(), in);
    } else if (op instanceof Op.Transpose) {
      if (!x.hasRank()) {
        return new TypeShape(x.type(), null);
      }
      ImmutableIntArray perm = ((Op.Transpose) op).perm();
      if (perm.length() != x.rank()) {
        throw new IllegalArgumentException("perm " + perm + " does not match rank " + x.rank());
      }
      int[] out = new int[perm.length()];
      for (int i = 0; i < out.length; i++) {
        out[i] = x.shape().dim(perm.get(i));
      }
      return new TypeShape(x.type(), Shape.of(out));
    } else if (op instanceof Op.QuantizeLinear) {
      TypeShape zp = in.size() > 2 ? in.get(2) : TypeShape.UNKNOWN;
      DataType t = node.input(2).isEmpty() ? DataType.UINT8 : zp.type();
      return new TypeShape(t, x.shape());
    } else if (op instanceof Op.DequantizeLinear) {
      return new TypeShape(DataType.FLOAT32, x.shape());
    }
    return TypeShape.UNKNOWN;
  }

  private static TypeShape pool(TypeShape x, ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations,
      Padding padding, boolean ceil) {
    if (!x.hasRank()) {
      return new TypeShape(x.type(), null);
    }
    int[] out = x.shape().toArray();
    for (int i = 0; i < kernel.length(); i++) {
      out[2 + i] = window(out[2 + i], i, kernel, strides, dilations, padding, ceil);
    }
    return new TypeShape(x.type(), Shape.of(out));
  }

  static ImmutableIntArray ones(int n) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, 1);
    return ImmutableIntArray.copyOf(a);
  }

  /** Output size of a sliding window along spatial axis {@code i}. */
  static int window(int size, int i, ImmutableIntArray kernel, ImmutableIntArray strides, ImmutableIntArray dilations,
      Padding padding, boolean ceil) {
    if (size == Shape.UNKNOWN) {
      return Shape.UNKNOWN;
    }
    int s = strides.get(i);
    int ek = (kernel.get(i) - 1) * dilations.get(i) + 1;
    if (padding instanceof Padding.Same) {
      return (size + s - 1) / s;
    }
    int begin = 0;
    int total = 0;
    if (padding instanceof Padding.Explicit) {
      Padding.Explicit e = (Padding.Explicit) padding;
      begin = e.begins().get(i);
      total = begin + e.ends().get(i);
    }
    int span = size + total - ek;
    if (span < 0) {
      throw new IllegalArgumentException("window " + ek + " larger than padded input " + (size + total));
    }
    int out = (ceil ? (span + s - 1) / s : span / s) + 1;
    // As PyTorch and ONNX Runtime: with ceil_mode the last window must start inside the input or
    // its leading padding, else it is dropped.
    if (ceil && (out - 1) * s >= size + begin) {
      out--;
    }
    return out;
  }

  static Shape broadcast(Shape a, Shape b) {
    int r = Math.max(a.rank(), b.rank());
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      int da = i < r - a.rank() ? 1 : a.dim(i - (r - a.rank()));
      int db = i < r - b.rank() ? 1 : b.dim(i - (r - b.rank()));
      if (da == db) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else if (db == 1) {
        out[i] = da;
      } else if (da == Shape.UNKNOWN) {
        out[i] = db;
      } else if (db == Shape.UNKNOWN) {
        out[i] = da;
      } else {
        throw new IllegalArgumentException("cannot broadcast " + a + " with " + b);
      }
    }
    return Shape.of(out);
  }

  private static int product(Shape s, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (s.dim(i) == Shape.UNKNOWN) {
        return Shape.UNKNOWN;
      }
      p *= s.dim(i);
    }
    return Math.toIntExact(p);
  }

  static Shape reshape(Shape in, ImmutableIntArray target) {
    int[] out = new int[target.length()];
    int inferred = -1;
    long known = 1;
    for (int i = 0; i < out.length; i++) {
      int t = target.get(i);
      if (t == 0) {
        if (i >= in.rank()) {
          throw new IllegalArgumentException("Reshape copies dimension " + i + " of rank-" + in.rank() + " input");
        }
        out[i] = in.dim(i);
      } else if (t == -1) {
        if (inferred >= 0) {
          throw new IllegalArgumentException("Reshape target " + target + " has two -1");
        }
        inferred = i;
        continue;
      } else if (t < -1) {
        throw new IllegalArgumentException("Reshape target " + target + " has a negative size");
      } else {
        out[i] = t;
      }
      if (out[i] == Shape.UNKNOWN) {
        known = -1;
      } else if (known >= 0) {
        known *= out[i];
      }
    }
    if (inferred >= 0) {
      if (known < 0 || !in.isKnown()) {
        out[inferred] = Shape.UNKNOWN;
      } else {
        long total = in.size();
        if (known == 0 || total % known != 0) {
          throw new IllegalArgumentException("cannot reshape " + in + " to " + target);
        }
        out[inferred] = Math.toIntExact(total / known);
      }
    } else if (in.isKnown() && known >= 0 && known != in.size()) {
      throw new IllegalArgumentException("cannot reshape " + in + " (" + in.size() + " elements) to " + target);
    }
    return Shape.of(out);
  }

  private static Shape reshapeUnknownInput(ImmutableIntArray target) {
    int[] out = new int[target.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = target.get(i) > 0 ? target.get(i) : Shape.UNKNOWN;
    }
    return Shape.of(out);
  }

  private static Shape matmul(Shape a, Shape b) {
    boolean aVec = a.rank() == 1;
    boolean bVec = b.rank() == 1;
    Shape a2 = aVec ? Shape.of(1, a.dim(0)) : a;
    Shape b2 = bVec ? Shape.of(b.dim(0), 1) : b;
    int ka = a2.dim(-1);
    int kb = b2.dim(-2);
    if (ka != Shape.UNKNOWN && kb != Shape.UNKNOWN && ka != kb) {
      throw new IllegalArgumentException("MatMul inner dimensions differ: " + a + " x " + b);
    }
    Shape batch = broadcast(Shape.of(java.util.Arrays.copyOf(a2.toArray(), a2.rank() - 2)),
        Shape.of(java.util.Arrays.copyOf(b2.toArray(), b2.rank() - 2)));
    List<Integer> out = new ArrayList<>();
    for (int d : batch.toArray()) {
      out.add(d);
    }
    if (!aVec) {
      out.add(a2.dim(-2));
    }
    if (!bVec) {
      out.add(b2.dim(-1));
    }
    return Shape.of(out.stream().mapToInt(Integer::intValue).toArray());
  }

  private static TypeShape concat(int axis, List<TypeShape> in) {
    DataType type = null;
    int[] out = null;
    for (TypeShape t : in) {
      if (type == null) {
        type = t.type();
      }
      if (!t.hasRank()) {
        return new TypeShape(type, null);
      }
      int r = t.rank();
      int a = axis < 0 ? axis + r : axis;
      if (out == null) {
        out = t.shape().toArray();
        if (a < 0 || a >= r) {
          throw new IllegalArgumentException("Concat axis " + axis + " out of range for rank " + r);
        }
        continue;
      }
      if (r != out.length) {
        throw new IllegalArgumentException("Concat inputs differ in rank");
      }
      for (int i = 0; i < r; i++) {
        int d = t.shape().dim(i);
        if (i == a) {
          out[i] = out[i] == Shape.UNKNOWN || d == Shape.UNKNOWN ? Shape.UNKNOWN : out[i] + d;
        } else if (out[i] == Shape.UNKNOWN) {
          out[i] = d;
        } else if (d != Shape.UNKNOWN && d != out[i]) {
          throw new IllegalArgumentException("Concat inputs differ in dimension " + i);
        }
      }
    }
    return new TypeShape(type, out == null ? null : Shape.of(out));
  }

  private static String shapes(List<TypeShape> in) {
    List<String> s = new ArrayList<>();
    for (TypeShape t : in) {
      s.add(t.hasRank() ? t.shape().toString() : "?");
    }
    return s.toString();
  }
}
