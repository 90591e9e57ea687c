package io.quantkit;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import io.quantkit.backend.UnsupportedNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every node of a model that an importer cannot represent, or a backend cannot run, reported at
 * once: the message counts them by op type and names the first nodes of each, so one attempt
 * shows the whole gap instead of the first unsupported node only. {@link #nodeName()}, {@link
 * #opType()} and {@link #detail()} describe the first node, which keeps code written against
 * {@link UnsupportedOpException} working.
 *
 * <p>The message is one line (the command line prints it as is); {@link #nodes()} has them all.
 */
public class UnsupportedOpsException extends UnsupportedOpException {
  private static final long serialVersionUID = 1L;
  /** Node names listed per op type in the message; the rest are counted. */
  private static final int NAMES_PER_TYPE = 3;

  private final ImmutableList<UnsupportedNode> nodes;

  public UnsupportedOpsException(String subject, List<UnsupportedNode> nodes) {
    super(message(subject, nodes), first(nodes).nodeName(), first(nodes).opType(), first(nodes).reason());
    this.nodes = ImmutableList.copyOf(nodes);
  }

  /** Throws an {@link UnsupportedOpsException} about {@code subject} when {@code nodes} is not empty. */
  public static void throwIfAny(String subject, List<UnsupportedNode> nodes) {
    if (!nodes.isEmpty()) {
      throw new UnsupportedOpsException(subject, nodes);
    }
  }

  /** Every unsupported node, in model order. */
  public ImmutableList<UnsupportedNode> nodes() {
    return nodes;
  }

  /** Number of unsupported nodes per op type, sorted by op type. */
  public ImmutableSortedMap<String, Integer> countsByOpType() {
    Map<String, Integer> counts = new TreeMap<>();
    nodes.forEach(n -> counts.merge(n.opType(), 1, Integer::sum));
    return ImmutableSortedMap.copyOf(counts);
  }

  private static UnsupportedNode first(List<UnsupportedNode> nodes) {
    Preconditions.checkArgument(!nodes.isEmpty(), "no unsupported nodes to report");
    return nodes.get(0);
  }

  private static String message(String subject, List<UnsupportedNode> nodes) {
    first(nodes);
    if (nodes.size() == 1) {
      return subject + ": unsupported " + nodes.get(0);
    }
    Map<String, List<UnsupportedNode>> byType = new LinkedHashMap<>();
    for (UnsupportedNode n : nodes) {
      byType.computeIfAbsent(n.opType(), k -> new ArrayList<>()).add(n);
    }
    StringBuilder sb = new StringBuilder(subject).append(": ").append(nodes.size()).append(" unsupported nodes of ")
        .append(byType.size()).append(byType.size() == 1 ? " op type: " : " op types: ");
    boolean firstType = true;
    for (Map.Entry<String, List<UnsupportedNode>> e : byType.entrySet()) {
      List<UnsupportedNode> list = e.getValue();
      sb.append(firstType ? "" : "; ").append(e.getKey()).append(" x").append(list.size()).append(" (");
      for (int i = 0; i < Math.min(NAMES_PER_TYPE, list.size()); i++) {
        sb.append(i == 0 ? "'" : ", '").append(list.get(i).nodeName()).append('\'');
      }
      if (list.size() > NAMES_PER_TYPE) {
        sb.append(", ").append(list.size() - NAMES_PER_TYPE).append(" more");
      }
      String reason = list.get(0).reason();
      sb.append(reason.isEmpty() ? ")" : "): " + reason);
      firstType = false;
    }
    return sb.toString();
  }
}
