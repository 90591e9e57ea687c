package io.quantkit.eval;

import com.google.common.base.Preconditions;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/** 1x1x1 images whose single pixel is the image's index, with the given labels. */
final class ListDataset implements Dataset {
  private final String name;
  private final int[] labels;
  private final List<String> classes;

  ListDataset(String name, List<String> classes, int... labels) {
    this.name = name;
    this.classes = classes;
    this.labels = labels.clone();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public List<String> classNames() {
    return classes;
  }

  @Override
  public Shape imageShape() {
    return Shape.of(1, 1, 1);
  }

  @Override
  public Batch batch(int from, int to) {
    Preconditions.checkPositionIndexes(from, to, labels.length);
    float[] px = new float[to - from];
    for (int i = from; i < to; i++) {
      px[i - from] = i;
    }
    return new Batch(Tensor.wrapFloats(Shape.of(to - from, 1, 1, 1), px), Arrays.copyOfRange(labels, from, to));
  }
}
