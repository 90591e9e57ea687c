package io.quantkit.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quantkit.BackendException;
import io.quantkit.QuantkitException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationTest {
  private static final List<String> ABC = List.of("a", "b", "c");
  private static final int[] LABELS = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  /** What the fake model predicts for image i. */
  private static final int[] PREDS = {0, 1, 2, 0, 2, 2, 1, 1, 2, 0};

  private static float[][] logits(int[] preds) {
    float[][] rows = new float[preds.length][3];
    for (int i = 0; i < preds.length; i++) {
      rows[i] = new float[] {-1, -2, -3};
      rows[i][preds[i]] = 5;
    }
    return rows;
  }

  @Test
  void runsAllBatchesInOrder() {
    ListDataset ds = new ListDataset("toy", ABC, LABELS);
    FakeRunner runner = FakeRunner.table("toy-model", logits(PREDS));
    List<int[]> progress = new ArrayList<>();
    AccuracyReport r = Evaluation.builder().dataset(ds).batchSize(4).precision("fp32")
        .progress((done, total) -> progress.add(new int[] {done, total})).build().run(runner);

    assertEquals(List.of(4, 4, 2), runner.batchSizes);
    assertEquals(List.of("0/10", "4/10", "8/10", "10/10"),
        progress.stream().map(p -> p[0] + "/" + p[1]).toList());
    assertEquals(10, r.samples());
    assertEquals(0.8, r.top1(), 1e-12);  // images 4 and 6 are wrong
    assertEquals(1.0, r.top5(), 1e-12);  // three classes: always in the top five
    assertArrayEquals(new int[][] {{3, 1, 0}, {0, 2, 1}, {0, 0, 3}}, r.confusion());
    assertArrayEquals(PREDS, r.predictions());
    assertEquals("toy-model", r.model());
    assertEquals("fake", r.backend());
    assertEquals("fp32", r.precision());
    assertEquals("toy", r.dataset());
  }

  @Test
  void baselineGivesFlipsAndDrop() {
    ListDataset ds = new ListDataset("toy", ABC, LABELS);
    AccuracyReport perfect = Evaluation.builder().dataset(ds).build().run(FakeRunner.table("m", logits(LABELS)));
    assertEquals(1.0, perfect.top1());
    AccuracyReport r = Evaluation.builder().dataset(ds).batchSize(3).baseline(perfect).model("m").backend("x")
        .build().run(FakeRunner.table("m", logits(PREDS)));
    assertEquals(2, r.flips());
    assertEquals(20.0, r.dropPoints(), 1e-9);
    assertEquals("x", r.backend());
  }

  @Test
  void baselineOfAnotherSizeIsRejected() {
    ListDataset ds = new ListDataset("toy", ABC, LABELS);
    AccuracyReport small = AccuracyReport.of(logits(new int[] {0}), new int[] {0}, ABC);
    assertThrows(QuantkitException.class, () -> Evaluation.builder().dataset(ds).baseline(small).build());
  }

  @Test
  void outputOfAnotherWidthThanTheClassesIsALabelMismatch() {
    ListDataset ds = new ListDataset("toy", ABC, LABELS);
    FakeRunner fourScores = FakeRunner.table("m", new float[10][4]);
    io.quantkit.DatasetException e = assertThrows(io.quantkit.DatasetException.class,
        () -> Evaluation.builder().dataset(ds).build().run(fourScores));
    io.quantkit.data.Checks.assertThat(e).hasMessageContaining("labels do not fit").hasMessageContaining("3 classes")
        .hasMessageContaining("4 values per sample");
  }
}
