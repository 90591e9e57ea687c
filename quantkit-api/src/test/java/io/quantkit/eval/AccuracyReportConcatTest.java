package io.quantkit.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quantkit.QuantkitException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AccuracyReportConcatTest {
  private static final List<String> CLASSES = List.of("a", "b", "c", "d", "e", "f", "g");

  @Test
  void partsInOrderGiveTheReportOfTheWhole() {
    Random rnd = new Random(7);
    int n = 1003;
    float[][] scores = new float[n][CLASSES.size()];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < CLASSES.size(); c++) {
        // few distinct values: ties between classes happen and must break the same way
        scores[i][c] = rnd.nextInt(4);
      }
      labels[i] = rnd.nextInt(CLASSES.size());
    }
    AccuracyReport whole = AccuracyReport.builder(CLASSES).model("m").backend("b").precision("int8").dataset("d")
        .add(scores, labels).build();
    List<AccuracyReport> parts = new ArrayList<>();
    int[] cuts = {0, 1, 100, 101, 640, n};
    for (int k = 0; k + 1 < cuts.length; k++) {
      int from = cuts[k];
      int to = cuts[k + 1];
      float[][] s = java.util.Arrays.copyOfRange(scores, from, to);
      int[] l = java.util.Arrays.copyOfRange(labels, from, to);
      parts.add(AccuracyReport.builder(CLASSES).model("m").backend("b").precision("int8").dataset("d[" + from + "]").add(s, l)
          .build());
    }
    AccuracyReport joined = AccuracyReport.concat(parts, "d");
    assertEquals(whole, joined);
    assertEquals(whole.toJson(), joined.toJson());
    AccuracyReport base = AccuracyReport.of(scores, new int[n], CLASSES).withLabels("m", "b", "fp32", "d");
    assertEquals(whole.withBaseline(base), joined.withBaseline(base));
  }

  @Test
  void refusesPartsWithABaselineOrOtherClasses() {
    AccuracyReport a = AccuracyReport.of(new float[][] {{1, 0}}, new int[] {0}, List.of("x", "y"));
    AccuracyReport other = AccuracyReport.of(new float[][] {{1, 0}}, new int[] {0}, List.of("x", "z"));
    assertThrows(QuantkitException.class, () -> AccuracyReport.concat(List.of(a, other), "d"));
    assertThrows(QuantkitException.class, () -> AccuracyReport.concat(List.of(a.withBaseline(a)), "d"));
    assertThrows(QuantkitException.class, () -> AccuracyReport.concat(List.of(), "d"));
  }
}
