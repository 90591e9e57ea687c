package io.quantkit.data;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples held in numpy arrays (any shape, not only images): one array per model input, all with
 * the samples first, and optionally an array of integer labels. Batches carry the arrays under
 * the model's input names ({@link Batch#inputs()}), or {@link Batch#UNNAMED} when the dataset was
 * made for a model whose input names it was not told.
 *
 * <p>Labels are class indices (whole numbers, 0 or more); the number of classes is the model's
 * (its output width), so {@link #classNames()} is empty and evaluation names the classes by index.
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class NumpyDataset implements Dataset {
  private final String name;
  private final ImmutableMap<String, NpyArray> inputs;
  private final int[] labels;
  private final int size;

  private NumpyDataset(String name, Map<String, NpyArray> inputs, int[] labels, int size) {
    this.name = name;
    this.inputs = ImmutableMap.copyOf(inputs);
    this.labels = labels;
    this.size = size;
  }

  /**
   * Arrays already read, keyed by model input name (or one array keyed {@link Batch#UNNAMED}).
   *
   * @param labels integer class labels, one per sample, or null for unlabelled data
   * @throws DatasetException when the arrays disagree on the number of samples or a label is not
   *     a whole number 0 or more
   */
  public static NumpyDataset of(String name, Map<String, NpyArray> inputs, NpyArray labels) {
    Preconditions.checkNotNull(name, "name");
    Preconditions.checkArgument(!inputs.isEmpty(), "no input arrays");
    int n = -1;
    String first = null;
    for (Map.Entry<String, NpyArray> e : inputs.entrySet()) {
      NpyArray a = e.getValue();
      if (a.shape().rank() < 1) {
        throw new DatasetException(name + ": array '" + a.name() + "' is a scalar; input arrays have the samples first");
      }
      if (n >= 0 && a.shape().dim(0) != n) {
        throw new DatasetException(name + ": array '" + a.name() + "' has " + a.shape().dim(0) + " samples (shape "
            + a.shape() + ") but '" + first + "' has " + n);
      }
      n = a.shape().dim(0);
      first = a.name();
    }
    int[] l = null;
    if (labels != null) {
      if (labels.shape().rank() == 2 && labels.shape().dim(1) > 1) {
        l = argmaxRows(labels);
      } else if (labels.size() != labels.shape().dim(0) || labels.shape().rank() > 2) {
        throw new DatasetException(name + ": labels array '" + labels.name() + "' has shape " + labels.shape()
            + "; expected one class index per sample, [N] (or one-hot [N, classes])");
      } else {
        l = new int[labels.size()];
        for (int i = 0; i < l.length; i++) {
          float v = labels.get(i);
          if (v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE) {
            throw new DatasetException(name + ": labels array '" + labels.name() + "' holds " + v + " at " + i
                + "; labels are class indices (whole numbers 0 or more). A regression target? Use --task regress");
          }
          l[i] = (int) v;
        }
      }
      if (l.length != n) {
        throw new DatasetException(name + ": labels array '" + labels.name() + "' has " + l.length + " labels for " + n
            + " samples");
      }
    }
    return new NumpyDataset(name, inputs, l, n);
  }

  private static int[] argmaxRows(NpyArray oneHot) {
    int rows = oneHot.shape().dim(0);
    int cols = oneHot.shape().dim(1);
    int[] out = new int[rows];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int c = 1; c < cols; c++) {
        if (oneHot.get(r * cols + c) > oneHot.get(r * cols + best)) {
          best = c;
        }
      }
      out[r] = best;
    }
    return out;
  }

  /**
   * The arrays of a {@code .npz} (or one {@code .npy}) for a model with inputs {@code inputNames}
   * (empty when unknown). Arrays go to inputs by name when every input name is an array name;
   * otherwise by position (archive order) when there are as many arrays as inputs; a single array
   * goes to a single input. {@code labelsKey} names the labels array (null: the array named
   * "labels" if there is one, else none); an empty string means no labels.
   *
   * @throws DatasetException naming the file, its arrays and the inputs when they do not match
   */
  public static NumpyDataset open(Path file, List<String> inputNames, String labelsKey) {
    Map<String, NpyArray> arrays = NpyArray.readAll(file);
    NpyArray labels = null;
    Map<String, NpyArray> rest = new LinkedHashMap<>(arrays);
    if (labelsKey != null && !labelsKey.isEmpty()) {
      labels = rest.remove(labelsKey);
      if (labels == null) {
        throw new DatasetException(file + " has no array '" + labelsKey + "' for the labels; its arrays: " + describe(arrays));
      }
    } else if (labelsKey == null && rest.containsKey("labels") && rest.size() > 1) {
      labels = rest.remove("labels");
    }
    Map<String, NpyArray> in = new LinkedHashMap<>();
    if (!inputNames.isEmpty() && rest.keySet().containsAll(inputNames)) {
      for (String n : inputNames) {
        in.put(n, rest.get(n));
      }
    } else if (inputNames.isEmpty() && rest.size() == 1) {
      in.put(Batch.UNNAMED, rest.values().iterator().next());
    } else if (rest.size() == inputNames.size()) {
      List<NpyArray> ordered = new ArrayList<>(rest.values());
      for (int i = 0; i < inputNames.size(); i++) {
        in.put(inputNames.get(i), ordered.get(i));
      }
    } else {
      throw new DatasetException(file + " has arrays " + describe(arrays) + (labels == null ? "" : " (labels: '"
          + labels.name() + "')") + " but the model has inputs " + inputNames + "; name each array after the input it feeds "
          + "(np.savez(f, " + String.join("=..., ", inputNames) + "=...)) or give one array per input, in order"
          + (labelsKey == null ? ", and the labels with --labels-key" : ""));
    }
    return of(file.getFileName().toString(), in, labels);
  }

  private static String describe(Map<String, NpyArray> arrays) {
    List<String> out = new ArrayList<>();
    arrays.values().forEach(a -> out.add(a.name() + " " + a.dtype() + " " + a.shape()));
    return out.toString();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int size() {
    return size;
  }

  /** Empty: the classes are the model's output rows, named by index. */
  @Override
  public List<String> classNames() {
    return ImmutableList.of();
  }

  @Override
  public Shape imageShape() {
    Shape s = inputs.values().iterator().next().shape();
    return Shape.of(java.util.Arrays.copyOfRange(s.toArray(), 1, s.rank()));
  }

  /** The arrays by model input name. */
  public ImmutableMap<String, NpyArray> arrays() {
    return inputs;
  }

  @Override
  public boolean labelled() {
    return labels != null;
  }

  @Override
  public int label(int index) {
    Preconditions.checkElementIndex(index, size);
    return labels == null ? -1 : labels[index];
  }

  @Override
  public Batch batch(int from, int to) {
    Preconditions.checkPositionIndexes(from, to, size);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NpyArray> e : inputs.entrySet()) {
      NpyArray a = e.getValue();
      int per = a.size() / Math.max(1, size);
      float[] v = new float[(to - from) * per];
      for (int i = 0; i < v.length; i++) {
        v[i] = a.get(from * per + i);
      }
      out.put(e.getKey(), Tensor.wrapFloats(a.shape().withDim(0, to - from), v));
    }
    int[] l = new int[to - from];
    for (int i = 0; i < l.length; i++) {
      l[i] = labels == null ? -1 : labels[from + i];
    }
    return new Batch(out, l);
  }

  @Override
  public String toString() {
    return name + " (" + size + " samples, inputs " + inputs.keySet() + (labels == null ? ", unlabelled)" : ", labelled)");
  }
}
