package io.quantkit.tf;

import io.quantkit.ir.Graph;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.NodeDef;

/** What the translation of an IR graph contains, for tests. */
final class TfGraphs {
  private TfGraphs() {}

  static Map<String, Integer> opTypes(Graph ir) {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      GraphTranslator.translate(ir, g);
      Map<String, Integer> counts = new TreeMap<>();
      for (NodeDef n : g.toGraphDef().getNodeList()) {
        counts.merge(n.getOp(), 1, Integer::sum);
      }
      return counts;
    }
  }

  static int opCount(Graph ir, String type) {
    return opTypes(ir).getOrDefault(type, 0);
  }
}
