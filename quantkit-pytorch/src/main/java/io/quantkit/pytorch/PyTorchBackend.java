package io.quantkit.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import io.quantkit.BackendException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Capabilities;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Op;
import io.quantkit.ir.passes.BatchNormFolding;
import io.quantkit.tensor.DataType;
import java.util.ArrayList;
import java.util.EnumSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs graphs on PyTorch 2.7 through DJL: the graph is written as TorchScript
 * ({@link TorchScriptModel}; a QDQ graph becomes code on PyTorch's quantized operators) and loaded
 * by libtorch. Also runs TorchScript files as they are ({@link #open}). Registered as backend
 * "pytorch".
 *
 * <p>{@link RunnerOptions#threads()} sets PyTorch's intra-op thread count, which PyTorch keeps per
 * process, not per model. Thread-safe.
 */
public final class PyTorchBackend implements Backend {
  public static final String NAME = "pytorch";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Every IR op (FP32 on PyTorch's operators; QDQ groups with an integer kernel on quantized
   * tensors), every element type, runners shared by threads. Attribute values PyTorch cannot take
   * show up in {@link #check}.
   */
  @Override
  public Capabilities capabilities() {
    return Capabilities.builder().ops(Op.classes()).dataTypes(EnumSet.allOf(DataType.class)).integerQdqKernels(true)
        .threadSafeRunners(true).build();
  }

  /** The capabilities' check, then the TorchScript translation itself (cheap: no libtorch involved). */
  @Override
  public List<UnsupportedNode> check(Graph graph) {
    List<UnsupportedNode> out = new ArrayList<>(capabilities().check(graph, NAME));
    if (out.isEmpty()) {
      try {
        TorchScriptTranslator.translate(graph);
      } catch (UnsupportedOpException e) {
        out.add(UnsupportedNode.of(e));
      }
    }
    return List.copyOf(out);
  }

  /**
   * Unless optimizations are off, inference BatchNorms are folded into the convolutions before
   * them first (tensor names, so the runner's contract, stay the same): PyTorch then runs one
   * operator instead of two per layer. {@link TorchScriptModel#save} keeps the layers as they are.
   */
  @Override
  public Runner compile(Graph graph, RunnerOptions options) {
    Graph prepared = options.optimization() == RunnerOptions.Optimization.NONE ? graph : BatchNormFolding.apply(graph);
    TorchScriptExport export = TorchScriptModel.export(prepared);
    return load(export.bytes(), graph, export.signature(), export, options);
  }

  /** Compiles an export made earlier (for instance to keep its warnings and kernel counts). */
  public Runner compile(Graph graph, TorchScriptExport export, RunnerOptions options) {
    return load(export.bytes(), graph, export.signature(), export, options);
  }

  @Override
  public boolean canOpen(Path modelFile) {
    return TorchScriptFile.isTorchScript(modelFile);
  }

  @Override
  public Runner open(Path modelFile, RunnerOptions options) {
    if (!TorchScriptFile.isTorchScript(modelFile)) {
      throw new BackendException(modelFile + " is not a TorchScript archive (a zip with version, data.pkl and code/)");
    }
    Signature signature = TorchScriptFile.signature(modelFile);
    return loadFile(modelFile, null, signature, null, options);
  }

  private static Runner load(byte[] archive, Graph graph, Signature signature, TorchScriptExport export, RunnerOptions options) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile("quantkit-", ".pt");
      Files.write(tmp, archive);
      return loadFile(tmp, graph, signature, export, options);
    } catch (IOException e) {
      throw new BackendException("cannot write a temporary TorchScript file for graph '" + signature.modelName() + "': "
          + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // libtorch has read the file; a leftover temporary file is harmless
        }
      }
    }
  }

  private static Runner loadFile(Path file, Graph graph, Signature signature, TorchScriptExport export, RunnerOptions options) {
    PyTorchEngine.get();
    PyTorchEngine.setThreads(options.threads());
    NDManager manager = PyTorchEngine.get().newBaseManager(Device.cpu());
    try {
      PtSymbolBlock block = JniUtils.loadModule((PtNDManager) manager, file, true, new String[0], new String[0], false);
      JniUtils.enableInferenceMode(block);
      return new PyTorchRunner(graph, signature, manager, block, export == null ? List.of() : export.warnings());
    } catch (RuntimeException e) {
      manager.close();
      throw new BackendException("PyTorch could not load " + (graph != null ? "graph '" + graph.name() + "'" : file) + ": "
          + e.getMessage(), e);
    }
  }
}
