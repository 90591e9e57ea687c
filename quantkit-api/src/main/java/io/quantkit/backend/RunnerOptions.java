package io.quantkit.backend;

import com.google.common.base.Preconditions;

/** Options every backend understands; a backend ignores what does not apply to it. */
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
   * Whether the backend's idle worker threads spin while waiting for work, or block (the default).
   * Spinning saves a wake-up per parallel op when the backend has the cores to itself, but a
   * spinning worker burns a core that the caller, the GC or another process needs: on a busy
   * 2-core machine 2 spinning threads ran ResNet8 at 0.55-1.23x the speed of 1 thread (medians of
   * {@code quantkit bench --jmh --profile full}), below 2 blocking threads in every configuration.
   * Turn it on for the lowest batch-1 latency on cores nothing else uses.
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
    private boolean busyWait = false;

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
