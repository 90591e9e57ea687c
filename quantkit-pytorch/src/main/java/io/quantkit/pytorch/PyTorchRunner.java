package io.quantkit.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import io.quantkit.BackendException;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Runner;
import io.quantkit.backend.Signature;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A TorchScript module loaded into libtorch. Thread-safe: concurrent {@link #run} calls share the
 * module (libtorch runs a loaded module's methods concurrently; quantized layers only read the
 * weights they prepacked at load time) and each call owns its native tensors in a child
 * NDManager, closed before it returns. {@link #close} waits for runs in flight, then frees the
 * module and every native tensor; later runs fail with a {@link BackendException}.
 */
final class PyTorchRunner implements Runner {
  private final Graph graph;
  private final Signature signature;
  private final NDManager manager;
  private final PtSymbolBlock block;
  private final List<String> warnings;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  PyTorchRunner(Graph graph, Signature signature, NDManager manager, PtSymbolBlock block, List<String> warnings) {
    this.graph = graph;
    this.signature = signature;
    this.manager = manager;
    this.block = block;
    this.warnings = List.copyOf(warnings);
  }

  @Override
  public Graph graph() {
    if (graph == null) {
      throw new UnsupportedOperationException("runner of TorchScript file '" + signature.modelName()
          + "' runs the file as it is and has no IR graph; use signature()");
    }
    return graph;
  }

  @Override
  public Signature signature() {
    return signature;
  }

  @Override
  public String backendName() {
    return PyTorchBackend.NAME;
  }

  /** What the INT8 translation ran in FP32 instead of on integer kernels (empty for files run as they are). */
  List<String> warnings() {
    return warnings;
  }

  /** Native tensors this runner holds between runs (each run frees its own before returning). */
  int liveNativeArrays() {
    return manager.isOpen() ? manager.getManagedArrays().size() : 0;
  }

  /** Whether the module and every native tensor have been freed ({@link #close}). */
  boolean released() {
    return !manager.isOpen();
  }

  /** Names of the module's parameters as PyTorch lists them ({@code conv2d_1.weight}, ...). */
  List<String> parameterNames() {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new BackendException("PyTorch runner for '" + signature.modelName() + "' is closed");
      }
      List<String> names = new java.util.ArrayList<>();
      try (NDManager scope = manager.newSubManager()) {
        for (NDArray p : ai.djl.pytorch.jni.JniUtils.moduleGetParams(block, (ai.djl.pytorch.engine.PtNDManager) scope)) {
          names.add(p.getName());
        }
      }
      return names;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new BackendException("PyTorch runner for '" + signature.modelName() + "' is closed");
      }
      for (String name : inputs.keySet()) {
        if (signature.inputs().stream().noneMatch(v -> v.name().equals(name))) {
          throw new BackendException("model '" + signature.modelName() + "' has no input '" + name + "'; its inputs are "
              + signature.inputs().stream().map(ValueInfo::name).toList());
        }
      }
      try (NDManager scope = manager.newSubManager()) {
        NDList feed = new NDList();
        for (ValueInfo vi : signature.inputs()) {
          Tensor t = inputs.get(vi.name());
          if (t == null) {
            throw new BackendException("model '" + signature.modelName() + "': no tensor given for input '" + vi.name() + "'");
          }
          check(vi, t);
          feed.add(toNd(scope, t));
        }
        NDList out = IValueUtils.forward(block, feed, false);
        if (out.size() != signature.outputs().size()) {
          throw new BackendException("PyTorch returned " + out.size() + " outputs for model '" + signature.modelName()
              + "', which declares " + signature.outputs());
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (int i = 0; i < out.size(); i++) {
          result.put(signature.outputs().get(i), toTensor(signature.outputs().get(i), out.get(i)));
        }
        return result;
      } catch (QuantkitException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new BackendException("PyTorch failed running '" + signature.modelName() + "' on " + describe(inputs) + ": "
            + e.getMessage(), e);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  private void check(ValueInfo vi, Tensor t) {
    Shape declared = vi.shape();
    boolean ok = t.type() == vi.type();
    if (declared.rank() > 0) {
      ok &= t.shape().rank() == declared.rank();
      for (int i = 0; ok && i < declared.rank(); i++) {
        ok = declared.dim(i) == Shape.UNKNOWN || declared.dim(i) == t.shape().dim(i);
      }
    }
    if (!ok) {
      throw new BackendException("model '" + signature.modelName() + "' input '" + vi.name() + "' expects " + vi.type() + " "
          + (declared.rank() > 0 ? declared : "(any shape)") + ", got " + t.type() + " " + t.shape());
    }
  }

  private static NDArray toNd(NDManager scope, Tensor t) {
    ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(t.shape().toLongArray());
    ByteBuffer direct = ByteBuffer.allocateDirect(Math.max(1, t.size() * t.type().byteSize())).order(ByteOrder.nativeOrder());
    ai.djl.ndarray.types.DataType type;
    switch (t.type()) {
      case FLOAT32: direct.asFloatBuffer().put(t.floatBuffer()); type = ai.djl.ndarray.types.DataType.FLOAT32; break;
      case INT8: direct.put(t.byteBuffer()); type = ai.djl.ndarray.types.DataType.INT8; break;
      case UINT8: direct.put(t.byteBuffer()); type = ai.djl.ndarray.types.DataType.UINT8; break;
      case INT32: direct.asIntBuffer().put(t.intBuffer()); type = ai.djl.ndarray.types.DataType.INT32; break;
      case INT64: direct.asLongBuffer().put(t.longBuffer()); type = ai.djl.ndarray.types.DataType.INT64; break;
      default: throw new AssertionError(t.type());
    }
    ((Buffer) direct).rewind();
    return scope.create(direct, shape, type);
  }

  private Tensor toTensor(String name, NDArray a) {
    Shape shape = Shape.of(a.getShape().getShape());
    ByteBuffer raw = a.toByteBuffer().order(ByteOrder.nativeOrder());
    int n = shape.size();
    switch (a.getDataType()) {
      case FLOAT32: {
        float[] v = new float[n];
        raw.asFloatBuffer().get(v);
        return Tensor.wrapFloats(shape, v);
      }
      case UINT8:
      case INT8: {
        byte[] v = new byte[n];
        raw.get(v);
        return Tensor.wrapBytes(a.getDataType() == ai.djl.ndarray.types.DataType.UINT8 ? DataType.UINT8 : DataType.INT8, shape, v);
      }
      case INT32: {
        int[] v = new int[n];
        raw.asIntBuffer().get(v);
        return Tensor.wrapInts(shape, v);
      }
      case INT64: {
        long[] v = new long[n];
        raw.asLongBuffer().get(v);
        return Tensor.ofLongs(shape, v);
      }
      default:
        throw new BackendException("output '" + name + "' of '" + signature.modelName() + "' has element type "
            + a.getDataType() + ", which quantkit tensors cannot hold");
    }
  }

  private static String describe(Map<String, Tensor> inputs) {
    StringBuilder sb = new StringBuilder("{");
    inputs.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(": ").append(v.type()).append(' ').append(v.shape()));
    return sb.append('}').toString();
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      block.close();
      manager.close();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
