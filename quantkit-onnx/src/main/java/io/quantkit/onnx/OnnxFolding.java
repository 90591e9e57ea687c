package io.quantkit.onnx;

import com.google.common.collect.ImmutableSet;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Constant folding at import: a node whose inputs are all constants (initializers, Constant
 * nodes, earlier folded nodes) is evaluated here and its output becomes a constant. Exported
 * models compute weights and shapes through small subgraphs (ConstantOfShape, Shape, Gather,
 * Unsqueeze, Concat, Cast, Reshape, arithmetic on constants); folding them turns those weights into
 * initializers, which is what quantization and the backends need, and lets shape-only op types
 * that have no IR op import at all. {@code Shape} folds whenever its input's shape is fully known.
 *
 * <p>Folding is exact: integer arithmetic stays in 64 bits, float arithmetic in float, as ONNX
 * Runtime computes it.
 */
final class OnnxFolding {
  private OnnxFolding() {}

  /** Op types evaluated when their inputs are constant (a few also import as IR ops otherwise). */
  static final Set<String> FOLDABLE = ImmutableSet.of("ConstantOfShape", "Shape", "Size", "Gather", "Unsqueeze", "Squeeze",
      "Concat", "Cast", "Reshape", "Flatten", "Transpose", "Add", "Sub", "Mul", "Div", "Neg", "Sqrt", "Reciprocal");

  /**
   * Shape of a tensor with unknown dimensions: each unknown dimension i is folded as {@code
   * UNKNOWN_DIM - i}, and the value is marked symbolic. Gather, Unsqueeze, Squeeze, Concat and
   * Cast carry the placeholders; Reshape turns a placeholder at the position of the same unknown
   * dimension into 0 (copy the input's dimension), which is PyTorch's {@code x.view(x.size(0), -1)}
   * with a dynamic batch. Anything else on a symbolic value is not folded.
   */
  static final long UNKNOWN_DIM = -1_000_000_000L;

  private static final Set<String> SYMBOLIC_SAFE = ImmutableSet.of("Gather", "Unsqueeze", "Squeeze", "Concat", "Cast");

  /** Op types that exist only to compute constants: they import only when they fold. */
  static final Set<String> FOLD_ONLY = ImmutableSet.of("ConstantOfShape", "Shape", "Size", "Gather", "Cast", "Neg",
      "Sqrt", "Reciprocal");

  /**
   * Folds the node if it can: true when its first output is now a constant. Nodes with several
   * outputs, or inputs that are not all constants, are left to the op importers.
   */
  static boolean tryFold(OnnxImporter.Ctx c) {
    if (!FOLDABLE.contains(c.op) || c.proto.getOutputCount() != 1 || c.out(0).isEmpty()) {
      return false;
    }
    if (c.op.equals("Shape") || c.op.equals("Size")) {
      ValueInfo vi = c.infoOf(0);
      if (vi == null || c.inputs.size() != 1) {
        return false;
      }
      if (!vi.shape().isKnown()) {
        if (c.op.equals("Size")) {
          return false;
        }
        Tensor t = shape(c, vi.shape());
        long[] v = t.toLongArray();
        for (int i = 0; i < v.length; i++) {
          if (v[i] == Shape.UNKNOWN) {
            v[i] = UNKNOWN_DIM - i;
          }
        }
        // Shape's start/end shift positions; the placeholder keeps the original axis.
        int start = c.opset >= 15 ? clampAxis(c.attrs.getIntExact("start", 0), vi.shape().rank()) : 0;
        for (int i = 0; i < v.length; i++) {
          if (v[i] <= UNKNOWN_DIM) {
            v[i] = UNKNOWN_DIM - (i + start);
          }
        }
        c.defineSymbolic(c.out(0), Tensor.ofLongs(t.shape(), v));
        return true;
      }
      c.defineConstant(c.out(0), c.op.equals("Size") ? Tensor.ofLongs(Shape.scalar(), vi.shape().size()) : shape(c, vi.shape()));
      return true;
    }
    if (c.inputs.isEmpty() && !c.op.equals("ConstantOfShape")) {
      return false;
    }
    Tensor[] in = new Tensor[c.inputs.size()];
    boolean symbolic = false;
    for (int i = 0; i < in.length; i++) {
      if (c.in(i).isEmpty()) {
        continue;
      }
      in[i] = c.constantOrNull(c.in(i));
      if (in[i] == null) {
        return false;
      }
      symbolic |= c.isSymbolic(c.in(i));
    }
    if (symbolic && !SYMBOLIC_SAFE.contains(c.op)) {
      return false;
    }
    Tensor out = fold(c, in);
    if (symbolic) {
      if (out.type() != DataType.INT64) {
        return false;
      }
      c.defineSymbolic(c.out(0), out);
    } else {
      c.defineConstant(c.out(0), out);
    }
    return true;
  }

  private static Tensor fold(OnnxImporter.Ctx c, Tensor[] in) {
    switch (c.op) {
      case "ConstantOfShape": return constantOfShape(c, in);
      case "Gather": return gather(c, in[0], in[1]);
      case "Unsqueeze": return unsqueeze(c, in);
      case "Squeeze": return squeeze(c, in);
      case "Concat": return concat(c, in);
      case "Cast": return cast(c, in[0]);
      case "Reshape": return reshapeFold(c, in);
      case "Flatten": {
        int r = in[0].shape().rank();
        int axis = c.attrs.getIntExact("axis", 1);
        axis = axis < 0 ? axis + r : axis;
        if (axis < 0 || axis > r) {
          throw c.malformed("axis " + c.attrs.getInt("axis", 1) + " out of range for rank " + r);
        }
        return in[0].reshape(Shape.of(in[0].shape().size(0, axis), in[0].shape().size(axis, r)));
      }
      case "Transpose": return transpose(c, in[0]);
      case "Add":
      case "Sub":
      case "Mul":
      case "Div": return arithmetic(c, in);
      case "Neg":
      case "Sqrt":
      case "Reciprocal": return unary(c, in[0]);
      default: throw new AssertionError(c.op);
    }
  }

  static Tensor shape(OnnxImporter.Ctx c, Shape s) {
    long[] dims = s.toLongArray();
    if (c.opset >= 15 && (c.attrs.has("start") || c.attrs.has("end"))) {
      int r = dims.length;
      int start = clampAxis(c.attrs.getIntExact("start", 0), r);
      int end = clampAxis(c.attrs.getIntExact("end", r), r);
      dims = Arrays.copyOfRange(dims, start, Math.max(start, end));
    }
    return Tensor.ofLongs(Shape.of(dims.length), dims);
  }

  private static int clampAxis(int a, int r) {
    int v = a < 0 ? a + r : a;
    return Math.max(0, Math.min(r, v));
  }

  private static Tensor constantOfShape(OnnxImporter.Ctx c, Tensor[] in) {
    c.attrs.allowOnly(Set.of("value"));
    if (in.length != 1 || in[0] == null) {
      throw c.malformed("needs exactly one input (the shape)");
    }
    long[] dims = in[0].toLongArray();
    Shape s;
    try {
      s = Shape.of(dims);
    } catch (IllegalArgumentException e) {
      throw c.malformed("invalid shape " + Arrays.toString(dims));
    }
    Tensor value = c.attrs.has("value") ? c.decode(c.attrs.getTensor("value").toBuilder().setName(c.out(0)).build())
        : Tensor.scalar(0f);
    if (value.size() != 1) {
      throw c.malformed("value must hold one element, has shape " + value.shape());
    }
    int w = value.type().byteSize();
    byte[] one = value.toLittleEndianBytes();
    byte[] all = new byte[s.size() * w];
    for (int i = 0; i < s.size(); i++) {
      System.arraycopy(one, 0, all, i * w, w);
    }
    return bytes(value.type(), s, all);
  }

  private static Tensor gather(OnnxImporter.Ctx c, Tensor data, Tensor indices) {
    c.attrs.allowOnly(Set.of("axis"));
    int r = data.shape().rank();
    int axis = c.attrs.getIntExact("axis", 0);
    axis = axis < 0 ? axis + r : axis;
    if (axis < 0 || axis >= r) {
      throw c.malformed("axis " + c.attrs.getInt("axis", 0) + " out of range for rank " + r);
    }
    int outer = data.shape().size(0, axis);
    int n = data.shape().dim(axis);
    int inner = data.shape().size(axis + 1, r) * data.type().byteSize();
    long[] idx = indices.toLongArray();
    byte[] src = data.toLittleEndianBytes();
    byte[] dst = new byte[outer * idx.length * inner];
    for (int o = 0; o < outer; o++) {
      for (int j = 0; j < idx.length; j++) {
        long k = idx[j] < 0 ? idx[j] + n : idx[j];
        if (k < 0 || k >= n) {
          throw c.malformed("index " + idx[j] + " out of range for axis size " + n);
        }
        System.arraycopy(src, (o * n + (int) k) * inner, dst, (o * idx.length + j) * inner, inner);
      }
    }
    int[] ds = data.shape().toArray();
    int[] is = indices.shape().toArray();
    int[] os = new int[r - 1 + is.length];
    System.arraycopy(ds, 0, os, 0, axis);
    System.arraycopy(is, 0, os, axis, is.length);
    System.arraycopy(ds, axis + 1, os, axis + is.length, r - axis - 1);
    return bytes(data.type(), Shape.of(os), dst);
  }

  /** The axes of Squeeze/Unsqueeze: an attribute before opset 13, an optional input from 13. */
  static long[] axes(OnnxImporter.Ctx c, boolean required) {
    if (c.opset < 13) {
      c.attrs.allowOnly(Set.of("axes"));
      long[] a = c.attrs.getLongs("axes");
      if (a == null && required) {
        throw c.malformed("axes is required");
      }
      return a;
    }
    c.attrs.allowOnly(Set.of());
    if (c.in(1).isEmpty()) {
      if (required) {
        throw c.malformed("axes input is required");
      }
      return null;
    }
    return c.constant(1, "axes").toLongArray();
  }

  /** Unsqueeze's output dims for input dims {@code d}. */
  static int[] unsqueezeDims(OnnxImporter.Ctx c, int[] d, long[] axes) {
    int r = d.length + axes.length;
    boolean[] inserted = new boolean[r];
    for (long a : axes) {
      int ax = (int) (a < 0 ? a + r : a);
      if (ax < 0 || ax >= r || inserted[ax]) {
        throw c.malformed("axes " + Arrays.toString(axes) + " invalid for output rank " + r);
      }
      inserted[ax] = true;
    }
    int[] out = new int[r];
    for (int i = 0, j = 0; i < r; i++) {
      out[i] = inserted[i] ? 1 : d[j++];
    }
    return out;
  }

  /** Squeeze's output dims; null axes squeeze every size-1 dimension. */
  static int[] squeezeDims(OnnxImporter.Ctx c, int[] d, long[] axes) {
    int r = d.length;
    boolean[] drop = new boolean[r];
    if (axes == null) {
      for (int i = 0; i < r; i++) {
        if (d[i] == Shape.UNKNOWN) {
          throw c.unsupported("Squeeze without axes of a tensor of unknown shape");
        }
        drop[i] = d[i] == 1;
      }
    } else {
      for (long a : axes) {
        int ax = (int) (a < 0 ? a + r : a);
        if (ax < 0 || ax >= r) {
          throw c.malformed("axis " + a + " out of range for rank " + r);
        }
        if (d[ax] != 1 && d[ax] != Shape.UNKNOWN) {
          throw c.malformed("cannot squeeze axis " + a + " of size " + d[ax]);
        }
        drop[ax] = true;
      }
    }
    return java.util.stream.IntStream.range(0, r).filter(i -> !drop[i]).map(i -> d[i]).toArray();
  }

  private static Tensor unsqueeze(OnnxImporter.Ctx c, Tensor[] in) {
    return in[0].reshape(Shape.of(unsqueezeDims(c, in[0].shape().toArray(), axes(c, true))));
  }

  private static Tensor squeeze(OnnxImporter.Ctx c, Tensor[] in) {
    return in[0].reshape(Shape.of(squeezeDims(c, in[0].shape().toArray(), axes(c, false))));
  }

  private static Tensor concat(OnnxImporter.Ctx c, Tensor[] in) {
    c.attrs.allowOnly(Set.of("axis"));
    Tensor first = in[0];
    int r = first.shape().rank();
    int axis = c.attrs.getIntExact("axis", 1);
    axis = axis < 0 ? axis + r : axis;
    if (axis < 0 || axis >= Math.max(r, 1)) {
      throw c.malformed("axis " + c.attrs.getInt("axis", 1) + " out of range for rank " + r);
    }
    int outer = first.shape().size(0, axis);
    int total = 0;
    for (Tensor t : in) {
      if (t == null || t.type() != first.type() || t.shape().rank() != r) {
        throw c.malformed("inputs differ in type or rank");
      }
      for (int d = 0; d < r; d++) {
        if (d != axis && t.shape().dim(d) != first.shape().dim(d)) {
          throw c.malformed("input shapes " + first.shape() + " and " + t.shape() + " differ outside axis " + axis);
        }
      }
      total += t.shape().dim(axis);
    }
    int w = first.type().byteSize();
    int inner = first.shape().size(axis + 1, r) * w;
    byte[] dst = new byte[outer * total * inner];
    int offset = 0;
    for (Tensor t : in) {
      byte[] src = t.toLittleEndianBytes();
      int chunk = t.shape().dim(axis) * inner;
      for (int o = 0; o < outer; o++) {
        System.arraycopy(src, o * chunk, dst, o * total * inner + offset, chunk);
      }
      offset += chunk;
    }
    return bytes(first.type(), first.shape().withDim(axis, total), dst);
  }

  private static Tensor cast(OnnxImporter.Ctx c, Tensor x) {
    c.attrs.allowOnly(Set.of("to", "saturate"));
    int to = c.attrs.getIntExact("to", 0);
    Optional<DataType> target = OnnxTypes.fromOnnx(to);
    if (target.isEmpty()) {
      throw c.unsupported("Cast to " + OnnxTypes.describe(to));
    }
    return convert(x, target.get());
  }

  static Tensor convert(Tensor x, DataType to) {
    if (x.type() == to) {
      return x;
    }
    int n = x.size();
    switch (to) {
      case FLOAT32: return Tensor.wrapFloats(x.shape(), x.toFloatArray());
      case INT64: {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = x.type() == DataType.FLOAT32 ? (long) x.getFloat(i) : x.getLong(i);
        }
        return Tensor.ofLongs(x.shape(), v);
      }
      case INT32: {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = x.type() == DataType.FLOAT32 ? (int) x.getFloat(i) : (int) x.getLong(i);
        }
        return Tensor.wrapInts(x.shape(), v);
      }
      default: {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
          v[i] = (byte) (x.type() == DataType.FLOAT32 ? (long) x.getFloat(i) : x.getLong(i));
        }
        return Tensor.wrapBytes(to, x.shape(), v);
      }
    }
  }

  private static Tensor reshapeFold(OnnxImporter.Ctx c, Tensor[] in) {
    long[] target;
    if (c.opset < 5) {
      target = c.attrs.getLongs("shape");
      if (target == null) {
        throw c.malformed("shape attribute is required");
      }
    } else {
      if (in.length < 2 || in[1] == null) {
        throw c.malformed("needs the target shape input");
      }
      target = in[1].toLongArray();
    }
    boolean allowZero = c.attrs.getInt("allowzero", 0) != 0;
    int[] d = in[0].shape().toArray();
    int[] out = new int[target.length];
    int infer = -1;
    long known = 1;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == -1) {
        if (infer >= 0) {
          throw c.malformed("target shape " + Arrays.toString(target) + " has more than one -1");
        }
        infer = i;
        continue;
      }
      if (target[i] == 0 && !allowZero) {
        if (i >= d.length) {
          throw c.malformed("target shape " + Arrays.toString(target) + " copies dimension " + i + " of a rank-" + d.length + " input");
        }
        out[i] = d[i];
      } else if (target[i] < 0 || target[i] > Integer.MAX_VALUE) {
        throw c.malformed("invalid target shape " + Arrays.toString(target));
      } else {
        out[i] = (int) target[i];
      }
      known *= out[i];
    }
    if (infer >= 0) {
      if (known == 0 || in[0].size() % known != 0) {
        throw c.malformed("cannot reshape " + in[0].shape() + " to " + Arrays.toString(target));
      }
      out[infer] = (int) (in[0].size() / known);
      known *= out[infer];
    }
    if (known != in[0].size()) {
      throw c.malformed("cannot reshape " + in[0].shape() + " to " + Arrays.toString(target));
    }
    return in[0].reshape(Shape.of(out));
  }

  private static Tensor transpose(OnnxImporter.Ctx c, Tensor x) {
    c.attrs.allowOnly(Set.of("perm"));
    int r = x.shape().rank();
    int[] perm = c.attrs.getInts("perm");
    if (perm == null) {
      perm = new int[r];
      for (int i = 0; i < r; i++) {
        perm[i] = r - 1 - i;
      }
    }
    if (perm.length != r) {
      throw c.malformed("perm " + Arrays.toString(perm) + " does not match rank " + r);
    }
    int[] d = x.shape().toArray();
    int[] od = new int[r];
    for (int i = 0; i < r; i++) {
      od[i] = d[perm[i]];
    }
    int[] inStride = strides(d);
    int w = x.type().byteSize();
    byte[] src = x.toLittleEndianBytes();
    byte[] dst = new byte[src.length];
    int[] idx = new int[r];
    for (int o = 0; o < x.size(); o++) {
      int s = 0;
      for (int i = 0; i < r; i++) {
        s += idx[i] * inStride[perm[i]];
      }
      System.arraycopy(src, s * w, dst, o * w, w);
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < od[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return bytes(x.type(), Shape.of(od), dst);
  }

  private static Tensor arithmetic(OnnxImporter.Ctx c, Tensor[] in) {
    if (in.length != 2 || in[0] == null || in[1] == null) {
      throw c.malformed("needs two inputs");
    }
    Tensor a = in[0];
    Tensor b = in[1];
    if (a.type() != b.type()) {
      throw c.malformed("inputs are " + a.type() + " and " + b.type() + "; both must have the same type");
    }
    if (c.opset < 7 && c.attrs.getInt("broadcast", 0) == 1) {
      throw c.unsupported("legacy broadcast of constants");
    }
    Shape os;
    try {
      os = ShapeInference.broadcast(a.shape(), b.shape());
    } catch (RuntimeException e) {
      throw c.malformed("shapes " + a.shape() + " and " + b.shape() + " do not broadcast");
    }
    int[] od = os.toArray();
    int[] ai = broadcastIndex(a.shape().toArray(), od);
    int[] bi = broadcastIndex(b.shape().toArray(), od);
    int n = os.size();
    if (a.type() == DataType.FLOAT32) {
      float[] x = a.toFloatArray();
      float[] y = b.toFloatArray();
      float[] z = new float[n];
      for (int i = 0; i < n; i++) {
        float p = x[ai[i]];
        float q = y[bi[i]];
        switch (c.op) {
          case "Add": z[i] = p + q; break;
          case "Sub": z[i] = p - q; break;
          case "Mul": z[i] = p * q; break;
          default: z[i] = p / q; break;
        }
      }
      return Tensor.wrapFloats(os, z);
    }
    long[] x = a.toLongArray();
    long[] y = b.toLongArray();
    long[] z = new long[n];
    for (int i = 0; i < n; i++) {
      long p = x[ai[i]];
      long q = y[bi[i]];
      switch (c.op) {
        case "Add": z[i] = p + q; break;
        case "Sub": z[i] = p - q; break;
        case "Mul": z[i] = p * q; break;
        default:
          if (q == 0) {
            throw c.malformed("integer division by zero");
          }
          z[i] = p / q;
          break;
      }
    }
    return convert(Tensor.ofLongs(os, z), a.type());
  }

  private static Tensor unary(OnnxImporter.Ctx c, Tensor x) {
    if (x.type() != DataType.FLOAT32 && !c.op.equals("Neg")) {
      throw c.unsupported(c.op + " of " + x.type() + " constants");
    }
    if (x.type() != DataType.FLOAT32) {
      long[] v = x.toLongArray();
      for (int i = 0; i < v.length; i++) {
        v[i] = -v[i];
      }
      return convert(Tensor.ofLongs(x.shape(), v), x.type());
    }
    float[] v = x.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      switch (c.op) {
        case "Neg": v[i] = -v[i]; break;
        case "Sqrt": v[i] = (float) Math.sqrt(v[i]); break;
        default: v[i] = 1f / v[i]; break;
      }
    }
    return Tensor.wrapFloats(x.shape(), v);
  }

  /** For each output element (row-major), the flat index of the broadcast input element. */
  private static int[] broadcastIndex(int[] d, int[] od) {
    int r = od.length;
    int[] padded = new int[r];
    Arrays.fill(padded, 1);
    System.arraycopy(d, 0, padded, r - d.length, d.length);
    int[] stride = strides(padded);
    int n = 1;
    for (int v : od) {
      n *= v;
    }
    int[] out = new int[n];
    int[] idx = new int[r];
    for (int o = 0; o < n; o++) {
      int s = 0;
      for (int i = 0; i < r; i++) {
        s += padded[i] == 1 ? 0 : idx[i] * stride[i];
      }
      out[o] = s;
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < od[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return out;
  }

  private static int[] strides(int[] d) {
    int[] s = new int[d.length];
    int acc = 1;
    for (int i = d.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= d[i];
    }
    return s;
  }

  private static Tensor bytes(DataType type, Shape s, byte[] littleEndian) {
    return Tensor.fromLittleEndian(type, s, ByteBuffer.wrap(littleEndian));
  }
}
