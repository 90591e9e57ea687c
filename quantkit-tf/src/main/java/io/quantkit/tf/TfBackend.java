package io.quantkit.tf;

import io.quantkit.QuantkitException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import com.google.common.collect.ImmutableList;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.quantkit.ir.passes.BatchNormFolding;
import java.nio.file.Path;
import org.tensorflow.Session;

/**
 * Runs graphs on TensorFlow's CPU kernels through TensorFlow Java (TF 2.18): the IR is translated
 * into a TensorFlow graph ({@link GraphTranslator}) and run in a session. Also runs a SavedModel
 * directory as it is, by its serving signature ({@link #open}). Registered as backend "tf".
 *
 * <p>TensorFlow writes its native log to the process's stderr, which a library cannot redirect;
 * set the environment variable {@code TF_CPP_MIN_LOG_LEVEL=2} before the JVM starts to silence its
 * informational lines (the {@code ./quantkit} launcher does).
 *
 * <p>Stateless and thread-safe; the runners it returns are thread-safe too.
 */
public final class TfBackend implements Backend {
  public static final String NAME = "tf";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<UnsupportedNode> check(Graph graph) {
    List<UnsupportedNode> out = new ArrayList<>(Backend.super.check(graph));
    Map<String, ValueInfo> info = ShapeInference.infer(graph);
    for (Node n : graph.nodes()) {
      String why = GraphTranslator.refusal(n.op());
      if (why != null) {
        out.add(new UnsupportedNode(n.name(), n.op().type(), why));
      }
      // Mirrors GraphTranslator.lrn: TensorFlow's LRN window is symmetric and channels-last 4-D.
      if (n.op() instanceof Op.Lrn lrn && (info.get(n.input(0)).shape().rank() != 4 || lrn.size() % 2 == 0)) {
        out.add(new UnsupportedNode(n.name(), n.op().type(),
            "the tf backend runs LRN on 4-D inputs with an odd size (TensorFlow's window is symmetric)"));
      }
    }
    return ImmutableList.copyOf(out);
  }

  @Override
  public Runner compile(Graph graph, RunnerOptions options) {
    org.tensorflow.Graph tfGraph = new org.tensorflow.Graph();
    Session session = null;
    try {
      GraphTranslator.Translation t = GraphTranslator.translate(prepare(graph, options), tfGraph);
      session = new Session(tfGraph, TfSessions.config(options, true));
      return new TfRunner(graph, tfGraph, session, t);
    } catch (RuntimeException e) {
      if (session != null) {
        session.close();
      }
      tfGraph.close();
      if (e instanceof QuantkitException) {
        throw e;
      }
      throw new io.quantkit.BackendException("TensorFlow could not load graph '" + graph.name() + "': "
          + SessionHolder.firstLine(e.getMessage()), e);
    }
  }

  /**
   * The graph as it is translated: unless optimizations are off, inference BatchNorms are folded
   * into the convolutions before them, so TensorFlow's remapper can fuse Conv2D + BiasAdd + Relu
   * into one oneDNN kernel (it has no pattern for a BatchNorm written out as arithmetic). Tensor
   * names, and so the runner's inputs and outputs, stay the same.
   */
  static Graph prepare(Graph graph, RunnerOptions options) {
    return options.optimization() == RunnerOptions.Optimization.NONE ? graph : BatchNormFolding.apply(graph);
  }

  /** A directory holding {@code saved_model.pb} (or {@code .pbtxt}). */
  @Override
  public boolean canOpen(Path modelFile) {
    return SavedModels.isSavedModel(modelFile);
  }

  /** Runs the SavedModel in {@code dir} by its {@code serving_default} signature (or its only one). */
  @Override
  public Runner open(Path dir, RunnerOptions options) {
    return SavedModels.open(dir, options, SavedModelOptions.defaults());
  }
}
