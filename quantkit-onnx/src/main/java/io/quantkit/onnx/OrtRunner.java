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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A graph loaded into an ONNX Runtime session. Each input keeps a direct buffer and the
 * OnnxTensor wrapping it for as long as batches keep the same shape, so a steady stream of
 * batches costs one copy into native memory per input and no native allocation.
 *
 * <p>On that steady stream a call allocates nothing on quantkit's side beyond what it returns (the
 * output tensors and their map): the feed map, the typed views of the input buffers and the output
 * shapes are made once per input shape, the gate's pass is shared, and the per-call state comes
 * from a pool. What a call still allocates is ONNX Runtime's Java API's own (the Result, its output
 * OnnxTensors and TensorInfos, the heap copy of each output), the same as a direct
 * {@code OrtSession.run}; {@code quantkit-bench}'s {@code AllocationProbe} measures both.
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
  /** Requested in graph order, so {@code result.get(i)} is graph output i. */
  private final Set<String> outputNames;
  private final String[] outputs;
  private final ValueInfo[] inputInfos;
  private final RunGate gate;
  /**
   * Buffer sets no call is using; one is taken per call and given back when it ends. An ArrayDeque
   * under its own monitor rather than a concurrent deque, whose every offer allocates a node.
   */
  private final ArrayDeque<IoBuffers> idle = new ArrayDeque<>();

  /** The native buffers of one call: never touched by two calls at once. */
  private final class IoBuffers implements AutoCloseable {
    /** By graph input index. */
    final InputSlot[] slots = new InputSlot[inputInfos.length];
    /** Graph input name to the slots' tensors; rebuilt when a slot is replaced. */
    Map<String, OnnxTensor> feed;
    /** Counts slot replacements: what is cached per input shape is valid for one generation. */
    int generation;
    /** Output shapes ONNX Runtime reported in this generation (null until the first call reads them). */
    final Shape[] outputShapes = new Shape[outputs.length];
    int outputShapesGeneration = -1;
    /** Direct output buffers ONNX Runtime writes into for {@link #runScoped}, for one input shape. */
    PinnedOutputs pinned;
    int pinnedGeneration = -1;

    @Override
    public void close() {
      if (pinned != null) {
        pinned.close();
        pinned = null;
      }
      for (int i = 0; i < slots.length; i++) {
        if (slots[i] != null) {
          slots[i].close();
          slots[i] = null;
        }
      }
      feed = null;
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
    this.outputs = outputNames.toArray(new String[0]);
    this.inputInfos = graph.inputs().toArray(new ValueInfo[0]);
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
        giveBack(io);
      }
    }
  }

  private IoBuffers borrow() {
    IoBuffers io;
    synchronized (idle) {
      io = idle.pollFirst();
    }
    return io != null ? io : new IoBuffers();
  }

  private void giveBack(IoBuffers io) {
    synchronized (idle) {
      idle.offerFirst(io);
    }
  }

  private Map<String, Tensor> run(IoBuffers io, Map<String, Tensor> inputs) {
    Map<String, OnnxTensor> feed = feed(io, inputs);
    try (OrtSession.Result result = session.run(feed, outputNames)) {
      if (result.size() != outputs.length) {
        throw new BackendException("ONNX Runtime returned " + result.size() + " values for the " + outputs.length + " outputs "
            + outputNames + " of graph '" + graph.name() + "'");
      }
      if (io.outputShapesGeneration != io.generation) {
        Arrays.fill(io.outputShapes, null);
        io.outputShapesGeneration = io.generation;
      }
      if (outputs.length == 1) {
        return Map.of(outputs[0], toTensor(io, 0, result.get(0)));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (int i = 0; i < outputs.length; i++) {
        out.put(outputs[i], toTensor(io, i, result.get(i)));
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
        giveBack(io);
      }
    }
  }

  private void runScoped(IoBuffers io, Map<String, Tensor> inputs, Consumer<Map<String, Tensor>> consumer) {
    Map<String, OnnxTensor> feed = feed(io, inputs);
    if (io.pinned == null || io.pinnedGeneration != io.generation) {
      if (io.pinned != null) {
        io.pinned.close();
        io.pinned = null;
      }
      Map<String, Shape> inputShapes = new HashMap<>();
      for (int i = 0; i < inputInfos.length; i++) {
        inputShapes.put(inputInfos[i].name(), io.slots[i].shape);
      }
      io.pinned = PinnedOutputs.create(env, graph, inputShapes);
      io.pinnedGeneration = io.generation;
    }
    if (io.pinned.tensors.isEmpty()) {
      consumer.accept(run(io, inputs));
      return;
    }
    try (OrtSession.Result ignored = session.run(feed, Set.of(), io.pinned.tensors)) {
      consumer.accept(io.pinned.views);
    } catch (OrtException e) {
      throw new BackendException("ONNX Runtime failed running graph '" + graph.name() + "' on " + describe(inputs) + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * Copies each input into its slot and returns the feed. Indexing the graph's inputs, not
   * iterating the caller's map, keeps the check allocation-free: equal sizes and every graph input
   * present mean there is no unknown name.
   */
  private Map<String, OnnxTensor> feed(IoBuffers io, Map<String, Tensor> inputs) {
    if (inputs.size() != inputInfos.length) {
      rejectNames(inputs);
    }
    for (int i = 0; i < inputInfos.length; i++) {
      ValueInfo vi = inputInfos[i];
      Tensor t = inputs.get(vi.name());
      if (t == null) {
        rejectNames(inputs);
      }
      check(vi, t);
      InputSlot slot = io.slots[i];
      if (slot == null || !slot.fits(t)) {
        if (slot != null) {
          slot.close();
          io.slots[i] = null;
        }
        slot = new InputSlot(env, vi.name(), t.type(), t.shape());
        io.slots[i] = slot;
        io.feed = null;
        io.generation++;
      }
      t.copyTo(slot.view);
    }
    if (io.feed == null) {
      Map<String, OnnxTensor> feed = new LinkedHashMap<>();
      for (int i = 0; i < inputInfos.length; i++) {
        feed.put(inputInfos[i].name(), io.slots[i].tensor);
      }
      io.feed = feed;
    }
    return io.feed;
  }

  /** Throws the error for inputs whose names do not match the graph's: an unknown name first, then a missing one. */
  private void rejectNames(Map<String, Tensor> inputs) {
    for (String name : inputs.keySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new BackendException("graph '" + graph.name() + "' has no input '" + name + "'; its inputs are " + inputNames());
      }
    }
    for (ValueInfo vi : inputInfos) {
      if (!inputs.containsKey(vi.name()) || inputs.get(vi.name()) == null) {
        throw new BackendException("graph '" + graph.name() + "': no tensor given for input '" + vi.name() + "'");
      }
    }
    throw new AssertionError("input names " + inputs.keySet() + " match graph '" + graph.name() + "'");
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

  /**
   * Output {@code i} as a heap tensor. Its shape is read from ONNX Runtime once per input shape
   * ({@code TensorInfo.getShape()} copies an array on every call) and reused while the element
   * count agrees: quantkit's graphs have no data-dependent output shapes.
   */
  private Tensor toTensor(IoBuffers io, int i, OnnxValue value) {
    String name = outputs[i];
    if (!(value instanceof OnnxTensor)) {
      throw new BackendException("output '" + name + "' of graph '" + graph.name() + "' is a " + value.getType() + ", not a tensor");
    }
    OnnxTensor t = (OnnxTensor) value;
    TensorInfo info = t.getInfo();
    Shape shape = io.outputShapes[i];
    if (shape == null || shape.size() != info.getNumElements()) {
      shape = Shape.of(info.getShape());
      io.outputShapes[i] = shape;
    }
    int n = shape.size();
    switch (info.type) {
      case FLOAT: {
        // getFloatBuffer() already copies native memory into a fresh heap buffer that nobody else
        // holds: the tensor views it instead of copying a second time (calibration reads hundreds
        // of MB of activations) or wrapping its array in yet another buffer.
        FloatBuffer copy = t.getFloatBuffer();
        if (copy.position() == 0 && copy.remaining() == n) {
          return Tensor.viewOf(shape, copy);
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
    synchronized (idle) {
      for (IoBuffers io = idle.pollFirst(); io != null; io = idle.pollFirst()) {
        io.close();
      }
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
    /** The typed view {@link Tensor#copyTo} fills: made once, so a call allocates no view. */
    final java.nio.Buffer view;
    final OnnxTensor tensor;

    InputSlot(OrtEnvironment env, String name, DataType type, Shape shape) {
      this.type = type;
      this.shape = shape;
      this.memory = ByteBuffer.allocateDirect(Math.max(1, shape.size() * type.byteSize())).order(ByteOrder.nativeOrder());
      long[] dims = shape.toLongArray();
      switch (type) {
        case FLOAT32: view = floats(); break;
        case INT8:
        case UINT8: view = bytes(); break;
        case INT32: view = ints(); break;
        case INT64: view = longs(); break;
        default: throw new AssertionError(type);
      }
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
