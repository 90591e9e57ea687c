package io.quantkit.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.UnsupportedOpsException;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Backend capabilities, check() before compile, and typed RunnerOptions extensions. */
class CapabilitiesTest {

  /** A backend written before capabilities existed: it only names itself and compiles. */
  private static final class LegacyBackend implements Backend {
    @Override
    public String name() {
      return "legacy";
    }

    @Override
    public Runner compile(Graph graph, RunnerOptions options) {
      throw new UnsupportedOperationException();
    }
  }

  /** relu -> mul(int64 constant) on an INT64 path, and a float softmax. */
  private static Graph graph() {
    return Graph.builder("g")
        .input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 3)))
        .input(new ValueInfo("n", DataType.INT64, Shape.of(3)))
        .node(Node.of("relu", new Op.Relu(), List.of("x"), List.of("r")))
        .node(Node.of("softmax", new Op.Softmax(-1), List.of("r"), List.of("y")))
        .node(Node.of("mul", new Op.Mul(), List.of("n", "n"), List.of("nn")))
        .output("y").output("nn")
        .build();
  }

  @Test
  void aBackendThatSaysNothingClaimsEverythingAndChecksNothing() {
    Backend b = new LegacyBackend();
    assertEquals(Op.classes(), b.capabilities().ops());
    assertEquals(EnumSet.allOf(DataType.class), b.capabilities().dataTypes());
    assertFalse(b.capabilities().integerQdqKernels());
    assertFalse(b.capabilities().threadSafeRunners());
    assertEquals(List.of(), b.check(graph()));
  }

  @Test
  void checkListsEveryNodeOutsideTheCapabilitiesWithItsReason() {
    Capabilities caps = Capabilities.builder().ops(Set.of(Op.Relu.class, Op.Mul.class)).dataTypes(Set.of(DataType.FLOAT32))
        .build();
    Graph g = graph();
    List<UnsupportedNode> problems = caps.check(g, "tiny");
    // in graph order (Graph sorts nodes topologically: mul, needing only an input, comes first)
    assertEquals(List.of("mul", "softmax"), g.nodes().stream().map(Node::name).filter(n -> !n.equals("relu")).toList());
    assertEquals(List.of(
        new UnsupportedNode("mul", "Mul", "tensor 'n' is INT64, which backend 'tiny' does not handle"),
        new UnsupportedNode("softmax", "Softmax", "backend 'tiny' has no kernel for Softmax")), problems);
    UnsupportedOpsException e = new UnsupportedOpsException("backend 'tiny' cannot run graph 'g'", problems);
    assertEquals("backend 'tiny' cannot run graph 'g': 2 unsupported nodes of 2 op types: Mul x1 ('mul'): tensor 'n' is "
        + "INT64, which backend 'tiny' does not handle; Softmax x1 ('softmax'): backend 'tiny' has no kernel for Softmax",
        e.getMessage());
  }

  @Test
  void theReferenceBackendChecksItsKernelTable() {
    Backend ref = Backends.named("reference");
    assertEquals(Op.classes(), ref.capabilities().ops(), "the reference kernel table is an exhaustive visitor");
    List<UnsupportedNode> problems = ref.check(graph());
    assertEquals(1, problems.size());
    assertEquals("mul", problems.get(0).nodeName());
    assertTrue(problems.get(0).reason().contains("FLOAT32 only"), problems.get(0).reason());
    UnsupportedOpsException e = assertThrows(UnsupportedOpsException.class, () -> ref.compile(graph()));
    assertEquals(problems, e.nodes(), "compile refuses exactly what check reported");
  }

  /** Settings of some backend, as a backend module would define them. */
  private record FakeOptions(int level) {}

  @Test
  void extensionsTravelByTypeAndSurviveToBuilder() {
    FakeOptions fake = new FakeOptions(3);
    RunnerOptions o = RunnerOptions.builder().threads(2).extension(fake).build();
    assertSame(fake, o.extension(FakeOptions.class).orElseThrow());
    assertEquals(Optional.empty(), o.extension(String.class));
    RunnerOptions copy = o.toBuilder().threads(1).build();
    assertSame(fake, copy.extension(FakeOptions.class).orElseThrow());
    assertEquals(1, copy.threads());
    RunnerOptions replaced = copy.toBuilder().extension(new FakeOptions(4)).build();
    assertEquals(4, replaced.extension(FakeOptions.class).orElseThrow().level());
    assertEquals(Optional.empty(), RunnerOptions.defaults().extension(FakeOptions.class));
  }
}
