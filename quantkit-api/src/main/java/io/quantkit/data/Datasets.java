package io.quantkit.data;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.Shape;
import com.google.common.collect.ImmutableList;

/** Combinators over {@link Dataset}. */
public final class Datasets {
  private Datasets() {}

  public static Dataset limit(Dataset base, int n) {
    Preconditions.checkArgument(n >= 0, "limit must be >= 0, got %s", n);
    if (n >= base.size()) {
      return base;
    }
    return new Dataset() {
      @Override
      public String name() {
        return base.name() + "[:" + n + "]";
      }

      @Override
      public int size() {
        return n;
      }

      @Override
      public ImmutableList<String> classNames() {
        return ImmutableList.copyOf(base.classNames());
      }

      @Override
      public Shape imageShape() {
        return base.imageShape();
      }

      @Override
      public Batch batch(int from, int to) {
        Preconditions.checkPositionIndexes(from, to, n);
        return base.batch(from, to);
      }
    };
  }
}
