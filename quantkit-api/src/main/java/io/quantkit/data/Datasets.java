package io.quantkit.data;

import com.google.common.base.Preconditions;
import io.quantkit.tensor.Shape;
import com.google.common.collect.ImmutableList;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Combinators over {@link Dataset}. The views they return are as thread-safe as the base. */
public final class Datasets {
  private Datasets() {}

  /**
   * A seeded, class-balanced random sample of {@code n} images: classes take turns (in label
   * order), each giving its next image from its own shuffled list, until {@code n} are chosen or
   * every class is exhausted; the chosen images keep their order in {@code base}. The same
   * (base, n, seed) always gives the same sample ({@link java.util.Random} is specified exactly).
   * Use it where the first n images would all be of one class, as in an image folder listed class
   * by class. The name says how it was made, e.g. {@code "imagefolder/x [class-balanced sample of
   * 100 of 10000, seed 0]"}; all of {@code base} when n >= its size.
   */
  public static Dataset balancedSample(Dataset base, int n, long seed) {
    Preconditions.checkArgument(n >= 0, "sample size must be >= 0, got %s", n);
    if (n >= base.size()) {
      return base;
    }
    int classes = base.classNames().size();
    List<List<Integer>> byClass = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      byClass.add(new ArrayList<>());
    }
    for (int i = 0; i < base.size(); i++) {
      int label = base.label(i);
      Preconditions.checkState(label >= 0 && label < classes, "image %s of %s has label %s outside 0..%s", i, base.name(),
          label, classes - 1);
      byClass.get(label).add(i);
    }
    Random random = new Random(seed);
    for (List<Integer> members : byClass) {
      Collections.shuffle(members, random);
    }
    int[] chosen = new int[n];
    int count = 0;
    for (int round = 0; count < n; round++) {
      boolean any = false;
      for (int c = 0; c < classes && count < n; c++) {
        if (round < byClass.get(c).size()) {
          chosen[count++] = byClass.get(c).get(round);
          any = true;
        }
      }
      if (!any) {
        break;
      }
    }
    int[] indices = Arrays.copyOf(chosen, count);
    Arrays.sort(indices);
    return subset(base, indices, base.name() + " [class-balanced sample of " + count + " of " + base.size() + ", seed "
        + seed + "]");
  }

  /** The images of {@code base} at {@code indices}, in that order, under {@code name}. */
  public static Dataset subset(Dataset base, int[] indices, String name) {
    int[] idx = indices.clone();
    for (int i : idx) {
      Preconditions.checkElementIndex(i, base.size(), "image index");
    }
    return new Dataset() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int size() {
        return idx.length;
      }

      @Override
      public List<String> classNames() {
        return base.classNames();
      }

      @Override
      public Shape imageShape() {
        return base.imageShape();
      }

      @Override
      public int label(int index) {
        return base.label(idx[index]);
      }

      @Override
      public boolean labelled() {
        return base.labelled();
      }

      @Override
      public Batch batch(int from, int to) {
        Preconditions.checkPositionIndexes(from, to, idx.length);
        List<Batch> parts = new ArrayList<>();
        // Runs of consecutive indices are read as one batch of the base.
        for (int i = from; i < to; ) {
          int j = i + 1;
          while (j < to && idx[j] == idx[j - 1] + 1) {
            j++;
          }
          parts.add(base.batch(idx[i], idx[j - 1] + 1));
          i = j;
        }
        return concat(parts);
      }
    };
  }

  /** The samples of {@code parts} in order as one batch (the parts have the same inputs). */
  public static Batch concat(List<Batch> parts) {
    Preconditions.checkArgument(!parts.isEmpty(), "nothing to concatenate");
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int n = parts.stream().mapToInt(Batch::size).sum();
    int[] labels = new int[n];
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (String key : parts.get(0).inputs().keySet()) {
      Tensor first = parts.get(0).inputs().get(key);
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      for (Batch b : parts) {
        Tensor t = b.inputs().get(key);
        Preconditions.checkArgument(t != null && t.type() == first.type(), "batches with different inputs: %s and %s",
            parts.get(0).inputs(), b.inputs());
        bytes.writeBytes(t.toLittleEndianBytes());
      }
      inputs.put(key, Tensor.fromLittleEndian(first.type(), first.shape().withDim(0, n),
          java.nio.ByteBuffer.wrap(bytes.toByteArray())));
    }
    int at = 0;
    for (Batch b : parts) {
      System.arraycopy(b.labels(), 0, labels, at, b.size());
      at += b.size();
    }
    return new Batch(inputs, labels);
  }

  /**
   * {@code base} with {@code preprocessing} applied to every batch; the name records it (so every
   * report that names the dataset says how its samples were prepared). The identity gives
   * {@code base} itself.
   */
  public static Dataset preprocess(Dataset base, Preprocessing preprocessing) {
    if (preprocessing.isIdentity()) {
      return base;
    }
    Shape out = preprocessing.sampleShape(base.imageShape());
    String name = base.name() + " {" + preprocessing.format() + "}";
    return new Dataset() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int size() {
        return base.size();
      }

      @Override
      public List<String> classNames() {
        return base.classNames();
      }

      @Override
      public Shape imageShape() {
        return out;
      }

      @Override
      public int label(int index) {
        return base.label(index);
      }

      @Override
      public boolean labelled() {
        return base.labelled();
      }

      @Override
      public Batch batch(int from, int to) {
        Batch b = base.batch(from, to);
        return new Batch(preprocessing.apply(b.images()), b.labels());
      }
    };
  }

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
      public boolean labelled() {
        return base.labelled();
      }

      @Override
      public int label(int index) {
        Preconditions.checkElementIndex(index, n);
        return base.label(index);
      }

      @Override
      public Batch batch(int from, int to) {
        Preconditions.checkPositionIndexes(from, to, n);
        return base.batch(from, to);
      }
    };
  }
}
