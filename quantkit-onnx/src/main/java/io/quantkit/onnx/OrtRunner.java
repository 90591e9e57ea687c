package io.quantkit.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.quantkit.BackendException;
import io.quantkit.QuantkitException;
import io.quantkit.backend.RunGate;
import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Consumer;

/**
 * A graph loaded into an ONNX Runtime session. Each input keeps a direct buffer and the
 * OnnxTensor wrapping it for as long as batches keep the same shape, so a steady stream of
 * batches costs one copy into native memory per input and no native allocation.
 *
 * <p>Thread-safe: ONNX Runtime's session runs concurrent calls, and the buffers a call fills
 * (inputs, and the pinned outputs of {@link #runScoped}) belong to an {@link IoBuffers} set that
 * one call borrows at a time; sets are kept for reuse, as many as calls ever ran at once.
 * {@link #close()} waits for calls in flight and then releases the native memory.
 */
final class OrtRunner implements Runner {
  private final Graph graph;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final OrtSession.SessionOptions sessionOptions;
  /** Weights ONNX Runtime reads in place (external initializers); closed after the session. */
  private final java.util.List<ai.onnxruntime.OnnxTensor> initializers;
  private final Set<String> outputNames;
  private final RunGate gate;
  /** Buffer sets no call is using; one is taken per call and given back when it ends. */
  private final ConcurrentLinkedDeque<IoBuffers> idle = new ConcurrentLinkedDeque<>();

  /** The native buffers of one call: never touched by two calls at once. */
  private static final class IoBuffers implements AutoCloseable {
    final Map<String, InputSlot> slots = new HashMap<>();
    /** Direct output buffers ONNX Runtime writes into for {@link #runScoped}, for one input shape. */
    PinnedOutputs pinned;

    @Override
    public void close() {
      if (pinned != null) {
        pinned.close();
        pinned = null;
      }
      slots.values().forEach(InputSlot::close);
      slots.clear();
    }
  }

  OrtRunner(Graph graph, OrtEnvironment env, OrtSession session, OrtSession.SessionOptions sessionOptions) {
    this(graph, env, session, sessionOptions, java.util.List.of());
  }

  OrtRunner(Graph graph, OrtEnvironment env, OrtSession session, OrtSession.SessionOptions sessionOptions,
      java.util.List<ai.onnxruntime.OnnxTensor> initializers) {
    this.initializers = java.util.List.copyOf(initializers);
    this.graph = graph;
    this.env = env;
    this.session = session;
    this.sessionOptions = sessionOptions;
    this.outputNames = new LinkedHashSet<>(graph.outputs());
    this.gate = new RunGate("runner for graph '" + graph.name() + "'");
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public String backendName() {
    return OrtBackend.NAME;
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    try (RunGate.Pass pass = gate.enter()) {
      IoBuffers io = borrow();
      try {
        return run(io, inputs);
      } finally {
        idle.offerFirst(io);
      }
    }
  }

  private IoBuffers borrow() {
    IoBuffers io = idle.pollFirst();
    return io != null ? io : new IoBuffers();
  }

  private Map<String, Tensor> run(IoBuffers io, Map<String, Tensor> inputs) {
    Map<String, OnnxTensor> feed = feed(io, inputs);
    try (OrtSession.Result result = session.run(feed, outputNames)) {
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (String name : graph.outputs()) {
        OnnxValue v = result.get(name).orElseThrow(() -> new BackendException(
            "ONNX Runtime returned no value for output '" + name + "' of graph '" + graph.name() + "'"));
        out.put(name, toTensor(name, v));
      }
      return out;
    } catch (OrtException e) {
      throw new BackendException("ONNX Runtime failed running graph '" + graph.name() + "' on " + describe(inputs) + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * ONNX Runtime writes every output straight into direct buffers this runner keeps (pinned
   * outputs), and the consumer reads them in place: no copy to the Java heap, no per-batch
   * allocation. Falls back to {@link #run} when an output is not FLOAT32 or its shape cannot be
   * inferred.
   */
  @Override
  public void runScoped(Map<String, Tensor> inputs, Consumer<Map<String, Tensor>> consumer) {
    try (RunGate.Pass pass = gate.enter()) {
      IoBuffers io = borrow();
      try {
        runScoped(io, inputs, consumer);
      } finally {
        idle.offerFirst(io);
      }
    }
  }

  private void runScoped(IoBuffers io, Map<String, Tensor> inputs, Consumer<Map<String, Tensor>> consumer) {
    Map<String, Shape> inputShapes = new HashMap<>();
    inputs.forEach((k, v) -> inputShapes.put(k, v.shape()));
    if (io.pinned == null || !io.pinned.inputShapes.equals(inputShapes)) {
      if (io.pinned != null) {
        io.pinned.close();
        io.pinned = null;
      }
      io.pinned = PinnedOutputs.create(env, graph, inputShapes);
    }
    if (io.pinned.tensors.isEmpty()) {
      consumer.accept(run(io, inputs));
      return;
    }
    Map<String, OnnxTensor> feed = feed(io, inputs);
    try (OrtSession.Result ignored = session.run(feed, Set.of(), io.pinned.tensors)) {
      consumer.accept(io.pinned.views);
    } catch (OrtException e) {
      throw new BackendException("ONNX Runtime failed running graph '" + graph.name() + "' on " + describe(inputs) + ": "
          + e.getMessage(), e);
    }
  }

  private Map<String, OnnxTensor> feed(IoBuffers io, Map<String, Tensor> inputs) {
    for (String name : inputs.keySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new BackendException("graph '" + graph.name() + "' has no input '" + name + "'; its inputs are " + inputNames());
      }
    }
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    for (ValueInfo vi : graph.inputs()) {
      Tensor t = inputs.get(vi.name());
      if (t == null) {
        throw new BackendException("graph '" + graph.name() + "': no tensor given for input '" + vi.name() + "'");
      }
      check(vi, t);
      InputSlot slot = io.slots.get(vi.name());
      if (slot == null || !slot.fits(t)) {
        if (slot != null) {
          slot.close();
          io.slots.remove(vi.name());
        }
        slot = new InputSlot(env, vi.name(), t.type(), t.shape());
        io.slots.put(vi.name(), slot);
      }
      slot.fill(t);
      feed.put(vi.name(), slot.tensor);
    }
    return feed;
  }

  private void check(ValueInfo vi, Tensor t) {
    Shape declared = vi.shape();
    boolean ok = t.type() == vi.type() && t.shape().rank() == declared.rank();
    for (int i = 0; ok && i < declared.rank(); i++) {
      ok = declared.dim(i) == Shape.UNKNOWN || declared.dim(i) == t.shape().dim(i);
    }
    if (!ok) {
      throw new BackendException("graph '" + graph.name() + "' input '" + vi.name() + "' expects " + vi.type() + " " + declared
          + ", got " + t.type() + " " + t.shape());
    }
  }

  private List<String> inputNames() {
    List<String> names = new ArrayList<>();
    graph.inputs().forEach(v -> names.add(v.name()));
    return names;
  }

  private static String describe(Map<String, Tensor> inputs) {
    StringBuilder sb = new StringBuilder("{");
    inputs.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(": ").append(v.type()).append(' ').append(v.shape()));
    return sb.append('}').toString();
  }

  private Tensor toTensor(String name, OnnxValue value) {
    if (!(value instanceof OnnxTensor)) {
      throw new BackendException("output '" + name + "' of graph '" + graph.name() + "' is a " + value.getType() + ", not a tensor");
    }
    OnnxTensor t = (OnnxTensor) value;
    TensorInfo info = t.getInfo();
    Shape shape = Shape.of(info.getShape());
    int n = shape.size();
    switch (info.type) {
      case FLOAT: {
        // getFloatBuffer() already copies native memory into a fresh heap buffer: adopt its array
        // instead of copying a second time (calibration reads hundreds of MB of activations).
        FloatBuffer copy = t.getFloatBuffer();
        if (copy.hasArray() && copy.arrayOffset() == 0 && copy.array().length == n && copy.position() == 0) {
          return Tensor.wrapFloats(shape, copy.array());
        }
        float[] v = new float[n];
        copy.get(v);
        return Tensor.wrapFloats(shape, v);
      }
      case UINT8:
      case INT8: {
        byte[] v = new byte[n];
        t.getByteBuffer().get(v);
        return Tensor.wrapBytes(info.type == OnnxJavaType.UINT8 ? DataType.UINT8 : DataType.INT8, shape, v);
      }
      case INT32: {
        int[] v = new int[n];
        t.getIntBuffer().get(v);
        return Tensor.wrapInts(shape, v);
      }
      case INT64: {
        long[] v = new long[n];
        t.getLongBuffer().get(v);
        return Tensor.ofLongs(shape, v);
      }
      default:
        throw new BackendException("output '" + name + "' of graph '" + graph.name() + "' has element type " + info.type
            + ", which quantkit tensors cannot hold");
    }
  }

  @Override
  public void close() {
    if (!gate.close()) {
      return;
    }
    // No call is in flight any more, so every buffer set is back in the idle queue.
    for (IoBuffers io = idle.pollFirst(); io != null; io = idle.pollFirst()) {
      io.close();
    }
    try {
      session.close();
    } catch (OrtException e) {
      throw new BackendException("ONNX Runtime failed closing the session of graph '" + graph.name() + "': " + e.getMessage(), e);
    } finally {
      sessionOptions.close();
      initializers.forEach(ai.onnxruntime.OnnxTensor::close);
    }
  }

  /**
   * Native-order direct memory and the OnnxTensor over it. ONNX Runtime reads a direct buffer in
   * place, so refilling the buffer changes what the next run sees without a new tensor.
   */
  private static final class InputSlot implements AutoCloseable {
    final DataType type;
    final Shape shape;
    final ByteBuffer memory;
    final OnnxTensor tensor;

    InputSlot(OrtEnvironment env, String name, DataType type, Shape shape) {
      this.type = type;
      this.shape = shape;
      this.memory = ByteBuffer.allocateDirect(Math.max(1, shape.size() * type.byteSize())).order(ByteOrder.nativeOrder());
      long[] dims = shape.toLongArray();
      try {
        switch (type) {
          case FLOAT32: tensor = OnnxTensor.createTensor(env, floats(), dims); break;
          case INT8: tensor = OnnxTensor.createTensor(env, bytes(), dims, OnnxJavaType.INT8); break;
          case UINT8: tensor = OnnxTensor.createTensor(env, bytes(), dims, OnnxJavaType.UINT8); break;
          case INT32: tensor = OnnxTensor.createTensor(env, ints(), dims); break;
          case INT64: tensor = OnnxTensor.createTensor(env, longs(), dims); break;
          default: throw new AssertionError(type);
        }
      } catch (OrtException e) {
        throw new BackendException("ONNX Runtime could not create input tensor '" + name + "' " + type + " " + shape + ": "
            + e.getMessage(), e);
      }
    }

    private FloatBuffer floats() {
      return memory.duplicate().order(ByteOrder.nativeOrder()).limit(shape.size() * 4).asFloatBuffer();
    }

    private ByteBuffer bytes() {
      return memory.duplicate().order(ByteOrder.nativeOrder()).limit(shape.size());
    }

    private IntBuffer ints() {
      return memory.duplicate().order(ByteOrder.nativeOrder()).limit(shape.size() * 4).asIntBuffer();
    }

    private LongBuffer longs() {
      return memory.duplicate().order(ByteOrder.nativeOrder()).limit(shape.size() * 8).asLongBuffer();
    }

    boolean fits(Tensor t) {
      return t.type() == type && t.shape().equals(shape);
    }

    void fill(Tensor t) {
      switch (type) {
        case FLOAT32: floats().put(t.floatBuffer()); break;
        case INT8:
        case UINT8: bytes().put(t.byteBuffer()); break;
        case INT32: ints().put(t.intBuffer()); break;
        case INT64: longs().put(t.longBuffer()); break;
        default: throw new AssertionError(type);
      }
    }

    @Override
    public void close() {
      tensor.close();
    }
  }

  /** Direct buffers and the OnnxTensors over them, one per graph output, for one set of input shapes. */
  private static final class PinnedOutputs implements AutoCloseable {
    final Map<String, Shape> inputShapes;
    final Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    final Map<String, Tensor> views = new LinkedHashMap<>();

    private PinnedOutputs(Map<String, Shape> inputShapes) {
      this.inputShapes = Map.copyOf(inputShapes);
    }

    static PinnedOutputs create(OrtEnvironment env, Graph graph, Map<String, Shape> inputShapes) {
      PinnedOutputs p = new PinnedOutputs(inputShapes);
      Map<String, ValueInfo> infos;
      try {
        infos = ShapeInference.infer(graph, inputShapes);
      } catch (QuantkitException e) {
        return p;
      }
      try {
        for (String name : graph.outputs()) {
          ValueInfo vi = infos.get(name);
          if (vi == null || vi.type() != DataType.FLOAT32 || !vi.shape().isKnown()) {
            p.close();
            return new PinnedOutputs(inputShapes);
          }
          FloatBuffer buffer = ByteBuffer.allocateDirect(vi.shape().size() * Float.BYTES).order(ByteOrder.nativeOrder())
              .asFloatBuffer();
          p.tensors.put(name, OnnxTensor.createTensor(env, buffer, vi.shape().toLongArray()));
          p.views.put(name, Tensor.viewOf(vi.shape(), buffer));
        }
      } catch (OrtException e) {
        p.close();
        throw new BackendException("ONNX Runtime could not create output buffers for graph '" + graph.name() + "': "
            + e.getMessage(), e);
      }
      return p;
    }

    @Override
    public void close() {
      tensors.values().forEach(OnnxTensor::close);
      tensors.clear();
      views.clear();
    }
  }
}
