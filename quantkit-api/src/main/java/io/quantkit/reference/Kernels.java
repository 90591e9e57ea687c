package io.quantkit.reference;

import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference executor's dispatch table: one {@link Kernel} per op, by an exhaustive {@link
 * Op.Visitor}, so an op added to the IR does not compile here until it has a kernel. What the
 * backend supports (ops and their input types) is read from this table, never from a second
 * list. New kernels that are a few lines long live here; larger ones get their own class
 * ({@link ConvKernel}, {@link Pooling}, ...) and are called from here.
 *
 * <p>Stateless and thread-safe: kernels receive the runner's {@link Workers} at run time.
 */
final class Kernels implements Op.Visitor<Kernels.Kernel> {
  static final Kernels TABLE = new Kernels();

  /** The computation of one node: inputs (null for omitted optional inputs) to the output. */
  @FunctionalInterface
  interface Body {
    Value run(Workers workers, Value[] in, Shape out);
  }

  /**
   * A kernel and the element types it takes: {@code floatOnly} kernels compute in float and run
   * only when every input is FLOAT32; the others move or convert data of any type the IR allows.
   */
  record Kernel(boolean floatOnly, Body body) {
    Value run(Workers workers, Value[] in, Shape out) {
      return body.run(workers, in, out);
    }
  }

  private Kernels() {}

  private static Kernel floats(Body body) {
    return new Kernel(true, body);
  }

  private static Kernel anyType(Body body) {
    return new Kernel(false, body);
  }

  @Override
  public Kernel conv(Op.Conv op) {
    return floats((w, in, out) -> Value.floats(out, ConvKernel.run(w, in[0], in[1], arg(in, 2), op, out)));
  }

  @Override
  public Kernel batchNorm(Op.BatchNorm op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.batchNorm(w, in[0].floats(), in[0].shape, in[1].floats(),
        in[2].floats(), in[3].floats(), in[4].floats(), op.epsilon())));
  }

  @Override
  public Kernel relu(Op.Relu op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.relu(in[0].floats())));
  }

  @Override
  public Kernel clip(Op.Clip op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.clip(in[0].floats(), op.min(), op.max())));
  }

  @Override
  public Kernel add(Op.Add op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.binary(in[0].floats(), in[0].shape, in[1].floats(),
        in[1].shape, out, true)));
  }

  @Override
  public Kernel mul(Op.Mul op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.binary(in[0].floats(), in[0].shape, in[1].floats(),
        in[1].shape, out, false)));
  }

  @Override
  public Kernel maxPool(Op.MaxPool p) {
    // Max commutes with the monotone integer-to-float conversion, so 8-bit inputs pool exactly.
    return anyType((w, in, out) -> {
      Window win = new Window(in[0].shape, out, p.kernel(), p.strides(), p.dilations(), p.padding());
      float[] y = Pooling.max(w, in[0].asFloats(), in[0].shape, out, win);
      return in[0].type == DataType.FLOAT32 ? Value.floats(out, y) : Value.ints(in[0].type, out, toInts(y));
    });
  }

  @Override
  public Kernel averagePool(Op.AveragePool p) {
    return floats((w, in, out) -> {
      Window win = new Window(in[0].shape, out, p.kernel(), p.strides(), Window.ones(p.kernel().length()), p.padding());
      return Value.floats(out, Pooling.average(w, in[0].floats(), in[0].shape, out, win, p.countIncludePad()));
    });
  }

  @Override
  public Kernel globalAveragePool(Op.GlobalAveragePool op) {
    return floats((w, in, out) -> Value.floats(out, Pooling.globalAverage(in[0].floats(), in[0].shape)));
  }

  @Override
  public Kernel flatten(Op.Flatten op) {
    return anyType((w, in, out) -> Value.of(in[0].type, out, in[0].data));
  }

  @Override
  public Kernel reshape(Op.Reshape op) {
    return anyType((w, in, out) -> Value.of(in[0].type, out, in[0].data));
  }

  @Override
  public Kernel gemm(Op.Gemm op) {
    return floats((w, in, out) -> {
      Value c = arg(in, 2);
      return Value.floats(out, LinearAlgebra.gemm(w, in[0].floats(), in[0].shape, in[1].floats(), in[1].shape,
          c == null ? null : c.floats(), c == null ? null : c.shape, op));
    });
  }

  @Override
  public Kernel matMul(Op.MatMul op) {
    return floats((w, in, out) -> Value.floats(out, LinearAlgebra.matMul(w, in[0].floats(), in[0].shape, in[1].floats(),
        in[1].shape, out)));
  }

  @Override
  public Kernel softmax(Op.Softmax op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.softmax(in[0].floats(), in[0].shape, op.axis())));
  }

  @Override
  public Kernel concat(Op.Concat op) {
    return anyType((w, in, out) -> {
      List<Value> parts = new ArrayList<>(in.length);
      for (Value v : in) {
        parts.add(v);
      }
      return Layout.concat(parts, op.axis(), out);
    });
  }

  @Override
  public Kernel transpose(Op.Transpose op) {
    return anyType((w, in, out) -> Layout.transpose(in[0], op.perm(), out));
  }

  @Override
  public Kernel quantizeLinear(Op.QuantizeLinear op) {
    return anyType((w, in, out) -> {
      Value zp = arg(in, 2);
      DataType type = zp == null ? DataType.UINT8 : zp.type;
      int[] q = Quantization.quantize(in[0].asFloats(), in[0].shape, in[1].floats(), zp == null ? null : zp.ints(), type,
          op.axis());
      return Value.ints(type, out, q);
    });
  }

  @Override
  public Kernel dequantizeLinear(Op.DequantizeLinear op) {
    return anyType((w, in, out) -> {
      Value zp = arg(in, 2);
      return Value.floats(out, Quantization.dequantize(in[0].ints(), in[0].shape, in[1].floats(),
          zp == null ? null : zp.ints(), op.axis()));
    });
  }

  @Override
  public Kernel sigmoid(Op.Sigmoid op) {
    return floats((w, in, out) -> {
      float[] x = in[0].floats();
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = (float) (1 / (1 + Math.exp(-(double) x[i])));
      }
      return Value.floats(out, y);
    });
  }

  /** Left to right, ((a + b) + c) + ..., each step broadcast to the shapes seen so far. */
  @Override
  public Kernel sum(Op.Sum op) {
    return floats((w, in, out) -> {
      float[] acc = in[0].floats();
      Shape accShape = in[0].shape;
      for (int i = 1; i < in.length; i++) {
        Shape next = ShapeInference.broadcast(accShape, in[i].shape);
        acc = Elementwise.binary(acc, accShape, in[i].floats(), in[i].shape, next, true);
        accShape = next;
      }
      return Value.floats(out, in.length == 1 ? acc.clone() : acc);
    });
  }

  /** x * HardSigmoid(x) with ONNX's alpha 1/6 and beta 0.5, in float as ONNX Runtime computes it. */
  @Override
  public Kernel hardSwish(Op.HardSwish op) {
    return floats((w, in, out) -> {
      float[] x = in[0].floats();
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = x[i] * Math.max(0f, Math.min(1f, x[i] * (1f / 6) + 0.5f));
      }
      return Value.floats(out, y);
    });
  }

  /** Squares summed in double over the channel window, one (image, position) column at a time. */
  @Override
  public Kernel lrn(Op.Lrn op) {
    return floats((w, in, out) -> {
      float[] x = in[0].floats();
      Shape s = in[0].shape;
      int n = s.dim(0);
      int c = s.dim(1);
      int inner = s.size(2, s.rank());
      int before = (op.size() - 1) / 2;
      int after = op.size() - 1 - before;
      double scale = (double) op.alpha() / op.size();
      float[] y = new float[x.length];
      w.forEach(n, (worker, image) -> {
        int base = image * c * inner;
        for (int p = 0; p < inner; p++) {
          for (int ch = 0; ch < c; ch++) {
            double squares = 0;
            for (int k = Math.max(0, ch - before); k <= Math.min(c - 1, ch + after); k++) {
              double v = x[base + k * inner + p];
              squares += v * v;
            }
            int i = base + ch * inner + p;
            y[i] = (float) (x[i] / Math.pow(op.bias() + scale * squares, op.beta()));
          }
        }
      });
      return Value.floats(out, y);
    });
  }

  @Override
  public Kernel sub(Op.Sub op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.binary(in[0].floats(), in[0].shape, in[1].floats(),
        in[1].shape, out, (a, b) -> a - b)));
  }

  @Override
  public Kernel div(Op.Div op) {
    return floats((w, in, out) -> Value.floats(out, Elementwise.binary(in[0].floats(), in[0].shape, in[1].floats(),
        in[1].shape, out, (a, b) -> a / b)));
  }

  @Override
  public Kernel tanh(Op.Tanh op) {
    return unary(v -> (float) Math.tanh(v));
  }

  @Override
  public Kernel leakyRelu(Op.LeakyRelu op) {
    float alpha = op.alpha();
    return unary(v -> v >= 0 ? v : alpha * v);
  }

  @Override
  public Kernel hardSigmoid(Op.HardSigmoid op) {
    float alpha = op.alpha();
    float beta = op.beta();
    return unary(v -> Math.max(0f, Math.min(1f, alpha * v + beta)));
  }

  @Override
  public Kernel pRelu(Op.PRelu op) {
    return floats((w, in, out) -> {
      float[] x = in[0].floats();
      float[] slope = Elementwise.binary(new float[] {1f}, Shape.of(), in[1].floats(), in[1].shape, out, (a, b) -> b);
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = x[i] >= 0 ? x[i] : x[i] * slope[i];
      }
      return Value.floats(out, y);
    });
  }

  @Override
  public Kernel globalMaxPool(Op.GlobalMaxPool op) {
    return anyType((w, in, out) -> {
      float[] y = Shaping.globalMax(in[0].asFloats(), in[0].shape);
      return in[0].type == DataType.FLOAT32 ? Value.floats(out, y) : Value.ints(in[0].type, out, toInts(y));
    });
  }

  @Override
  public Kernel pad(Op.Pad op) {
    return floats((w, in, out) -> Shaping.pad(in[0], op, out));
  }

  @Override
  public Kernel slice(Op.Slice op) {
    return anyType((w, in, out) -> Shaping.slice(in[0], op, out));
  }

  @Override
  public Kernel reduceMean(Op.ReduceMean op) {
    return floats((w, in, out) -> Value.floats(out, Shaping.reduceMean(in[0].floats(), in[0].shape, op)));
  }

  @Override
  public Kernel resize(Op.Resize op) {
    // Nearest only copies elements, so quantized inputs resize exactly; linear computes in float.
    return op.mode().equals("nearest") ? anyType((w, in, out) -> Shaping.resize(in[0], op, out))
        : floats((w, in, out) -> Shaping.resize(in[0], op, out));
  }

  /** An element-wise float function. */
  private static Kernel unary(FloatUnary f) {
    return floats((w, in, out) -> {
      float[] x = in[0].floats();
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = f.apply(x[i]);
      }
      return Value.floats(out, y);
    });
  }

  @FunctionalInterface
  private interface FloatUnary {
    float apply(float x);
  }

  private static Value arg(Value[] in, int i) {
    return i < in.length ? in[i] : null;
  }

  private static int[] toInts(float[] y) {
    int[] out = new int[y.length];
    for (int i = 0; i < y.length; i++) {
      out[i] = (int) y[i];
    }
    return out;
  }
}
