package io.quantkit.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.backend.Runner;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {
  private static final float[][] A = {{1, 0, 0}, {0, 2, 0}, {0, 0, 3}, {1, 1, 0}};
  private static final float[][] B = {{0.5f, 0, 0}, {0, 1, 3}, {0, 0, 3}, {1, 1.5f, 0}};
  private static final int[] LABELS = {0, 1, 2, 1};

  private static Map<String, Runner> runners() {
    Map<String, Runner> m = new LinkedHashMap<>();
    m.put("A", FakeRunner.table("m", A));
    m.put("B", FakeRunner.table("m", B));
    m.put("C", FakeRunner.table("m", A));
    return m;
  }

  /*
   * By hand: top-1 of A = 0 1 2 0 (row 3 ties -> 0), of B = 0 2 2 1. A/B agree on rows 0 and 2.
   * |A - B| = .5 0 0 | 0 1 3 | 0 0 0 | 0 .5 0: max 3, sum 5 over 12 elements.
   * Against labels 0 1 2 1: A right on 3 of 4, B right on 3 of 4.
   */
  private static void checkHandComputed(ComparisonReport r) {
    assertEquals(4, r.samples());
    ComparisonReport.Pair ab = r.pair("A", "B");
    assertEquals(0.5, ab.agreement(), 1e-12);
    assertEquals(2, ab.disagreements());
    assertEquals(3.0, ab.maxAbsDiff(), 1e-12);
    assertEquals(5.0 / 12, ab.meanAbsDiff(), 1e-9);
    ComparisonReport.Pair ac = r.pair("C", "A");
    assertEquals(1.0, ac.agreement());
    assertEquals(0.0, ac.maxAbsDiff());
    assertEquals(0.0, ac.meanAbsDiff());
    assertEquals(ab.agreement(), r.pair("B", "C").agreement());
    assertEquals(List.of("A", "B", "C"), r.runners().stream().map(ComparisonReport.RunnerResult::name).toList());
    assertEquals(List.of("A/B", "A/C", "B/C"), r.pairs().stream().map(p -> p.a() + "/" + p.b()).toList());
  }

  @Test
  void runnersOnADatasetInSeveralBatches() {
    ListDataset ds = new ListDataset("toy", List.of("x", "y", "z"), LABELS);
    ComparisonReport r = Comparison.builder().dataset(ds).batchSize(3).build().run(runners());
    checkHandComputed(r);
    assertEquals(0.75, r.runner("A").top1(), 1e-12);
    assertEquals(0.75, r.runner("B").top1(), 1e-12);
    assertEquals("toy", r.dataset());
  }

  private static Tensor tensor(float[][] rows) {
    float[] flat = new float[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
    }
    return Tensor.wrapFloats(Shape.of(rows.length, rows[0].length), flat);
  }

  @Test
  void precomputedOutputs() {
    Map<String, Tensor> outs = new LinkedHashMap<>();
    outs.put("A", tensor(A));
    outs.put("B", tensor(B));
    outs.put("C", tensor(A));
    ComparisonReport r = Comparison.ofOutputs(outs, null, "precomputed");
    checkHandComputed(r);
    assertNull(r.runner("A").top1());
    assertEquals(0.75, Comparison.ofOutputs(outs, LABELS, "p").runner("B").top1(), 1e-12);
  }

  @Test
  void jsonRoundTrip(@TempDir Path dir) {
    ListDataset ds = new ListDataset("toy", List.of("x", "y", "z"), LABELS);
    ComparisonReport r = Comparison.builder().dataset(ds).build().run(runners());
    assertEquals(r, ComparisonReport.fromJson(r.toJson()));
    assertTrue(r.toJson().contains("\"maxAbsDiff\""));
    Path f = dir.resolve("cmp.json");
    r.save(f);
    assertEquals(r, ComparisonReport.load(f));
    // the form written before the format tag still loads; an unknown tag is named in the error
    String untagged = r.toJson().replace("\"format\" : \"" + ComparisonReport.FORMAT + "\",", "");
    assertTrue(!untagged.contains("format"), untagged);
    assertEquals(r, ComparisonReport.fromJson(untagged));
    String future = r.toJson().replace(ComparisonReport.FORMAT, "quantkit.comparison-report/2");
    io.quantkit.ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(io.quantkit.ModelFormatException.class,
        () -> ComparisonReport.fromJson(future));
    assertTrue(e.getMessage().contains("quantkit.comparison-report/2"), e.getMessage());
    assertTrue(r.toSummary().contains("50.00 %"), r.toSummary());
  }

  @Test
  void differentOutputShapesAreRejected() {
    ListDataset ds = new ListDataset("toy", List.of("x", "y", "z"), LABELS);
    Map<String, Runner> m = new LinkedHashMap<>();
    m.put("A", FakeRunner.table("m", A));
    m.put("wide", FakeRunner.table("m", new float[4][5]));
    BackendException e = assertThrows(BackendException.class, () -> Comparison.builder().dataset(ds).build().run(m));
    assertTrue(e.getMessage().contains("wide"), e.getMessage());
  }
}
