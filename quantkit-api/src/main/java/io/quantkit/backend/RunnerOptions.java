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

  private RunnerOptions(Builder b) {
    this.threads = b.threads;
    this.optimization = b.optimization;
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

  public Builder toBuilder() {
    return new Builder().threads(threads).optimization(optimization);
  }

  @Override
  public String toString() {
    return "RunnerOptions(threads=" + threads + ", optimization=" + optimization + ")";
  }

  public static final class Builder {
    private int threads;
    private Optimization optimization = Optimization.ALL;

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

    public RunnerOptions build() {
      return new RunnerOptions(this);
    }
  }
}
