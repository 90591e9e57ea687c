package io.quantkit.backend;

import com.google.common.base.Preconditions;

/**
 * Options every backend understands; a backend ignores what does not apply to it.
 *
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

  private RunnerOptions(Builder b) {
    this.threads = b.threads;
    this.optimization = b.optimization;
    this.busyWait = b.busyWait;
  }

  public static RunnerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Intra-op threads; 0 lets the backend decide (usually all cores). */
  public int threads() {
    return threads;
  }

  public Optimization optimization() {
    return optimization;
  }

  /**
   * Whether the backend's idle worker threads spin while waiting for work (the default: lowest
   * latency when the backend has the cores to itself) or block. Turn it off when the caller does
   * its own work between runs on the same cores, as calibration does with its statistics.
   */
  public boolean busyWait() {
    return busyWait;
  }

  public Builder toBuilder() {
    return new Builder().threads(threads).optimization(optimization).busyWait(busyWait);
  }

  @Override
  public String toString() {
    return "RunnerOptions(threads=" + threads + ", optimization=" + optimization + ", busyWait=" + busyWait + ")";
  }

  public static final class Builder {
    private int threads;
    private Optimization optimization = Optimization.ALL;
    private boolean busyWait = true;

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

    public RunnerOptions build() {
      return new RunnerOptions(this);
    }
  }
}
