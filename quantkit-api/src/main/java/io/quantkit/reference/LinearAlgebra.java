package io.quantkit.reference;

import io.quantkit.ir.Op;
import io.quantkit.tensor.Shape;
import java.util.Arrays;

/** Gemm and MatMul on top of {@link FloatGemm}. */
final class LinearAlgebra {
  private static final int ROW_BLOCK = 16;

  private LinearAlgebra() {}

  /** ONNX Gemm: Y = alpha * A' B' + beta * C, C broadcast to [M, N]. */
  static float[] gemm(Workers workers, float[] a, Shape as, float[] b, Shape bs, float[] c, Shape cs, Op.Gemm op) {
    int m = op.transA() ? as.dim(1) : as.dim(0);
    int k = op.transA() ? as.dim(0) : as.dim(1);
    int n = op.transB() ? bs.dim(0) : bs.dim(1);
    float[] aRowMajor = op.transA() ? transpose(a, k, m) : a;
    float[][] bRows = op.transB() ? rowsOfTransposed(b, n, k) : rows(b, 0, k, n);
    float[][] acc = product(workers, aRowMajor, 0, m, k, bRows, n);
    float[] y = new float[m * n];
    int ci = 0;
    int cj = 0;
    if (c != null) {
      int c0 = cs.rank() == 2 ? cs.dim(0) : 1;
      int c1 = cs.rank() >= 1 ? cs.dim(-1) : 1;
      ci = c0 == 1 ? 0 : c1;
      cj = c1 == 1 ? 0 : 1;
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float v = op.alpha() * acc[i][j];
        if (c != null) {
          v += op.beta() * c[i * ci + j * cj];
        }
        y[i * n + j] = v;
      }
    }
    return y;
  }

  /** Numpy matmul, batched over broadcast leading axes; 1-D operands are promoted then squeezed. */
  static float[] matMul(Workers workers, float[] a, Shape as, float[] b, Shape bs, Shape out) {
    Shape a2 = as.rank() == 1 ? Shape.of(1, as.dim(0)) : as;
    Shape b2 = bs.rank() == 1 ? Shape.of(bs.dim(0), 1) : bs;
    int m = a2.dim(-2);
    int k = a2.dim(-1);
    int n = b2.dim(-1);
    Shape batchA = Shape.of(Arrays.copyOf(a2.toArray(), a2.rank() - 2));
    Shape batchB = Shape.of(Arrays.copyOf(b2.toArray(), b2.rank() - 2));
    int r = Math.max(batchA.rank(), batchB.rank());
    int[] batchDims = new int[r];
    for (int i = 0; i < r; i++) {
      int ia = i - (r - batchA.rank());
      int ib = i - (r - batchB.rank());
      batchDims[i] = Math.max(ia < 0 ? 1 : batchA.dim(ia), ib < 0 ? 1 : batchB.dim(ib));
    }
    int[] sa = Elementwise.broadcastStrides(batchA, r);
    int[] sb = Elementwise.broadcastStrides(batchB, r);
    int batches = Shape.of(batchDims).size();
    float[] y = new float[batches * m * n];
    for (int t = 0; t < batches; t++) {
      int offA = 0;
      int offB = 0;
      for (int d = r - 1, rest = t; d >= 0; d--) {
        int i = rest % batchDims[d];
        rest /= batchDims[d];
        offA += i * sa[d];
        offB += i * sb[d];
      }
      float[][] acc = product(workers, a, offA * m * k, m, k, rows(b, offB * k * n, k, n), n);
      for (int i = 0; i < m; i++) {
        System.arraycopy(acc[i], 0, y, (t * m + i) * n, n);
      }
    }
    return y;
  }

  /** A [m, k] (row-major at {@code aOff}) times B (rows) into fresh rows, row blocks in parallel. */
  private static float[][] product(Workers workers, float[] a, int aOff, int m, int k, float[][] bRows, int n) {
    float[][] acc = new float[m][n];
    int blocks = (m + ROW_BLOCK - 1) / ROW_BLOCK;
    workers.forEach(blocks, (scratch, block) -> {
      int i0 = block * ROW_BLOCK;
      int i1 = Math.min(m, i0 + ROW_BLOCK);
      float[][] part = Arrays.copyOfRange(acc, i0, i1);
      FloatGemm.multiplyAdd(i1 - i0, n, k, a, aOff + i0 * k, k, bRows, part);
    });
    return acc;
  }

  private static float[][] rows(float[] x, int off, int rows, int cols) {
    float[][] out = new float[rows][];
    for (int i = 0; i < rows; i++) {
      out[i] = Arrays.copyOfRange(x, off + i * cols, off + (i + 1) * cols);
    }
    return out;
  }

  /** Rows of the transpose of the [rows, cols] matrix x. */
  private static float[][] rowsOfTransposed(float[] x, int rows, int cols) {
    float[][] out = new float[cols][rows];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[j][i] = x[i * cols + j];
      }
    }
    return out;
  }

  private static float[] transpose(float[] x, int rows, int cols) {
    float[] out = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[j * rows + i] = x[i * cols + j];
      }
    }
    return out;
  }
}
