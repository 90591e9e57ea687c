package io.quantkit.conventions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quantkit.backend.Backends;
import io.quantkit.data.Batch;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Public types hand out no mutable list or array of their own. */
class ImmutabilityTest {
  @Test
  void graphConsumersCannotBeChanged() {
    Graph g = TestGraphs.tinyResNet(1);
    List<Node> consumers = g.consumers("relu1_out");
    assertEquals(2, consumers.size()); // conv2 and the residual add
    assertThrows(UnsupportedOperationException.class, () -> consumers.clear());
    assertThrows(UnsupportedOperationException.class, () -> g.consumers("no such tensor").add(consumers.get(0)));
    assertEquals(2, g.consumers("relu1_out").size());
    Graph.Builder b = g.toBuilder();
    assertThrows(UnsupportedOperationException.class, () -> b.nodes().clear());
  }

  @Test
  void batchLabelsAreCopiedInAndOut() {
    int[] labels = {1, 2, 3};
    Batch batch = new Batch(Tensor.wrapFloats(Shape.of(3, 1), new float[3]), labels);
    labels[0] = 9;
    batch.labels()[1] = 9;
    assertArrayEquals(new int[] {1, 2, 3}, batch.labels());
    assertEquals(3, batch.label(2));
  }

  @Test
  void backendNamesCannotBeChanged() {
    assertThrows(UnsupportedOperationException.class, () -> Backends.available().add("x"));
  }
}
