package io.quantkit.onnx;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.primitives.ImmutableIntArray;
import com.google.protobuf.ByteString;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.proto.Onnx.AttributeProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The ONNX mapping of every IR op, both directions side by side: {@link #IMPORTERS} reads the
 * operator forms of opsets 1 to 21 of each ONNX op type (plus the ONNX-only Constant, Identity and
 * Dropout, which the importer folds away), {@link Export} writes the opset-13 form of each IR op.
 * Export is an exhaustive {@link Op.Visitor}, so a new IR op does not compile until it has an ONNX
 * form; its import entry sits next to it, and the conformance kit's round trip of one instance of
 * every op fails when it is missing. The importer's supported op types are this table's keys.
 */
final class OnnxOps {
  private OnnxOps() {}

  /** Converts one ONNX node (default domain) into IR nodes through the importer's context. */
  @FunctionalInterface
  interface Importer {
    void convert(OnnxImporter.Ctx c);
  }

  private static final Set<String> POOL_ATTRS = ImmutableSet.of("auto_pad", "kernel_shape", "pads", "strides");

  /** ONNX op type to its converter: the importer's dispatch table and its list of supported op types. */
  static final ImmutableMap<String, Importer> IMPORTERS = ImmutableMap.<String, Importer>builder()
      .put("Conv", OnnxOps::conv)
      .put("BatchNormalization", OnnxOps::batchNorm)
      .put("Relu", OnnxOps::relu)
      .put("Clip", OnnxOps::clip)
      .put("Add", c -> binary(c, new Op.Add()))
      .put("Mul", c -> binary(c, new Op.Mul()))
      .put("MaxPool", OnnxOps::maxPool)
      .put("AveragePool", OnnxOps::averagePool)
      .put("GlobalAveragePool", OnnxOps::globalAveragePool)
      .put("Flatten", OnnxOps::flatten)
      .put("Reshape", OnnxOps::reshape)
      .put("Gemm", OnnxOps::gemm)
      .put("MatMul", OnnxOps::matMul)
      .put("Softmax", OnnxOps::softmax)
      .put("Concat", OnnxOps::concat)
      .put("Transpose", OnnxOps::transpose)
      .put("QuantizeLinear", OnnxOps::quantize)
      .put("DequantizeLinear", OnnxOps::dequantize)
      .put("Sigmoid", OnnxOps::sigmoid)
      .put("Sum", OnnxOps::sum)
      .put("HardSwish", OnnxOps::hardSwish)
      .put("LRN", OnnxOps::lrn)
      .put("Constant", OnnxOps::constant)
      .put("Identity", OnnxOps::identity)
      .put("Dropout", OnnxOps::dropout)
      .put("Unsqueeze", OnnxOps::unsqueeze)
      .put("Squeeze", OnnxOps::squeeze)
      .put("ConstantOfShape", OnnxOps::foldOnly)
      .put("Shape", OnnxOps::foldOnly)
      .put("Size", OnnxOps::foldOnly)
      .put("Gather", OnnxOps::foldOnly)
      .put("Cast", OnnxOps::cast)
      .put("Sub", c -> binary(c, new Op.Sub()))
      .put("Div", c -> binary(c, new Op.Div()))
      .put("Tanh", c -> unaryFloat(c, new Op.Tanh()))
      .put("LeakyRelu", c -> unaryFloat(c, new Op.LeakyRelu(c.attrs.getFloat("alpha", 0.01f)), "alpha"))
      .put("HardSigmoid", c -> unaryFloat(c, new Op.HardSigmoid(c.attrs.getFloat("alpha", 0.2f),
          c.attrs.getFloat("beta", 0.5f)), "alpha", "beta"))
      .put("PRelu", OnnxOps::pRelu)
      .put("GlobalMaxPool", OnnxOps::globalMaxPool)
      .put("Pad", OnnxOps::pad)
      .put("Slice", OnnxOps::slice)
      .put("Split", OnnxOps::split)
      .put("ReduceMean", OnnxOps::reduceMean)
      .put("Resize", OnnxOps::resize)
      .put("Upsample", OnnxOps::resize)
      .put("Neg", OnnxOps::foldOnly)
      .put("Sqrt", OnnxOps::foldOnly)
      .put("Reciprocal", OnnxOps::foldOnly)
      .build();

  // ---------------------------------------------------------------- import

  private static void conv(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"));
    c.requireInputs(2, 3);
    c.expectType(0, DataType.FLOAT32);
    c.expectType(1, DataType.FLOAT32);
    c.expectType(2, DataType.FLOAT32);
    int[] kernel = c.attrs.getInts("kernel_shape");
    if (kernel == null) {
      ValueInfo w = c.infoOf(1);
      if (w == null || w.shape().rank() < 3) {
        throw c.unsupported("no kernel_shape attribute and the weight's shape is unknown");
      }
      kernel = Arrays.copyOfRange(w.shape().toArray(), 2, w.shape().rank());
      for (int k : kernel) {
        if (k == Shape.UNKNOWN) {
          throw c.unsupported("no kernel_shape attribute and the weight's shape " + w.shape() + " is not fully known");
        }
      }
    }
    int spatial = kernel.length;
    Padding padding = padding(c, spatial);
    int groups = c.attrs.getIntExact("group", 1);
    if (groups < 1) {
      throw c.malformed("group " + groups + " must be >= 1");
    }
    Op.Conv op = new Op.Conv(ImmutableIntArray.copyOf(kernel), spatialInts(c, "strides", spatial),
        spatialInts(c, "dilations", spatial), groups, padding);
    List<String> in = new ArrayList<>(List.of(c.in(0), c.in(1)));
    if (!c.in(2).isEmpty()) {
      in.add(c.in(2));
    }
    c.emit(op, in);
  }

  private static void batchNorm(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("epsilon", "momentum", "is_test", "spatial", "consumed_inputs", "training_mode"));
    c.requireInputs(5, 5);
    for (int i = 0; i < 5; i++) {
      c.expectType(i, DataType.FLOAT32);
    }
    if (c.attrs.getInt("spatial", 1) != 1) {
      throw c.unsupported("spatial=0 (per-activation statistics)");
    }
    if (c.attrs.getInt("training_mode", 0) != 0) {
      throw c.unsupported("training_mode=1");
    }
    c.emit(new Op.BatchNorm(c.attrs.getFloat("epsilon", 1e-5f)), c.inputs.subList(0, 5));
  }

  private static void relu(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("consumed_inputs"));
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    c.emit(new Op.Relu(), List.of(c.in(0)));
  }

  private static void clip(OnnxImporter.Ctx c) {
    float min;
    float max;
    if (c.opset < 11) {
      c.attrs.allowOnly(Set.of("min", "max", "consumed_inputs"));
      c.requireInputs(1, 1);
      // Opset 6's defaults are the float range's ends, not infinities.
      min = c.attrs.getFloat("min", -Float.MAX_VALUE);
      max = c.attrs.getFloat("max", Float.MAX_VALUE);
    } else {
      c.attrs.allowOnly(Set.of());
      c.requireInputs(1, 3);
      min = c.in(1).isEmpty() ? Float.NEGATIVE_INFINITY : scalar(c, 1, "Clip min");
      max = c.in(2).isEmpty() ? Float.POSITIVE_INFINITY : scalar(c, 2, "Clip max");
    }
    c.expectType(0, DataType.FLOAT32);
    c.emit(new Op.Clip(min, max), List.of(c.in(0)));
  }

  private static float scalar(OnnxImporter.Ctx c, int i, String what) {
    Tensor t = c.constant(i, what);
    if (t.size() != 1) {
      throw c.malformed(what + " '" + c.in(i) + "' has shape " + t.shape() + ", expected a scalar");
    }
    if (t.type() != DataType.FLOAT32) {
      throw c.malformed(what + " '" + c.in(i) + "' is " + t.type() + ", expected FLOAT32");
    }
    return t.getFloat(0);
  }

  private static void binary(OnnxImporter.Ctx c, Op op) {
    Set<String> allowed = c.opset < 7 ? Set.of("broadcast", "axis", "consumed_inputs") : Set.of();
    c.attrs.allowOnly(allowed);
    c.requireInputs(2, 2);
    DataType a = c.typeOf(0);
    DataType b = c.typeOf(1);
    c.expectType(0, DataType.FLOAT32, DataType.INT32, DataType.INT64);
    c.expectType(1, DataType.FLOAT32, DataType.INT32, DataType.INT64);
    if (a != null && b != null && a != b) {
      throw c.malformed("adds/multiplies " + a + " '" + c.in(0) + "' and " + b + " '" + c.in(1)
          + "'; both inputs must have the same type");
    }
    String right = c.in(1);
    if (c.opset < 7 && c.attrs.getInt("broadcast", 0) == 1 && c.attrs.has("axis")) {
      right = legacyBroadcast(c);
    }
    c.emit(op, List.of(c.in(0), right));
  }

  /**
   * Opset 1-6 broadcasting aligns B with A starting at {@code axis} instead of at the end:
   * append size-1 axes to B so numpy broadcasting means the same.
   */
  private static String legacyBroadcast(OnnxImporter.Ctx c) {
    ValueInfo a = c.infoOf(0);
    ValueInfo b = c.infoOf(1);
    if (a == null || b == null) {
      throw c.unsupported("legacy broadcast with axis needs the ranks of both inputs");
    }
    int rankA = a.shape().rank();
    int rankB = b.shape().rank();
    int axis = c.attrs.getIntExact("axis", 0);
    axis = axis < 0 ? axis + rankA : axis;
    int trailing = rankA - axis - rankB;
    if (axis < 0 || trailing < 0) {
      throw c.malformed("broadcast axis " + c.attrs.getInt("axis", 0) + " does not fit shapes " + a.shape() + " and " + b.shape());
    }
    if (trailing == 0) {
      return c.in(1);
    }
    int[] target = new int[rankB + trailing];
    Arrays.fill(target, 1);
    Tensor constant = c.constantOrNull(c.in(1));
    if (constant != null) {
      System.arraycopy(constant.shape().toArray(), 0, target, 0, rankB);
      return c.addConstant(c.in(1) + "_aligned", constant.reshape(Shape.of(target)));
    }
    // 0 copies B's own dimension, so unknown sizes are fine.
    Arrays.fill(target, 0, rankB, 0);
    String name = c.fresh(c.in(1) + "_aligned");
    c.emit(c.fresh(c.name + "_align"), new Op.Reshape(ImmutableIntArray.copyOf(target)), List.of(c.in(1)), name);
    return name;
  }

  private static void maxPool(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(ImmutableSet.<String>builder().addAll(POOL_ATTRS).add("ceil_mode", "dilations", "storage_order").build());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32, DataType.INT8, DataType.UINT8);
    int[] kernel = requiredKernel(c);
    int spatial = kernel.length;
    Op.MaxPool op = new Op.MaxPool(ImmutableIntArray.copyOf(kernel), spatialInts(c, "strides", spatial),
        spatialInts(c, "dilations", spatial), padding(c, spatial), c.attrs.getInt("ceil_mode", 0) != 0);
    c.emit(op, List.of(c.in(0)));
  }

  private static void averagePool(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(ImmutableSet.<String>builder().addAll(POOL_ATTRS).add("ceil_mode", "count_include_pad", "dilations").build());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    int[] kernel = requiredKernel(c);
    int spatial = kernel.length;
    ImmutableIntArray dilations = spatialInts(c, "dilations", spatial);
    if (!dilations.equals(ones(spatial))) {
      throw c.unsupported("dilated average pooling " + dilations);
    }
    Op.AveragePool op = new Op.AveragePool(ImmutableIntArray.copyOf(kernel), spatialInts(c, "strides", spatial),
        padding(c, spatial), c.attrs.getInt("count_include_pad", 0) != 0, c.attrs.getInt("ceil_mode", 0) != 0);
    c.emit(op, List.of(c.in(0)));
  }

  private static void globalAveragePool(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    c.emit(new Op.GlobalAveragePool(), List.of(c.in(0)));
  }

  private static void flatten(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("axis"));
    c.requireInputs(1, 1);
    c.emit(new Op.Flatten(c.attrs.getIntExact("axis", 1)), List.of(c.in(0)));
  }

  private static void reshape(OnnxImporter.Ctx c) {
    long[] target;
    if (c.opset < 5) {
      c.attrs.allowOnly(Set.of("shape", "consumed_inputs"));
      c.requireInputs(1, 1);
      target = c.attrs.getLongs("shape");
      if (target == null) {
        throw c.malformed("shape attribute is required");
      }
    } else {
      c.attrs.allowOnly(Set.of("allowzero"));
      c.requireInputs(2, 2);
      Tensor t = c.constant(1, "the target shape");
      if (t.type() != DataType.INT64 || t.shape().rank() != 1) {
        throw c.malformed("target shape '" + c.in(1) + "' is " + t.type() + " " + t.shape() + ", expected a 1-D INT64 tensor");
      }
      target = t.toLongArray();
      if (c.isSymbolic(c.in(1))) {
        target = resolvePlaceholders(c, target);
      }
      if (c.attrs.getInt("allowzero", 0) != 0) {
        for (long v : target) {
          if (v == 0) {
            throw c.unsupported("allowzero=1 with a zero in the target shape");
          }
        }
      }
    }
    int[] shape = new int[target.length];
    for (int i = 0; i < target.length; i++) {
      if (target[i] < -1 || target[i] > Integer.MAX_VALUE) {
        throw c.malformed("invalid target shape " + Arrays.toString(target));
      }
      shape[i] = (int) target[i];
    }
    c.emit(new Op.Reshape(ImmutableIntArray.copyOf(shape)), List.of(c.in(0)));
  }

  /**
   * A target shape computed from the Shape of a tensor with unknown dimensions: the unknown
   * dimension i, at position i of the target, is "copy the input's dimension" (0) when the
   * reshaped tensor has the same unknown dimension there (the usual dynamic batch).
   */
  private static long[] resolvePlaceholders(OnnxImporter.Ctx c, long[] target) {
    ValueInfo x = c.infoOf(0);
    long[] out = target.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] > OnnxFolding.UNKNOWN_DIM) {
        continue;
      }
      long axis = OnnxFolding.UNKNOWN_DIM - out[i];
      if (axis != i || x == null || i >= x.shape().rank() || x.shape().dim(i) != Shape.UNKNOWN
          || c.attrs.getInt("allowzero", 0) != 0) {
        throw c.unsupported("a target shape that uses unknown dimension " + axis + " of another tensor at position " + i);
      }
      out[i] = 0;
    }
    return out;
  }

  private static void gemm(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(c.opset < 7 ? Set.of("alpha", "beta", "transA", "transB", "broadcast")
        : Set.of("alpha", "beta", "transA", "transB"));
    c.requireInputs(c.opset < 11 ? 3 : 2, 3);
    for (int i = 0; i < 3; i++) {
      c.expectType(i, DataType.FLOAT32);
    }
    Op.Gemm op = new Op.Gemm(c.attrs.getFloat("alpha", 1f), c.attrs.getFloat("beta", 1f),
        c.attrs.getInt("transA", 0) != 0, c.attrs.getInt("transB", 0) != 0);
    List<String> in = new ArrayList<>(List.of(c.in(0), c.in(1)));
    if (!c.in(2).isEmpty()) {
      in.add(c.in(2));
    }
    c.emit(op, in);
  }

  private static void matMul(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of());
    c.requireInputs(2, 2);
    c.expectType(0, DataType.FLOAT32);
    c.expectType(1, DataType.FLOAT32);
    c.emit(new Op.MatMul(), List.of(c.in(0), c.in(1)));
  }

  /**
   * Before opset 13, Softmax flattened the input to 2-D at {@code axis} and normalized over the
   * whole second part; opset 13 normalizes along one axis. The two agree when the axis is the
   * last; otherwise the old meaning is rebuilt as Flatten, Softmax over axis 1, Reshape back.
   */
  private static void softmax(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("axis"));
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    int axis = c.attrs.getIntExact("axis", c.opset < 13 ? 1 : -1);
    if (c.opset >= 13) {
      c.emit(new Op.Softmax(axis), List.of(c.in(0)));
      return;
    }
    ValueInfo x = c.infoOf(0);
    if (x == null) {
      throw c.unsupported("opset " + c.opset + " Softmax needs the input's rank to be known");
    }
    int r = x.shape().rank();
    int a = axis < 0 ? axis + r : axis;
    if (a < 0 || a >= r) {
      throw c.malformed("axis " + axis + " out of range for rank " + r);
    }
    if (a == r - 1) {
      c.emit(new Op.Softmax(a), List.of(c.in(0)));
      return;
    }
    int[] dims = x.shape().toArray();
    int unknown = 0;
    for (int i = 0; i < r; i++) {
      if (dims[i] == Shape.UNKNOWN) {
        dims[i] = -1;
        unknown++;
      }
    }
    if (unknown > 1) {
      throw c.unsupported("opset " + c.opset + " Softmax over axis " + a + " of " + x.shape()
          + " needs all but one dimension known");
    }
    c.requireUnusedExtraOutputs();
    String flat = c.fresh(c.out(0) + "_2d");
    String soft = c.fresh(c.out(0) + "_softmax2d");
    c.emit(c.fresh(c.name + "_flatten"), new Op.Flatten(a), List.of(c.in(0)), flat);
    c.emit(c.name, new Op.Softmax(1), List.of(flat), soft);
    c.emit(c.fresh(c.name + "_restore"), new Op.Reshape(ImmutableIntArray.copyOf(dims)), List.of(soft), c.out(0));
  }

  private static void concat(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("axis"));
    if (c.inputs.isEmpty()) {
      throw c.malformed("has no inputs");
    }
    if (c.opset >= 4 && !c.attrs.has("axis")) {
      throw c.malformed("axis is required");
    }
    DataType first = c.typeOf(0);
    for (int i = 0; i < c.inputs.size(); i++) {
      if (c.in(i).isEmpty()) {
        throw c.malformed("input " + i + " is empty");
      }
      if (first != null) {
        c.expectType(i, first);
      }
    }
    c.emit(new Op.Concat(c.attrs.getIntExact("axis", 1)), c.inputs);
  }

  private static void transpose(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("perm"));
    c.requireInputs(1, 1);
    int[] perm = c.attrs.getInts("perm");
    if (perm == null) {
      ValueInfo x = c.infoOf(0);
      if (x == null) {
        throw c.unsupported("no perm attribute and the input's rank is unknown");
      }
      perm = new int[x.shape().rank()];
      for (int i = 0; i < perm.length; i++) {
        perm[i] = perm.length - 1 - i;
      }
    }
    int[] sorted = perm.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] != i) {
        throw c.malformed("perm " + Arrays.toString(perm) + " is not a permutation");
      }
    }
    c.emit(new Op.Transpose(ImmutableIntArray.copyOf(perm)), List.of(c.in(0)));
  }

  private static void quantize(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("axis", "saturate", "block_size", "output_dtype"));
    c.requireInputs(2, 3);
    if (c.attrs.getInt("block_size", 0) != 0) {
      throw c.unsupported("blocked quantization (block_size " + c.attrs.getInt("block_size", 0) + ")");
    }
    c.expectType(0, DataType.FLOAT32);
    c.expectType(1, DataType.FLOAT32);
    c.expectType(2, DataType.INT8, DataType.UINT8);
    int outputDtype = c.attrs.getIntExact("output_dtype", 0);
    DataType zpType = c.typeOf(2);
    if (outputDtype != 0) {
      DataType declared = OnnxTypes.require(outputDtype, c.out(0), c.where + ": QuantizeLinear '" + c.name + "' output_dtype");
      if (declared != DataType.INT8 && declared != DataType.UINT8) {
        throw new UnsupportedDataTypeException(c.out(0), outputDtype,
            c.where + ": QuantizeLinear '" + c.name + "' quantizes to " + declared + "; quantkit supports INT8 and UINT8");
      }
      if (zpType != null && zpType != declared) {
        throw c.malformed("output_dtype " + declared + " differs from the zero point's type " + zpType);
      }
      zpType = declared;
    }
    String zp = c.in(2).isEmpty() ? zeroPoint(c, zpType == null ? DataType.UINT8 : zpType) : c.in(2);
    c.emit(new Op.QuantizeLinear(c.attrs.getIntExact("axis", 1)), List.of(c.in(0), c.in(1), zp));
  }

  private static void dequantize(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("axis", "block_size"));
    c.requireInputs(2, 3);
    if (c.attrs.getInt("block_size", 0) != 0) {
      throw c.unsupported("blocked dequantization (block_size " + c.attrs.getInt("block_size", 0) + ")");
    }
    c.expectType(0, DataType.INT8, DataType.UINT8, DataType.INT32);
    c.expectType(1, DataType.FLOAT32);
    DataType x = c.typeOf(0);
    if (x != null) {
      c.expectType(2, x);
    }
    String zp = c.in(2);
    if (zp.isEmpty() && x != null) {
      zp = zeroPoint(c, x);
    }
    List<String> in = zp.isEmpty() ? List.of(c.in(0), c.in(1)) : List.of(c.in(0), c.in(1), zp);
    c.emit(new Op.DequantizeLinear(c.attrs.getIntExact("axis", 1)), in);
  }

  /** An explicit zero point (shaped like the scale), which ONNX lets files omit. */
  private static String zeroPoint(OnnxImporter.Ctx c, DataType type) {
    ValueInfo scale = c.infoOf(1);
    if (scale == null || !scale.shape().isKnown()) {
      throw c.unsupported("omitted zero point with a scale of unknown shape");
    }
    Shape s = scale.shape();
    Tensor zero;
    switch (type) {
      case INT8:
      case UINT8: zero = Tensor.wrapBytes(type, s, new byte[s.size()]); break;
      case INT32: zero = Tensor.wrapInts(s, new int[s.size()]); break;
      default: throw c.malformed("no zero point of type " + type);
    }
    return c.addConstant(c.name + "_zero_point", zero);
  }

  private static void sigmoid(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(c.opset < 6 ? Set.of("consumed_inputs") : Set.of());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    c.emit(new Op.Sigmoid(), List.of(c.in(0)));
  }

  /** Opsets 6-7 require equal shapes, which numpy broadcasting also accepts; 8+ broadcast. */
  private static void sum(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(c.opset < 6 ? Set.of("consumed_inputs") : Set.of());
    if (c.inputs.isEmpty()) {
      throw c.malformed("has no inputs");
    }
    for (int i = 0; i < c.inputs.size(); i++) {
      if (c.in(i).isEmpty()) {
        throw c.malformed("input " + i + " is empty");
      }
      c.expectType(i, DataType.FLOAT32);
    }
    // Two inputs are an Add, which ONNX Runtime runs as an integer kernel (QLinearAdd) when quantized.
    c.emit(c.inputs.size() == 2 ? new Op.Add() : new Op.Sum(), c.inputs);
  }

  private static void hardSwish(OnnxImporter.Ctx c) {
    if (c.opset < 14) {
      throw c.malformed("HardSwish exists from opset 14; the model imports opset " + c.opset);
    }
    c.attrs.allowOnly(Set.of());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    c.emit(new Op.HardSwish(), List.of(c.in(0)));
  }

  private static void lrn(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("alpha", "beta", "bias", "size"));
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    if (!c.attrs.has("size")) {
      throw c.malformed("size is required");
    }
    int size = c.attrs.getIntExact("size", 0);
    if (size < 1) {
      throw c.malformed("size " + size + " must be >= 1");
    }
    c.emit(new Op.Lrn(c.attrs.getFloat("alpha", 1e-4f), c.attrs.getFloat("beta", 0.75f), c.attrs.getFloat("bias", 1f), size),
        List.of(c.in(0)));
  }

  /** Constant nodes become initializers named after their output. */
  private static void constant(OnnxImporter.Ctx c) {
    c.requireInputs(0, 0);
    c.requireUnusedExtraOutputs();
    Set<String> present = c.attrs.names();
    if (present.size() != 1) {
      throw c.malformed("needs exactly one value attribute, found " + present);
    }
    String attr = present.iterator().next();
    Tensor value;
    switch (attr) {
      case "value":
        TensorProto t = c.attrs.getTensor("value");
        value = c.decode(t.toBuilder().setName(c.out(0)).build());
        break;
      case "value_float":
        value = Tensor.scalar(c.attrs.getFloat("value_float", 0f));
        break;
      case "value_floats": {
        float[] v = c.attrs.getFloats("value_floats");
        value = Tensor.ofFloats(Shape.of(v.length), v);
        break;
      }
      case "value_int":
        value = Tensor.ofLongs(Shape.scalar(), c.attrs.getInt("value_int", 0));
        break;
      case "value_ints": {
        long[] v = c.attrs.getLongs("value_ints");
        value = Tensor.ofLongs(Shape.of(v.length), v);
        break;
      }
      case "value_string":
      case "value_strings":
        throw new UnsupportedDataTypeException(c.out(0), TensorProto.DataType.STRING_VALUE,
            c.where + ": Constant '" + c.name + "' holds strings; quantkit supports FLOAT, UINT8, INT8, INT32 and INT64");
      default:
        throw c.unsupported("constant attribute '" + attr + "'");
    }
    c.defineConstant(c.out(0), value);
  }

  private static void identity(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of());
    c.requireInputs(1, 1);
    c.passThrough();
  }

  private static void dropout(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("ratio", "is_test", "seed", "consumed_inputs"));
    c.requireInputs(1, 3);
    if (!c.in(2).isEmpty()) {
      Tensor mode = c.constantOrNull(c.in(2));
      if (mode == null) {
        throw c.unsupported("training_mode is not a constant");
      }
      if (mode.getLong(0) != 0) {
        throw c.unsupported("training_mode is true");
      }
    }
    c.passThrough();
  }

  private static void unaryFloat(OnnxImporter.Ctx c, Op op, String... attrs) {
    Set<String> allowed = new java.util.HashSet<>(Arrays.asList(attrs));
    if (c.opset < 6) {
      allowed.add("consumed_inputs");
    }
    c.attrs.allowOnly(allowed);
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32);
    c.emit(op, List.of(c.in(0)));
  }

  /** The slope broadcasts to X (opset 7+: unidirectionally; older files used [C] slopes on [N, C, ...]). */
  private static void pRelu(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(c.opset < 6 ? Set.of("consumed_inputs") : Set.of());
    c.requireInputs(2, 2);
    c.expectType(0, DataType.FLOAT32);
    c.expectType(1, DataType.FLOAT32);
    String slope = c.in(1);
    ValueInfo x = c.infoOf(0);
    Tensor s = c.constantOrNull(slope);
    if (c.opset < 7 && x != null && s != null && s.shape().rank() == 1 && x.shape().rank() > 2 && s.size() > 1) {
      int[] dims = new int[x.shape().rank() - 1];
      Arrays.fill(dims, 1);
      dims[0] = s.size();
      slope = c.addConstant(slope + "_aligned", s.reshape(Shape.of(dims)));
    }
    c.emit(new Op.PRelu(), List.of(c.in(0), slope));
  }

  private static void globalMaxPool(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of());
    c.requireInputs(1, 1);
    c.expectType(0, DataType.FLOAT32, DataType.INT8, DataType.UINT8);
    c.emit(new Op.GlobalMaxPool(), List.of(c.in(0)));
  }

  /** Opset 1: attribute paddings; 2-10: attributes pads and value; 11+: inputs pads, constant_value, axes (18+). */
  private static void pad(OnnxImporter.Ctx c) {
    long[] pads;
    float value;
    ValueInfo x = c.infoOf(0);
    if (x == null) {
      throw c.unsupported("Pad of a tensor of unknown rank");
    }
    int r = x.shape().rank();
    if (c.opset < 11) {
      c.attrs.allowOnly(Set.of("mode", "pads", "paddings", "value"));
      c.requireInputs(1, 1);
      pads = c.attrs.getLongs(c.opset < 2 ? "paddings" : "pads");
      if (pads == null) {
        throw c.malformed("pads is required");
      }
      value = c.attrs.getFloat("value", 0f);
    } else {
      c.attrs.allowOnly(Set.of("mode"));
      c.requireInputs(2, 4);
      pads = c.constant(1, "the pads").toLongArray();
      value = c.in(2).isEmpty() ? 0f : scalar(c, 2, "Pad constant_value");
      if (!c.in(3).isEmpty()) {
        long[] axes = c.constant(3, "Pad axes").toLongArray();
        if (pads.length != 2 * axes.length) {
          throw c.malformed("pads " + Arrays.toString(pads) + " need " + 2 * axes.length + " values for axes " + Arrays.toString(axes));
        }
        long[] full = new long[2 * r];
        for (int i = 0; i < axes.length; i++) {
          int a = (int) (axes[i] < 0 ? axes[i] + r : axes[i]);
          if (a < 0 || a >= r) {
            throw c.malformed("axis " + axes[i] + " out of range for rank " + r);
          }
          full[a] = pads[i];
          full[a + r] = pads[i + axes.length];
        }
        pads = full;
      }
    }
    c.expectType(0, DataType.FLOAT32);
    if (pads.length != 2 * r) {
      throw c.malformed("pads " + Arrays.toString(pads) + " need " + 2 * r + " values for input " + x.shape());
    }
    int[] p = new int[pads.length];
    for (int i = 0; i < p.length; i++) {
      if (pads[i] < 0) {
        throw c.unsupported("negative pads (cropping) " + Arrays.toString(pads));
      }
      if (pads[i] > Integer.MAX_VALUE) {
        throw c.malformed("pads " + Arrays.toString(pads) + " out of range");
      }
      p[i] = (int) pads[i];
    }
    String mode = c.attrs.getString("mode", "constant");
    if (!Set.of("constant", "reflect", "edge").contains(mode)) {
      throw c.unsupported("Pad mode '" + mode + "'");
    }
    c.emit(new Op.Pad(mode, ImmutableIntArray.copyOf(p), value), List.of(c.in(0)));
  }

  private static int clampInt(long v) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  /** Opsets 1-9: attributes starts, ends, axes; 10+: inputs starts, ends, axes, steps (constants). */
  private static void slice(OnnxImporter.Ctx c) {
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (c.opset < 10) {
      c.attrs.allowOnly(Set.of("starts", "ends", "axes"));
      c.requireInputs(1, 1);
      starts = c.attrs.getLongs("starts");
      ends = c.attrs.getLongs("ends");
      axes = c.attrs.getLongs("axes");
      if (starts == null || ends == null) {
        throw c.malformed("starts and ends are required");
      }
    } else {
      c.attrs.allowOnly(Set.of());
      c.requireInputs(3, 5);
      starts = c.constant(1, "Slice starts").toLongArray();
      ends = c.constant(2, "Slice ends").toLongArray();
      axes = c.in(3).isEmpty() ? null : c.constant(3, "Slice axes").toLongArray();
      steps = c.in(4).isEmpty() ? null : c.constant(4, "Slice steps").toLongArray();
    }
    int n = starts.length;
    if (axes == null) {
      axes = new long[n];
      for (int i = 0; i < n; i++) {
        axes[i] = i;
      }
    }
    if (steps == null) {
      steps = new long[n];
      Arrays.fill(steps, 1);
    }
    if (ends.length != n || axes.length != n || steps.length != n) {
      throw c.malformed("starts, ends, axes and steps differ in length");
    }
    int[] s = new int[n];
    int[] e = new int[n];
    int[] a = new int[n];
    int[] st = new int[n];
    for (int i = 0; i < n; i++) {
      if (steps[i] == 0) {
        throw c.malformed("step 0");
      }
      s[i] = clampInt(starts[i]);
      e[i] = clampInt(ends[i]);
      a[i] = clampInt(axes[i]);
      st[i] = clampInt(steps[i]);
    }
    c.emit(new Op.Slice(ImmutableIntArray.copyOf(s), ImmutableIntArray.copyOf(e), ImmutableIntArray.copyOf(a),
        ImmutableIntArray.copyOf(st)), List.of(c.in(0)));
  }

  /**
   * One Slice per output. The parts: attribute split (before 13), input split (13+), or equal
   * parts (num_outputs from 18, else the output count), the last one smaller when uneven.
   */
  private static void split(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(c.opset < 13 ? Set.of("axis", "split") : Set.of("axis", "num_outputs"));
    c.requireInputs(1, c.opset < 13 ? 1 : 2);
    ValueInfo x = c.infoOf(0);
    if (x == null) {
      throw c.unsupported("Split of a tensor of unknown shape");
    }
    int r = x.shape().rank();
    int axis = c.attrs.getIntExact("axis", 0);
    axis = axis < 0 ? axis + r : axis;
    if (axis < 0 || axis >= r) {
      throw c.malformed("axis " + c.attrs.getInt("axis", 0) + " out of range for rank " + r);
    }
    int dim = x.shape().dim(axis);
    int outs = c.proto.getOutputCount();
    long[] parts = c.opset < 13 ? c.attrs.getLongs("split") : c.in(1).isEmpty() ? null : c.constant(1, "Split sizes").toLongArray();
    if (parts == null) {
      if (dim == Shape.UNKNOWN) {
        throw c.unsupported("equal Split of the axis " + axis + " of unknown size");
      }
      int k = c.attrs.has("num_outputs") ? c.attrs.getIntExact("num_outputs", outs) : outs;
      if (k != outs || k < 1) {
        throw c.malformed("num_outputs " + k + " but " + outs + " outputs");
      }
      int chunk = (dim + k - 1) / k;
      parts = new long[k];
      for (int i = 0; i < k; i++) {
        parts[i] = Math.max(0, Math.min(chunk, dim - (long) i * chunk));
      }
    }
    if (parts.length != outs) {
      throw c.malformed(parts.length + " split sizes for " + outs + " outputs");
    }
    long start = 0;
    for (int i = 0; i < outs; i++) {
      long end = start + parts[i];
      if (!c.out(i).isEmpty()) {
        Op.Slice op = new Op.Slice(ImmutableIntArray.of(clampInt(start)), ImmutableIntArray.of(clampInt(end)),
            ImmutableIntArray.of(axis), ImmutableIntArray.of(1));
        c.emit(i == 0 ? c.name : c.fresh(c.name + "_" + i), op, List.of(c.in(0)), c.out(i));
      }
      start = end;
    }
    if (dim != Shape.UNKNOWN && start != dim) {
      throw c.malformed("split sizes " + Arrays.toString(parts) + " do not add up to the axis size " + dim);
    }
  }

  /** Axes: attribute before opset 18, optional input from 18 (noop_with_empty_axes honoured). */
  private static void reduceMean(OnnxImporter.Ctx c) {
    long[] axes;
    if (c.opset < 18) {
      c.attrs.allowOnly(Set.of("axes", "keepdims"));
      c.requireInputs(1, 1);
      axes = c.attrs.getLongs("axes");
    } else {
      c.attrs.allowOnly(Set.of("keepdims", "noop_with_empty_axes"));
      c.requireInputs(1, 2);
      axes = c.in(1).isEmpty() ? null : c.constant(1, "ReduceMean axes").toLongArray();
      if ((axes == null || axes.length == 0) && c.attrs.getInt("noop_with_empty_axes", 0) != 0) {
        c.passThrough();
        return;
      }
    }
    c.expectType(0, DataType.FLOAT32);
    int[] a = axes == null ? new int[0] : Arrays.stream(axes).mapToInt(OnnxOps::clampInt).toArray();
    c.emit(new Op.ReduceMean(ImmutableIntArray.copyOf(a), c.attrs.getInt("keepdims", 1) != 0), List.of(c.in(0)));
  }

  /**
   * Upsample (opsets 7-9: scales as attribute, then input) and Resize (10: scales; 11+: roi,
   * scales or sizes). Before opset 11 the coordinates are "asymmetric" and nearest rounds down
   * (plain replication for integer scales).
   */
  private static void resize(OnnxImporter.Ctx c) {
    boolean upsample = c.op.equals("Upsample");
    boolean old = upsample || c.opset < 11;
    ValueInfo x = c.infoOf(0);
    if (x == null) {
      throw c.unsupported(c.op + " of a tensor of unknown rank");
    }
    int r = x.shape().rank();
    float[] scales = null;
    if (upsample && c.opset < 9) {
      c.attrs.allowOnly(Set.of("mode", "scales", "height_scale", "width_scale"));
      c.requireInputs(1, 1);
      scales = c.attrs.getFloats("scales");
      if (scales == null) {
        throw c.unsupported("Upsample without a scales attribute");
      }
    } else if (old) {
      c.attrs.allowOnly(Set.of("mode"));
      c.requireInputs(2, 2);
      scales = c.constant(1, c.op + " scales").toFloatArray();
    } else {
      c.attrs.allowOnly(Set.of("mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
          "extrapolation_value", "antialias", "axes", "keep_aspect_ratio_policy"));
      c.requireInputs(1, 4);
      if (c.attrs.getInt("antialias", 0) != 0) {
        throw c.unsupported("antialias");
      }
      if (c.attrs.has("axes") || !c.attrs.getString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
        throw c.unsupported("axes / keep_aspect_ratio_policy");
      }
      if (c.attrs.getString("coordinate_transformation_mode", "half_pixel").equals("tf_crop_and_resize")) {
        throw c.unsupported("coordinate_transformation_mode tf_crop_and_resize");
      }
      Tensor s = c.in(2).isEmpty() ? null : c.constant(2, "Resize scales");
      if (s != null && s.size() > 0) {
        scales = s.toFloatArray();
      } else {
        if (c.in(3).isEmpty()) {
          throw c.malformed("neither scales nor sizes given");
        }
        long[] sizes = c.constant(3, "Resize sizes").toLongArray();
        if (sizes.length != r) {
          throw c.malformed("sizes " + Arrays.toString(sizes) + " for input " + x.shape());
        }
        scales = new float[r];
        for (int i = 0; i < r; i++) {
          int d = x.shape().dim(i);
          if (d == Shape.UNKNOWN) {
            if (sizes[i] != 1 || i != 0) {
              throw c.unsupported("Resize to sizes with input dimension " + i + " unknown");
            }
            scales[i] = 1f;
            continue;
          }
          float f = (float) sizes[i] / d;
          // The float quotient can land just below the size; the output size is floor(d * scale).
          while (ShapeInference.resizedDim(d, f) < sizes[i]) {
            f = Math.nextUp(f);
          }
          scales[i] = f;
        }
      }
    }
    if (scales.length != r) {
      throw c.malformed("scales " + Arrays.toString(scales) + " for input " + x.shape());
    }
    String mode = c.attrs.getString("mode", "nearest");
    if (mode.equals("bilinear")) {
      mode = "linear";
    }
    if (!mode.equals("nearest") && !mode.equals("linear")) {
      throw c.unsupported(c.op + " mode '" + mode + "'");
    }
    String coord = old ? "asymmetric" : c.attrs.getString("coordinate_transformation_mode", "half_pixel");
    if (!Set.of("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel").contains(coord)) {
      throw c.unsupported("coordinate_transformation_mode '" + coord + "'");
    }
    String nearest = old ? "floor" : c.attrs.getString("nearest_mode", "round_prefer_floor");
    if (!Set.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil").contains(nearest)) {
      throw c.malformed("invalid nearest_mode '" + nearest + "'");
    }
    List<Float> sc = new ArrayList<>();
    for (float f : scales) {
      if (!(f > 0)) {
        throw c.malformed("scales " + Arrays.toString(scales) + " must be positive");
      }
      sc.add(f);
    }
    if (mode.equals("nearest")) {
      c.expectType(0, DataType.FLOAT32, DataType.INT8, DataType.UINT8);
    } else {
      c.expectType(0, DataType.FLOAT32);
    }
    c.emit(new Op.Resize(mode, coord, nearest, com.google.common.collect.ImmutableList.copyOf(sc)), List.of(c.in(0)));
  }

  /** Reached only when {@link OnnxFolding} could not fold the node: its inputs are not constants. */
  private static void foldOnly(OnnxImporter.Ctx c) {
    if (c.op.equals("Shape") || c.op.equals("Size")) {
      ValueInfo x = c.infoOf(0);
      throw c.unsupported("the input's shape " + (x == null ? "" : x.shape() + " ") + "is not fully known; quantkit folds "
          + c.op + " only on known shapes");
    }
    throw c.unsupported("quantkit folds " + c.op + " only on constant inputs (weight and shape subgraphs)");
  }

  /** A Cast to the input's own type is the identity; other casts fold on constants only. */
  private static void cast(OnnxImporter.Ctx c) {
    c.attrs.allowOnly(Set.of("to", "saturate"));
    c.requireInputs(1, 1);
    DataType to = OnnxTypes.fromOnnx(c.attrs.getIntExact("to", 0)).orElse(null);
    if (to != null && to == c.typeOf(0)) {
      c.passThrough();
      return;
    }
    foldOnly(c);
  }

  /** As a Reshape with the output's dimensions (at most one unknown, written as -1). */
  private static void unsqueeze(OnnxImporter.Ctx c) {
    c.requireInputs(1, c.opset < 13 ? 1 : 2);
    ValueInfo x = c.infoOf(0);
    long[] axes = OnnxFolding.axes(c, true);
    if (x == null) {
      throw c.unsupported("Unsqueeze of a tensor of unknown rank");
    }
    c.emit(reshapeTo(c, OnnxFolding.unsqueezeDims(c, x.shape().toArray(), axes)), List.of(c.in(0)));
  }

  private static void squeeze(OnnxImporter.Ctx c) {
    c.requireInputs(1, c.opset < 13 ? 1 : 2);
    ValueInfo x = c.infoOf(0);
    long[] axes = OnnxFolding.axes(c, false);
    if (x == null) {
      throw c.unsupported("Squeeze of a tensor of unknown rank");
    }
    c.emit(reshapeTo(c, OnnxFolding.squeezeDims(c, x.shape().toArray(), axes)), List.of(c.in(0)));
  }

  private static Op.Reshape reshapeTo(OnnxImporter.Ctx c, int[] dims) {
    int[] target = dims.clone();
    int unknown = 0;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == Shape.UNKNOWN) {
        target[i] = -1;
        unknown++;
      }
    }
    if (unknown > 1) {
      throw c.unsupported(c.op + " to " + Arrays.toString(dims) + " with more than one unknown dimension");
    }
    return new Op.Reshape(ImmutableIntArray.copyOf(target));
  }

  // ---- attribute helpers ----

  private static ImmutableIntArray spatialInts(OnnxImporter.Ctx c, String attr, int spatial) {
    int[] v = c.attrs.getInts(attr);
    if (v == null) {
      return ones(spatial);
    }
    if (v.length != spatial) {
      throw c.malformed(attr + " " + Arrays.toString(v) + " does not have " + spatial + " values (kernel rank)");
    }
    for (int x : v) {
      if (x < 1) {
        throw c.malformed(attr + " " + Arrays.toString(v) + " must be positive");
      }
    }
    return ImmutableIntArray.copyOf(v);
  }

  private static Padding padding(OnnxImporter.Ctx c, int spatial) {
    String autoPad = c.attrs.getString("auto_pad", "NOTSET");
    switch (autoPad) {
      case "NOTSET":
      case "":
        long[] pads = c.attrs.getLongs("pads");
        if (pads == null) {
          return Padding.Explicit.zeros(spatial);
        }
        if (pads.length != 2 * spatial) {
          throw c.malformed("pads " + Arrays.toString(pads) + " does not have " + 2 * spatial + " values");
        }
        for (long p : pads) {
          if (p < 0 || p > Integer.MAX_VALUE) {
            throw c.malformed("pads " + Arrays.toString(pads) + " must be non-negative");
          }
        }
        return Padding.Explicit.fromOnnx(pads);
      case "SAME_UPPER":
        return new Padding.Same(true);
      case "SAME_LOWER":
        return new Padding.Same(false);
      case "VALID":
        return Padding.valid();
      default:
        throw c.malformed("invalid auto_pad '" + autoPad + "'");
    }
  }

  private static int[] requiredKernel(OnnxImporter.Ctx c) {
    int[] kernel = c.attrs.getInts("kernel_shape");
    if (kernel == null || kernel.length == 0) {
      throw c.malformed("kernel_shape is required");
    }
    for (int k : kernel) {
      if (k < 1) {
        throw c.malformed("kernel_shape " + Arrays.toString(kernel) + " must be positive");
      }
    }
    return kernel;
  }

  private static ImmutableIntArray ones(int n) {
    int[] a = new int[n];
    Arrays.fill(a, 1);
    return ImmutableIntArray.copyOf(a);
  }

  // ---------------------------------------------------------------- export

  /**
   * One IR node to its ONNX nodes (one, except where an op needs helper nodes). Created per node;
   * {@code constants} adds the initializers some forms need (Clip bounds, Reshape's shape).
   */
  static final class Export implements Op.Visitor<List<NodeProto>> {
    /** Adds an initializer under a fresh name derived from {@code base} and returns the name. */
    interface Constants {
      String add(String base, Tensor value);
    }

    private final Node n;
    private final Constants constants;
    private final NodeProto.Builder b;
    private List<String> inputs;
    /** The oldest default-domain opset that has the form written; raised by ops newer than 13. */
    private int since = 1;

    Export(Node n, Constants constants) {
      this.n = n;
      this.constants = constants;
      this.b = NodeProto.newBuilder().setName(n.name()).setOpType(n.op().type()).addAllOutput(n.outputs());
      this.inputs = new ArrayList<>(n.inputs());
    }

    /** After visiting: the oldest opset that defines the node(s) written (the exporter's opset is at least this). */
    int since() {
      return since;
    }

    /** The node with its inputs, trailing omitted optional inputs dropped. */
    private List<NodeProto> single() {
      while (!inputs.isEmpty() && inputs.get(inputs.size() - 1).isEmpty()) {
        inputs.remove(inputs.size() - 1);
      }
      return List.of(b.addAllInput(inputs).build());
    }

    @Override
    public List<NodeProto> conv(Op.Conv c) {
      b.addAttribute(ints("kernel_shape", c.kernel()));
      b.addAttribute(ints("strides", c.strides()));
      b.addAttribute(ints("dilations", c.dilations()));
      b.addAttribute(intAttr("group", c.groups()));
      padding(c.padding());
      return single();
    }

    @Override
    public List<NodeProto> batchNorm(Op.BatchNorm op) {
      b.addAttribute(floatAttr("epsilon", op.epsilon()));
      return single();
    }

    @Override
    public List<NodeProto> relu(Op.Relu op) {
      return single();
    }

    @Override
    public List<NodeProto> clip(Op.Clip c) {
      while (inputs.size() < 3) {
        inputs.add("");
      }
      inputs.set(1, Float.isInfinite(c.min()) && c.min() < 0 ? "" : constants.add(n.name() + "_min", Tensor.scalar(c.min())));
      inputs.set(2, Float.isInfinite(c.max()) && c.max() > 0 ? "" : constants.add(n.name() + "_max", Tensor.scalar(c.max())));
      return single();
    }

    @Override
    public List<NodeProto> add(Op.Add op) {
      return single();
    }

    @Override
    public List<NodeProto> mul(Op.Mul op) {
      return single();
    }

    @Override
    public List<NodeProto> maxPool(Op.MaxPool p) {
      b.addAttribute(ints("kernel_shape", p.kernel()));
      b.addAttribute(ints("strides", p.strides()));
      b.addAttribute(ints("dilations", p.dilations()));
      b.addAttribute(intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
      padding(p.padding());
      return single();
    }

    @Override
    public List<NodeProto> averagePool(Op.AveragePool p) {
      b.addAttribute(ints("kernel_shape", p.kernel()));
      b.addAttribute(ints("strides", p.strides()));
      b.addAttribute(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
      b.addAttribute(intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
      padding(p.padding());
      return single();
    }

    @Override
    public List<NodeProto> globalAveragePool(Op.GlobalAveragePool op) {
      return single();
    }

    @Override
    public List<NodeProto> flatten(Op.Flatten op) {
      b.addAttribute(intAttr("axis", op.axis()));
      return single();
    }

    @Override
    public List<NodeProto> reshape(Op.Reshape op) {
      ImmutableIntArray s = op.shape();
      long[] v = new long[s.length()];
      for (int i = 0; i < v.length; i++) {
        v[i] = s.get(i);
      }
      inputs = new ArrayList<>(List.of(n.input(0), constants.add(n.name() + "_shape", Tensor.ofLongs(Shape.of(v.length), v))));
      return single();
    }

    @Override
    public List<NodeProto> gemm(Op.Gemm g) {
      b.addAttribute(floatAttr("alpha", g.alpha()));
      b.addAttribute(floatAttr("beta", g.beta()));
      b.addAttribute(intAttr("transA", g.transA() ? 1 : 0));
      b.addAttribute(intAttr("transB", g.transB() ? 1 : 0));
      return single();
    }

    @Override
    public List<NodeProto> matMul(Op.MatMul op) {
      return single();
    }

    @Override
    public List<NodeProto> softmax(Op.Softmax op) {
      b.addAttribute(intAttr("axis", op.axis()));
      return single();
    }

    @Override
    public List<NodeProto> concat(Op.Concat op) {
      b.addAttribute(intAttr("axis", op.axis()));
      return single();
    }

    @Override
    public List<NodeProto> transpose(Op.Transpose op) {
      b.addAttribute(ints("perm", op.perm()));
      return single();
    }

    @Override
    public List<NodeProto> quantizeLinear(Op.QuantizeLinear op) {
      b.addAttribute(intAttr("axis", op.axis()));
      return single();
    }

    @Override
    public List<NodeProto> dequantizeLinear(Op.DequantizeLinear op) {
      b.addAttribute(intAttr("axis", op.axis()));
      return single();
    }

    @Override
    public List<NodeProto> sigmoid(Op.Sigmoid op) {
      return single();
    }

    @Override
    public List<NodeProto> sum(Op.Sum op) {
      return single();
    }

    @Override
    public List<NodeProto> hardSwish(Op.HardSwish op) {
      since = 14;
      return single();
    }

    @Override
    public List<NodeProto> lrn(Op.Lrn op) {
      b.addAttribute(floatAttr("alpha", op.alpha()));
      b.addAttribute(floatAttr("beta", op.beta()));
      b.addAttribute(floatAttr("bias", op.bias()));
      b.addAttribute(intAttr("size", op.size()));
      return single();
    }

    @Override
    public List<NodeProto> sub(Op.Sub op) {
      return single();
    }

    @Override
    public List<NodeProto> div(Op.Div op) {
      return single();
    }

    @Override
    public List<NodeProto> tanh(Op.Tanh op) {
      return single();
    }

    @Override
    public List<NodeProto> leakyRelu(Op.LeakyRelu op) {
      b.addAttribute(floatAttr("alpha", op.alpha()));
      return single();
    }

    @Override
    public List<NodeProto> hardSigmoid(Op.HardSigmoid op) {
      b.addAttribute(floatAttr("alpha", op.alpha()));
      b.addAttribute(floatAttr("beta", op.beta()));
      return single();
    }

    @Override
    public List<NodeProto> pRelu(Op.PRelu op) {
      return single();
    }

    @Override
    public List<NodeProto> globalMaxPool(Op.GlobalMaxPool op) {
      return single();
    }

    @Override
    public List<NodeProto> pad(Op.Pad op) {
      b.addAttribute(stringAttr("mode", op.mode()));
      inputs = new ArrayList<>(List.of(n.input(0), constants.add(n.name() + "_pads", longs(op.pads()))));
      if (op.mode().equals("constant") && op.value() != 0f) {
        inputs.add(constants.add(n.name() + "_value", Tensor.scalar(op.value())));
      }
      return single();
    }

    @Override
    public List<NodeProto> slice(Op.Slice op) {
      inputs = new ArrayList<>(List.of(n.input(0), constants.add(n.name() + "_starts", longs(op.starts())),
          constants.add(n.name() + "_ends", longs(op.ends())), constants.add(n.name() + "_axes", longs(op.axes())),
          constants.add(n.name() + "_steps", longs(op.steps()))));
      return single();
    }

    @Override
    public List<NodeProto> reduceMean(Op.ReduceMean op) {
      if (!op.axes().isEmpty()) {
        b.addAttribute(ints("axes", op.axes()));
      }
      b.addAttribute(intAttr("keepdims", op.keepDims() ? 1 : 0));
      return single();
    }

    @Override
    public List<NodeProto> resize(Op.Resize op) {
      b.addAttribute(stringAttr("mode", op.mode()));
      b.addAttribute(stringAttr("coordinate_transformation_mode", op.coordinateMode()));
      b.addAttribute(stringAttr("nearest_mode", op.nearestMode()));
      float[] sc = new float[op.scales().size()];
      for (int i = 0; i < sc.length; i++) {
        sc[i] = op.scales().get(i);
      }
      inputs = new ArrayList<>(List.of(n.input(0), "", constants.add(n.name() + "_scales", Tensor.ofFloats(Shape.of(sc.length), sc))));
      return single();
    }

    private static Tensor longs(ImmutableIntArray v) {
      long[] a = new long[v.length()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      return Tensor.ofLongs(Shape.of(a.length), a);
    }

    private void padding(Padding p) {
      if (p instanceof Padding.Same) {
        b.addAttribute(stringAttr("auto_pad", ((Padding.Same) p).upper() ? "SAME_UPPER" : "SAME_LOWER"));
      } else if (p instanceof Padding.Valid) {
        b.addAttribute(stringAttr("auto_pad", "VALID"));
      } else {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS);
        for (long v : ((Padding.Explicit) p).toOnnx()) {
          a.addInts(v);
        }
        b.addAttribute(a);
      }
    }
  }

  private static AttributeProto ints(String name, ImmutableIntArray v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    v.forEach(a::addInts);
    return a.build();
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  private static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  private static AttributeProto stringAttr(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(v)).build();
  }
}
