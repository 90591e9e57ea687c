package io.quantkit.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.quantkit.BackendException;
import io.quantkit.UnsupportedOpsException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Capabilities;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.UnsupportedNode;
import com.google.common.collect.ImmutableList;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs graphs on ONNX Runtime (CPU): the graph is exported to ONNX in memory and loaded into an
 * {@link OrtSession}. Registered as backend "onnx". ONNX Runtime-specific settings travel as an
 * {@link OrtOptions} extension of {@link RunnerOptions}.
 *
 * <p>Thread-safety: thread-safe (one process-wide ONNX Runtime environment); its runners may be shared
 * by many threads: ONNX Runtime sessions run concurrent calls and each call borrows its own input
 * and output buffers.
 */
public final class OrtBackend implements Backend {
  public static final String NAME = "onnx";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Every IR op (the exporter is an exhaustive visitor and ONNX Runtime's CPU provider has a
   * kernel for each op's ONNX form), every element type, QDQ groups fused into integer kernels
   * (QLinearConv, QLinearAdd, QGemm, ...; {@link OrtOptimizedModel} shows which).
   */
  @Override
  public Capabilities capabilities() {
    return Capabilities.builder().ops(Op.classes()).dataTypes(EnumSet.allOf(DataType.class)).integerQdqKernels(true)
        .threadSafeRunners(true).build();
  }

  /** The capabilities' op and type check, plus attribute values ONNX Runtime's CPU kernels refuse. */
  @Override
  public List<UnsupportedNode> check(Graph graph) {
    List<UnsupportedNode> out = new ArrayList<>(capabilities().check(graph, NAME));
    Set<String> reported = new HashSet<>();
    out.forEach(u -> reported.add(u.nodeName()));
    Map<String, ValueInfo> info = ShapeInference.infer(graph);
    for (Node n : graph.nodes()) {
      String why = reported.contains(n.name()) ? null : n.op().accept(new KernelLimits(info.get(n.input(0))));
      if (why != null) {
        out.add(new UnsupportedNode(n.name(), n.op().type(), "ONNX Runtime's CPU kernel " + why));
      }
    }
    return ImmutableList.copyOf(out);
  }

  /**
   * Where ONNX Runtime's CPU kernels are narrower than the ONNX operator (and the IR): null when
   * the kernel takes the node, else why not. Found by running each form on ONNX Runtime 1.23.
   */
  private static final class KernelLimits extends Op.FallbackVisitor<String> {
    private final ValueInfo x;

    KernelLimits(ValueInfo x) {
      this.x = x;
    }

    @Override
    protected String fallback(Op op) {
      return null;
    }

    @Override
    public String lrn(Op.Lrn op) {
      if (op.size() % 2 == 0) {
        return "needs an odd LRN size, got " + op.size();
      }
      if (!(op.alpha() > 0) || !(op.beta() > 0)) {
        return "needs LRN alpha and beta > 0, got " + op.alpha() + " and " + op.beta();
      }
      if (x != null && x.shape().rank() != 4) {
        return "runs LRN on 4-D [N, C, H, W] input only, got " + x.shape();
      }
      return null;
    }
  }

  /** Compiles with the {@link OrtOptions} found in {@code options} (defaults when there are none). */
  @Override
  public Runner compile(Graph graph, RunnerOptions options) {
    UnsupportedOpsException.throwIfAny("backend '" + NAME + "' cannot run graph '" + graph.name() + "'", check(graph));
    OrtOptions ortOptions = options.extension(OrtOptions.class).orElse(OrtOptions.defaults());
    OrtEnvironment env = environment();
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    List<OnnxTensor> inMemory = new ArrayList<>();
    try {
      byte[] model = modelWithWeightsInMemory(graph, ortOptions, env, so, inMemory);
      if (options.threads() > 0) {
        so.setIntraOpNumThreads(options.threads());
      }
      so.setOptimizationLevel(optLevel(options.optimization()));
      // ONNX Runtime 1.20+ quantizes by itself (per tensor, symmetric) the float weight of any
      // Conv/Gemm whose input comes from a DequantizeLinear, which then fuses into an integer
      // kernel: a convolution the quantizer kept FP32 (excluded, or a shape whose integer kernel
      // is wrong, see QdqPlacement) would run INT8 anyway, with coarser weights than asked for.
      so.addConfigEntry("optimization.disable_specified_optimizers", "WeightBiasQuantization");
      if (!ortOptions.prepackWeights()) {
        so.addConfigEntry("session.disable_prepacking", "1");
      }
      if (!ortOptions.spinning().orElse(options.busyWait())) {
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
        so.addConfigEntry("session.inter_op.allow_spinning", "0");
      }
      if (ortOptions.optimizedModelPath().isPresent()) {
        java.nio.file.Path p = ortOptions.optimizedModelPath().get().toAbsolutePath();
        Files.createDirectories(p.getParent());
        so.setOptimizedModelFilePath(p.toString());
      }
      OrtSession session = env.createSession(model, so);
      return new OrtRunner(graph, env, session, so, inMemory);
    } catch (OrtException e) {
      so.close();
      inMemory.forEach(OnnxTensor::close);
      throw new BackendException("ONNX Runtime could not load graph '" + graph.name() + "': " + e.getMessage(), e);
    } catch (IOException e) {
      so.close();
      inMemory.forEach(OnnxTensor::close);
      throw new BackendException("cannot create the folder for ONNX Runtime's optimized model: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      so.close();
      inMemory.forEach(OnnxTensor::close);
      throw e;
    }
  }

  /**
   * The serialized model, its large FLOAT32 weights left out and handed to ONNX Runtime as
   * external initializers over their own memory ({@code inMemory} collects the tensors, which
   * must outlive the session). A weight already off the heap (as {@link OnnxModel#load} reads
   * large ones) is handed over without a copy, one on the heap is copied once into native memory;
   * either way neither a serialized copy nor the one ONNX Runtime would parse out of it exist.
   * (ONNX Runtime 1.23 still copies external initializers into its session: measured with
   * {@code scripts/memory-peak}.) An optimized-model file keeps every weight in the model.
   */
  private static byte[] modelWithWeightsInMemory(Graph graph, OrtOptions ortOptions, OrtEnvironment env,
      OrtSession.SessionOptions so, List<OnnxTensor> inMemory) throws OrtException {
    if (ortOptions.optimizedModelPath().isPresent()) {
      return OnnxModel.toBytes(graph, ortOptions.export());
    }
    Map<String, OnnxTensorLike> external = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, io.quantkit.tensor.Tensor> e : graph.initializers().entrySet()) {
      io.quantkit.tensor.Tensor t = e.getValue();
      if (t.type() == DataType.FLOAT32 && (long) t.size() * 4 >= TensorCodec.OFF_HEAP_BYTES) {
        OnnxTensor value = OnnxTensor.createTensor(env, t.floatBuffer(), t.shape().toLongArray());
        inMemory.add(value);
        external.put(e.getKey(), value);
      }
    }
    if (!external.isEmpty()) {
      so.addExternalInitializers(external);
    }
    return OnnxExporter.exportWithoutData(graph, ortOptions.export(), external.keySet()).toByteArray();
  }

  /**
   * One process-wide environment, as ONNX Runtime requires. Its log is limited to fatal errors:
   * a library must not write to stderr, and every failure reaches the caller as an exception.
   */
  static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
  }

  private static OrtSession.SessionOptions.OptLevel optLevel(RunnerOptions.Optimization o) {
    switch (o) {
      case NONE: return OrtSession.SessionOptions.OptLevel.NO_OPT;
      case BASIC: return OrtSession.SessionOptions.OptLevel.BASIC_OPT;
      case EXTENDED: return OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
      case ALL: return OrtSession.SessionOptions.OptLevel.ALL_OPT;
      default: throw new AssertionError(o);
    }
  }
}
