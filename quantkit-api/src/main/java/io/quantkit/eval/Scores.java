package io.quantkit.eval;

/** The ranking rule every report uses to turn a row of class scores into a prediction. */
final class Scores {
  private Scores() {}

  /**
   * Index (relative to {@code offset}) of the largest of {@code v[offset .. offset + length)};
   * ties go to the lowest index.
   */
  static int argmax(float[] v, int offset, int length) {
    int best = 0;
    for (int c = 1; c < length; c++) {
      if (v[offset + c] > v[offset + best]) {
        best = c;
      }
    }
    return best;
  }
}
