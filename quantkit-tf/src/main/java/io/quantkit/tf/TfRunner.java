package io.quantkit.tf;

import io.quantkit.backend.Runner;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Output;
import org.tensorflow.Session;

/**
 * An IR graph translated to TensorFlow and loaded into a {@link Session}.
 *
 * <p>Thread-safe: {@link #run} may be called from many threads at once (a TensorFlow session runs
 * concurrent steps; each call owns its native input and output tensors). {@link #close} waits for
 * runs in progress and then frees the session and the graph.
 */
final class TfRunner implements Runner {
  private final Graph graph;
  private final GraphTranslator.Translation translation;
  private final List<SessionHolder.Fetch> fetches = new ArrayList<>();
  private final SessionHolder holder;

  TfRunner(Graph graph, org.tensorflow.Graph tfGraph, Session session, GraphTranslator.Translation translation) {
    this.graph = graph;
    this.translation = translation;
    Map<String, ValueInfo> info = ShapeInference.infer(graph);
    for (String out : graph.outputs()) {
      fetches.add(new SessionHolder.Fetch(out, translation.outputs().get(out), info.get(out).type()));
    }
    this.holder = new SessionHolder("graph '" + graph.name() + "'", session, session, tfGraph);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public String backendName() {
    return TfBackend.NAME;
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    String what = "graph '" + graph.name() + "'";
    Inputs.check(what, graph.inputs(), inputs);
    Map<Output<?>, Tensor> feeds = new LinkedHashMap<>();
    for (ValueInfo in : graph.inputs()) {
      feeds.put(translation.inputs().get(in.name()), inputs.get(in.name()));
    }
    return holder.run(feeds, fetches, Inputs.describe(inputs));
  }

  @Override
  public void close() {
    holder.close();
  }
}
