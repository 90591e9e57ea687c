package io.quantkit.quant;

import io.quantkit.GraphException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks that every excluded node name and op type of {@link QuantOptions} names something in the
 * graph: a typo would otherwise quantize everything and succeed silently.
 */
final class Exclusions {
  private Exclusions() {}

  /**
   * @param fp32 the graph as given (before BatchNorm folding), whose node names the user sees
   * @param folded the graph the placement works on
   * @throws GraphException naming the unknown entries and the closest names that exist
   */
  static void check(Graph fp32, Graph folded, QuantOptions options) {
    Map<String, String> opOfNode = new LinkedHashMap<>();
    for (Node n : fp32.nodes()) {
      opOfNode.put(n.name(), n.op().type());
    }
    Set<String> kept = new LinkedHashSet<>();
    Set<String> opTypes = new LinkedHashSet<>();
    for (Node n : folded.nodes()) {
      kept.add(n.name());
      opTypes.add(n.op().type());
    }
    List<String> problems = new ArrayList<>();
    for (String name : options.excludeNodes()) {
      if (kept.contains(name)) {
        continue;
      }
      if (opOfNode.containsKey(name)) {
        problems.add("node '" + name + "' (" + opOfNode.get(name) + ") is folded into its producer before quantization; "
            + "exclude that node instead");
      } else {
        problems.add("no node named '" + name + "'" + closest(name, opOfNode.keySet()));
      }
    }
    for (String type : options.excludeOpTypes()) {
      if (!opTypes.contains(type)) {
        problems.add("no node of op type '" + type + "'" + closest(type, opTypes) + " (op types here: " + opTypes + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new GraphException("graph " + fp32.name() + ": cannot exclude from quantization: " + String.join("; ", problems));
    }
  }

  /** "; did you mean a, b, c?" with up to three names by edit distance, or "" if none is close. */
  static String closest(String wanted, Iterable<String> names) {
    String w = wanted.toLowerCase(Locale.ROOT);
    List<String> close = new ArrayList<>();
    Map<String, Integer> distance = new LinkedHashMap<>();
    for (String n : names) {
      String l = n.toLowerCase(Locale.ROOT);
      int d = editDistance(w, l);
      // Close means a few edits for the length, or one name containing the other.
      if (d <= Math.max(2, w.length() / 3) || l.contains(w) || w.contains(l)) {
        close.add(n);
        distance.put(n, d);
      }
    }
    if (close.isEmpty()) {
      return "";
    }
    close.sort(Comparator.comparingInt(distance::get));
    return "; did you mean " + String.join(", ", close.subList(0, Math.min(3, close.size()))) + "?";
  }

  /** Levenshtein distance (two rows). */
  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
