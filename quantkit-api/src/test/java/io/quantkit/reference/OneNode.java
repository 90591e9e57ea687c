package io.quantkit.reference;

import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs one op on the reference backend: every non-null argument becomes a graph input. */
final class OneNode {
  private OneNode() {}

  static Graph graph(Op op, Tensor... args) {
    Graph.Builder b = Graph.builder("one-" + op.type());
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i] == null) {
        names.add("");
      } else {
        String name = "in" + i;
        names.add(name);
        b.input(new ValueInfo(name, args[i].type(), args[i].shape()));
      }
    }
    return b.node(Node.of("node", op, names, List.of("y"))).output("y").build();
  }

  static Tensor run(Op op, Tensor... args) {
    return run(RunnerOptions.defaults(), op, args);
  }

  static Tensor run(RunnerOptions options, Op op, Tensor... args) {
    Graph g = graph(op, args);
    Map<String, Tensor> feeds = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i] != null) {
        feeds.put("in" + i, args[i]);
      }
    }
    try (ReferenceRunner r = new ReferenceBackend().compile(g, options)) {
      return r.run(feeds).get("y");
    }
  }
}
