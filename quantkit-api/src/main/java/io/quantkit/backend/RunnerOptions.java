package io.quantkit.backend;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableClassToInstanceMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Options every backend understands, plus typed extensions for settings only one backend has
 * ({@link #extension(Class)}: ONNX Runtime's {@code OrtOptions}, for instance). A backend ignores
 * what does not apply to it and the extensions of other backends. Immutable.
 * <p>Thread-safety: immutable and thread-safe; its {@link Builder} is not (one thread builds).
 */
public final class RunnerOptions {
  /** How much the backend may rewrite the graph before running it. */
  public enum Optimization {
    NONE,
    BASIC,
    EXTENDED,
    ALL
  }

  private final int threads;
  private final Optimization optimization;
  private final boolean busyWait;
  private final ImmutableClassToInstanceMap<Object> extensions;

  private RunnerOptions(Builder b) {
    this.threads = b.threads;
    this.optimization = b.optimization;
    this.busyWait = b.busyWait;
    ImmutableClassToInstanceMap.Builder<Object> ext = ImmutableClassToInstanceMap.builder();
    b.extensions.forEach((type, value) -> put(ext, type, value));
    this.extensions = ext.build();
  }

  public static RunnerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Intra-op threads; 0 (the default) lets the backend decide (usually all cores). On a busy 2-core
   * machine ({@code quantkit bench --jmh --profile full}, medians of interleaved rounds), 2 threads
   * that do not spin ran ResNet8 faster than 1 thread at batch 32 and about as fast at batch 1
   * (0.95-1.15x); see the README's speed section.
   */
  public int threads() {
    return threads;
  }

  public Optimization optimization() {
    return optimization;
  }

  /**
   * A hint for backends whose idle worker threads can spin: whether they may, or should block (the
   * default). Spinning saves a wake-up per parallel op when the backend has the cores to itself, but
   * a spinning worker burns a core that the caller, the GC or another process needs: on a busy
   * 2-core machine 2 spinning threads ran ResNet8 at 0.55-1.23x the speed of 1 thread (medians of
   * {@code quantkit bench --jmh --profile full}), below 2 blocking threads in every configuration.
   * Turn it on for the lowest batch-1 latency on cores nothing else uses. A backend's own extension
   * may override it (ONNX Runtime: {@code OrtOptions.spinning}).
   */
  public boolean busyWait() {
    return busyWait;
  }

  /**
   * The backend-specific settings of type {@code type}, if the caller gave any. Each backend
   * documents its extension class; the values are immutable option objects.
   */
  public <E> Optional<E> extension(Class<E> type) {
    return Optional.ofNullable(extensions.getInstance(type));
  }

  public Builder toBuilder() {
    Builder b = new Builder().threads(threads).optimization(optimization).busyWait(busyWait);
    extensions.values().forEach(b::extension);
    return b;
  }

  @Override
  public String toString() {
    return "RunnerOptions(threads=" + threads + ", optimization=" + optimization + ", busyWait=" + busyWait
        + (extensions.isEmpty() ? "" : ", extensions=" + extensions.values()) + ")";
  }

  public static final class Builder {
    private int threads;
    private Optimization optimization = Optimization.ALL;
    private boolean busyWait = false;
    private final Map<Class<?>, Object> extensions = new LinkedHashMap<>();

    private Builder() {}

    public Builder threads(int value) {
      Preconditions.checkArgument(value >= 0, "threads must be >= 0, got %s", value);
      this.threads = value;
      return this;
    }

    public Builder optimization(Optimization value) {
      this.optimization = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder busyWait(boolean value) {
      this.busyWait = value;
      return this;
    }

    /**
     * Adds (or replaces) the backend-specific settings of {@code value}'s class, found again with
     * {@link RunnerOptions#extension(Class)}.
     */
    public Builder extension(Object value) {
      Preconditions.checkNotNull(value, "extension");
      extensions.put(value.getClass(), value);
      return this;
    }

    public RunnerOptions build() {
      return new RunnerOptions(this);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void put(ImmutableClassToInstanceMap.Builder<Object> b, Class<T> type, Object value) {
    b.put(type, (T) value);
  }
}
