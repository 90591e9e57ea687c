package io.quantkit.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyReportTest {
  static final List<String> CLASSES = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6");

  // Seven samples over seven classes, worked out by hand (see each row's comment).
  static final float[][] SCORES = {
      {0.9f, 0.1f, 0, 0, 0, 0, 0},  // label 0: predicted 0, label rank 0
      {0.5f, 0.3f, 0.2f, 0, 0, 0, 0},  // label 1: predicted 0, rank 1
      {6, 5, 4, 3, 2, 1, 0},  // label 2: predicted 0, rank 2
      {6, 5, 4, 3, 2, 1, 0},  // label 6: predicted 0, rank 6 (not top-5)
      {1, 1, 1, 1, 1, 1, 1},  // label 5: all tied -> predicted 0, rank 5 (not top-5)
      {1, 1, 1, 1, 1, 1, 1},  // label 4: all tied -> predicted 0, rank 4
      {0, 0, 3, 0, 0, 0, 3},  // label 2: tie between 2 and 6 -> predicted 2
  };
  static final int[] LABELS = {0, 1, 2, 6, 5, 4, 2};

  static AccuracyReport report() {
    return AccuracyReport.builder(CLASSES).model("m").backend("b").precision("int8").dataset("d")
        .add(SCORES, LABELS).build();
  }

  static float[][] oneHot(int... preds) {
    float[][] s = new float[preds.length][CLASSES.size()];
    for (int i = 0; i < preds.length; i++) {
      s[i][preds[i]] = 1;
    }
    return s;
  }

  @Test
  void handComputedCase() {
    AccuracyReport r = report();
    assertEquals(7, r.samples());
    assertEquals(2.0 / 7, r.top1(), 1e-12);
    assertEquals(5.0 / 7, r.top5(), 1e-12);
    assertEquals(2, r.correct());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 2}, r.predictions());
    int[][] confusion = new int[7][7];
    confusion[0][0] = 1;
    confusion[1][0] = 1;
    confusion[2][0] = 1;
    confusion[2][2] = 1;
    confusion[6][0] = 1;
    confusion[5][0] = 1;
    confusion[4][0] = 1;
    assertArrayEquals(confusion, r.confusion());
    assertEquals(Arrays.asList(1.0, 0.0, 0.5, null, 0.0, 0.0, 0.0), r.perClassAccuracy());
    assertNull(r.dropPoints());
    assertNull(r.flips());
    assertFalse(r.hasBaseline());
  }

  @Test
  void tensorInputInBatchesEqualsArrayInput() {
    float[] flat = new float[7 * 7];
    for (int i = 0; i < 7; i++) {
      System.arraycopy(SCORES[i], 0, flat, i * 7, 7);
    }
    Tensor all = Tensor.wrapFloats(Shape.of(7, 7), flat);
    AccuracyReport r = AccuracyReport.builder(CLASSES).model("m").backend("b").precision("int8").dataset("d")
        .add(all.sliceFirstAxis(0, 3), Arrays.copyOfRange(LABELS, 0, 3))
        .add(all.sliceFirstAxis(3, 7), Arrays.copyOfRange(LABELS, 3, 7))
        .build();
    assertEquals(report(), r);
  }

  @Test
  void baselineGivesDropAndFlips() {
    AccuracyReport baseline = AccuracyReport.builder(CLASSES).dataset("d")
        .add(oneHot(0, 1, 2, 6, 5, 4, 6), LABELS).build();
    assertEquals(6.0 / 7, baseline.top1(), 1e-12);
    AccuracyReport r = report().withBaseline(baseline);
    // predictions 0 0 0 0 0 0 2 vs 0 1 2 6 5 4 6: only sample 0 agrees.
    assertEquals(6, r.flips());
    assertEquals((6.0 / 7 - 2.0 / 7) * 100, r.dropPoints(), 1e-9);
    assertTrue(r.hasBaseline());

    AccuracyReport viaBuilder = AccuracyReport.builder(CLASSES).model("m").backend("b").precision("int8").dataset("d")
        .baseline(baseline).add(SCORES, LABELS).build();
    assertEquals(r, viaBuilder);
  }

  @Test
  void baselineMustCoverTheSameSamples() {
    AccuracyReport six = AccuracyReport.builder(CLASSES).dataset("d")
        .add(oneHot(0, 1, 2, 6, 5, 4), Arrays.copyOf(LABELS, 6)).build();
    QuantkitException e = assertThrows(QuantkitException.class, () -> report().withBaseline(six));
    assertTrue(e.getMessage().contains("6") && e.getMessage().contains("7"), e.getMessage());

    AccuracyReport otherData = AccuracyReport.builder(CLASSES).dataset("other").add(SCORES, LABELS).build();
    QuantkitException e2 = assertThrows(QuantkitException.class, () -> report().withBaseline(otherData));
    assertTrue(e2.getMessage().contains("other"), e2.getMessage());
  }

  @Test
  void nanScoresAndBadLabelsAreRejected() {
    float[][] nan = {{0, Float.NaN, 0, 0, 0, 0, 0}};
    assertThrows(QuantkitException.class, () -> AccuracyReport.of(nan, new int[] {0}, CLASSES));
    assertThrows(IllegalArgumentException.class, () -> AccuracyReport.of(oneHot(0), new int[] {7}, CLASSES));
    assertThrows(IllegalArgumentException.class, () -> AccuracyReport.of(new float[][] {{1, 2}}, new int[] {0}, CLASSES));
  }

  @Test
  void jsonRoundTripWithTheDocumentedFieldNames() throws IOException {
    AccuracyReport plain = report();
    AccuracyReport withBase = plain.withBaseline(AccuracyReport.builder(CLASSES).dataset("d")
        .add(oneHot(0, 1, 2, 6, 5, 4, 6), LABELS).build());
    for (AccuracyReport r : List.of(plain, withBase)) {
      assertEquals(r, AccuracyReport.fromJson(r.toJson()));
    }
    JsonNode tree = new ObjectMapper().readTree(plain.toJson());
    Set<String> names = new TreeSet<>();
    tree.fieldNames().forEachRemaining(names::add);
    assertEquals(new TreeSet<>(List.of("format", "samples", "top1", "top5", "perClassAccuracy", "confusion", "classNames", "model",
        "backend", "precision", "dataset", "predictions", "dropPoints", "flips")), names);
    assertTrue(tree.get("flips").isNull());
    assertTrue(tree.get("perClassAccuracy").get(3).isNull());
    assertEquals(1, tree.get("confusion").get(2).get(2).asInt());
    assertEquals(1, tree.get("confusion").get(6).get(0).asInt());
    assertEquals(6, new ObjectMapper().readTree(withBase.toJson()).get("flips").asInt());
    assertEquals(AccuracyReport.FORMAT, tree.get("format").asText());
  }

  @Test
  void readsReportsWrittenBeforeTheFormatTagAndRejectsUnknownFormats() throws IOException {
    AccuracyReport r = report();
    com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode)
        new ObjectMapper().readTree(r.toJson());
    tree.remove("format");
    assertEquals(r, AccuracyReport.fromJson(tree.toString())); // the previous, versionless form
    tree.put("format", "quantkit.accuracy-report/99");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> AccuracyReport.fromJson(tree.toString()));
    assertTrue(e.getMessage().contains("quantkit.accuracy-report/99") && e.getMessage().contains(AccuracyReport.FORMAT),
        e.getMessage());
  }

  @Test
  void saveIsAtomicAndLoadNamesTheFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("reports/int8.json");
    report().save(file);
    report().save(file);  // overwrite in place
    try (Stream<Path> s = Files.list(file.getParent())) {
      assertEquals(List.of(file), s.toList());
    }
    assertEquals(report(), AccuracyReport.load(file));
    Files.writeString(file, "{\"samples\": 3}");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> AccuracyReport.load(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    Path missing = dir.resolve("nothing.json");
    e = assertThrows(ModelFormatException.class, () -> AccuracyReport.load(missing));
    assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    // a folder in the way of the target: the write fails naming the file, nothing is left behind
    Path blocked = Files.createDirectories(dir.resolve("blocked/report.json"));
    Files.writeString(blocked.resolve("keep"), "x");
    QuantkitException w = assertThrows(QuantkitException.class, () -> report().save(blocked));
    assertTrue(w.getMessage().contains(blocked.toString()), w.getMessage());
    try (Stream<Path> s = Files.list(blocked.getParent())) {
      assertEquals(List.of(blocked), s.toList());
    }
  }

  @Test
  void summaryShowsHeadlineAndTable() {
    String s = report().toSummary();
    assertTrue(s.contains("top-1 28.57 %"), s);
    assertTrue(s.contains("top-5 71.43 %"), s);
    assertTrue(s.contains("c6"), s);
  }
}
