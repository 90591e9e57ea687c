package io.quantkit.reference;

/**
 * The one matrix-multiply loop of the reference executor (convolution, Gemm, MatMul).
 *
 * <p>B and C are held as arrays of rows so that the innermost loop reads {@code b[p][j]} and
 * writes {@code c[i][j]} with the same index: that is the form HotSpot's C2 auto-vectorizes (it
 * gives up on {@code c[co + j] += a * b[bo + j]} with two different offsets). Four rows of C
 * share each load of B, and columns are taken in blocks so the slice of B stays in cache.
 * Every c[i][j] is still summed over p in increasing order, like the textbook loop.
 */
final class FloatGemm {
  private static final int COLUMN_BLOCK = 256;

  private FloatGemm() {}

  /**
   * {@code c[i][j] += sum_p a[aOff + i * lda + p] * b[p][j]} for i < m, j < n, p < k.
   */
  static void multiplyAdd(int m, int n, int k, float[] a, int aOff, int lda, float[][] b, float[][] c) {
    for (int j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
      int j1 = Math.min(n, j0 + COLUMN_BLOCK);
      int i = 0;
      for (; i + 4 <= m; i += 4) {
        float[] c0 = c[i];
        float[] c1 = c[i + 1];
        float[] c2 = c[i + 2];
        float[] c3 = c[i + 3];
        int a0 = aOff + i * lda;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        for (int p = 0; p < k; p++) {
          float w0 = a[a0 + p];
          float w1 = a[a1 + p];
          float w2 = a[a2 + p];
          float w3 = a[a3 + p];
          float[] bp = b[p];
          for (int j = j0; j < j1; j++) {
            float v = bp[j];
            c0[j] += w0 * v;
            c1[j] += w1 * v;
            c2[j] += w2 * v;
            c3[j] += w3 * v;
          }
        }
      }
      for (; i < m; i++) {
        float[] ci = c[i];
        int ai = aOff + i * lda;
        for (int p = 0; p < k; p++) {
          float w = a[ai + p];
          float[] bp = b[p];
          for (int j = j0; j < j1; j++) {
            ci[j] += w * bp[j];
          }
        }
      }
    }
  }
}
