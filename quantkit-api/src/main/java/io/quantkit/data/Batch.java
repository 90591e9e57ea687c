package io.quantkit.data;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.quantkit.DatasetException;
import io.quantkit.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Samples and their labels. An image batch holds one tensor, NHWC float32 (raw pixel values
 * 0..255 as the datasets decode them, or whatever a {@link Preprocessing} made of them); a batch
 * for a model with several inputs holds one tensor per input, keyed by the model's input name, all
 * with the samples first. Labels are class indices; an unlabelled batch has -1 for every sample.
 *
 * <p>A tensor keyed {@link #UNNAMED} goes to the model's only input, whatever its name; that is
 * how image datasets, which do not know the model, make their batches.
 *
 * <p>Thread-safety: immutable, safe to share between threads.
 */
public final class Batch {
  /** The key of the one tensor of a batch made without knowing the model's input name. */
  public static final String UNNAMED = "";

  private final ImmutableMap<String, Tensor> inputs;
  private final int[] labels;

  /** One unnamed input (images) with a label per sample. */
  public Batch(Tensor images, int[] labels) {
    this(Map.of(UNNAMED, Preconditions.checkNotNull(images, "images")), labels);
  }

  /**
   * One tensor per model input, in the map's order, each with the samples first.
   *
   * @param labels a class index per sample, or -1 for every sample of an unlabelled batch
   */
  public Batch(Map<String, Tensor> inputs, int[] labels) {
    Preconditions.checkNotNull(inputs, "inputs");
    Preconditions.checkNotNull(labels, "labels");
    Preconditions.checkArgument(!inputs.isEmpty(), "a batch has at least one input");
    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
      Tensor t = e.getValue();
      Preconditions.checkArgument(t.shape().rank() >= 1 && t.shape().dim(0) == labels.length,
          "input '%s' has shape %s but the batch has %s labels", e.getKey(), t.shape(), labels.length);
    }
    this.inputs = ImmutableMap.copyOf(inputs);
    this.labels = labels.clone();
  }

  /** The only input's tensor; fails naming the inputs when the batch has several. */
  public Tensor images() {
    Preconditions.checkState(inputs.size() == 1, "this batch has inputs %s; use inputs()", inputs.keySet());
    return inputs.values().iterator().next();
  }

  /** Every input's tensor by name, in order. */
  public ImmutableMap<String, Tensor> inputs() {
    return inputs;
  }

  /**
   * The tensors keyed by the model's input names, in that order: an {@link #UNNAMED} single tensor
   * goes to a single-input model; named tensors must name every model input.
   *
   * @throws DatasetException when the batch does not fit the inputs, naming both
   */
  public Map<String, Tensor> feed(List<String> modelInputs) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    if (inputs.size() == 1 && inputs.containsKey(UNNAMED)) {
      if (modelInputs.size() != 1) {
        throw new DatasetException("the data has one array per sample but the model has inputs " + modelInputs
            + "; give one array per input (e.g. an .npz with an array named after each input)");
      }
      out.put(modelInputs.get(0), inputs.get(UNNAMED));
      return out;
    }
    for (String name : modelInputs) {
      Tensor t = inputs.get(name);
      if (t == null) {
        throw new DatasetException("the data has arrays " + inputs.keySet() + " but no array for model input '" + name
            + "' (model inputs: " + modelInputs + ")");
      }
      out.put(name, t);
    }
    if (out.size() != inputs.size()) {
      throw new DatasetException("the data has arrays " + inputs.keySet() + " but the model has inputs " + modelInputs);
    }
    return out;
  }

  /** Whether every sample has a label (none is -1). */
  public boolean labelled() {
    for (int l : labels) {
      if (l < 0) {
        return false;
      }
    }
    return true;
  }

  /** The class index of every sample, in order (a copy); -1 marks an unlabelled sample. */
  public int[] labels() {
    return labels.clone();
  }

  /** The class index of sample {@code i}. */
  public int label(int i) {
    return labels[i];
  }

  public int size() {
    return labels.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Batch b && inputs.equals(b.inputs) && Arrays.equals(labels, b.labels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(inputs, Arrays.hashCode(labels));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Batch(");
    inputs.forEach((k, v) -> sb.append(k.isEmpty() ? "" : k + "=").append(v.shape()).append(", "));
    return sb.append(labels.length).append(" labels)").toString();
  }
}
