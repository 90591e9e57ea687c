package io.quantkit.quant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.GraphException;
import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Edits of a graph's FP32 weights and biases that a {@link QuantPlan} was made for: cross-layer
 * equalization ({@link Equalization}) rescales weight channels, bias correction
 * ({@link BiasCorrection}) shifts biases. They are recorded in the plan instead of in a new model
 * file, so the plan still applies to the original model: {@link Qdq#quantize(Graph, QuantPlan)}
 * folds BatchNorm and then applies them before it places Q/DQ.
 *
 * <p>Each {@link Edit} multiplies (SCALE) or adds to (ADD) an initializer of the BatchNorm-folded
 * graph, one value per index of {@code axis} (broadcast over the other axes). Edits apply in order.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class GraphAdjustments {
  private static final GraphAdjustments NONE = new GraphAdjustments(List.of());

  private final ImmutableList<Edit> edits;

  /** What an edit does to each element: multiply by or add the value of its index along the axis. */
  public enum Kind {
    SCALE,
    ADD
  }

  /**
   * One edit of initializer {@code tensor}: element {@code x} at index {@code i} of {@code axis}
   * becomes {@code x * values[i]} (SCALE) or {@code x + values[i]} (ADD); {@code why} says which
   * technique made it (e.g. "equalization conv1/conv2").
   */
  public record Edit(
      @JsonProperty("tensor") String tensor,
      @JsonProperty("kind") Kind kind,
      @JsonProperty("axis") int axis,
      @JsonProperty("values") float[] values,
      @JsonProperty("why") String why) {
    public Edit {
      Preconditions.checkNotNull(tensor, "tensor");
      Preconditions.checkNotNull(kind, "kind");
      Preconditions.checkArgument(axis >= 0, "axis must be >= 0, got %s", axis);
      Preconditions.checkNotNull(values, "values");
      for (float v : values) {
        Preconditions.checkArgument(Float.isFinite(v), "edit of '%s' has a non-finite value %s", tensor, v);
      }
      values = values.clone();
    }

    @Override
    public float[] values() {
      return values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Edit e && tensor.equals(e.tensor) && kind == e.kind && axis == e.axis
          && Arrays.equals(values, e.values) && Objects.equals(why, e.why);
    }

    @Override
    public int hashCode() {
      return Objects.hash(tensor, kind, axis, Arrays.hashCode(values), why);
    }

    @Override
    public String toString() {
      return kind + " " + tensor + " along axis " + axis + " (" + values.length + " values" + (why == null ? "" : ", " + why) + ")";
    }
  }

  @JsonCreator
  GraphAdjustments(List<Edit> edits) {
    this.edits = edits == null ? ImmutableList.of() : ImmutableList.copyOf(edits);
  }

  public static GraphAdjustments none() {
    return NONE;
  }

  public static GraphAdjustments of(List<Edit> edits) {
    return edits.isEmpty() ? NONE : new GraphAdjustments(edits);
  }

  @JsonValue
  public ImmutableList<Edit> edits() {
    return edits;
  }

  @JsonIgnore
  public boolean isEmpty() {
    return edits.isEmpty();
  }

  /** These edits followed by {@code more}. */
  public GraphAdjustments then(GraphAdjustments more) {
    if (more.isEmpty()) {
      return this;
    }
    List<Edit> all = new ArrayList<>(edits);
    all.addAll(more.edits);
    return of(all);
  }

  /**
   * {@code folded} with every edit applied to its initializers.
   *
   * @throws GraphException naming the tensor when an edit names no initializer or does not fit its shape
   */
  public Graph apply(Graph folded) {
    if (edits.isEmpty()) {
      return folded;
    }
    Graph.Builder b = folded.toBuilder();
    java.util.Map<String, float[]> values = new java.util.LinkedHashMap<>();
    for (Edit e : edits) {
      Tensor t = folded.initializer(e.tensor()).orElseThrow(() -> new GraphException("graph " + folded.name()
          + " has no initializer '" + e.tensor() + "' that the plan's adjustment (" + e + ") edits"));
      float[] v = values.computeIfAbsent(e.tensor(), k -> t.toFloatArray());
      int rank = t.shape().rank();
      if (e.axis() >= rank || t.shape().dim(e.axis()) != e.values.length) {
        throw new GraphException("adjustment " + e + " does not fit initializer '" + e.tensor() + "' of shape " + t.shape());
      }
      int n = e.values.length;
      int inner = 1;
      for (int d = e.axis() + 1; d < rank; d++) {
        inner *= t.shape().dim(d);
      }
      for (int i = 0; i < v.length; i++) {
        int c = (i / inner) % n;
        v[i] = e.kind() == Kind.SCALE ? v[i] * e.values[c] : v[i] + e.values[c];
      }
    }
    values.forEach((name, v) -> b.initializer(name, Tensor.wrapFloats(folded.initializer(name).orElseThrow().shape(), v)));
    return b.build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GraphAdjustments g && edits.equals(g.edits);
  }

  @Override
  public int hashCode() {
    return edits.hashCode();
  }

  @Override
  public String toString() {
    return "GraphAdjustments(" + edits.size() + " edits)";
  }
}
