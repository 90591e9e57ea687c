package io.quantkit.onnx;

import com.google.common.base.Preconditions;

/**
 * How {@link OnnxModel} writes a graph.
 *
 * <p>Thread-safety: immutable and thread-safe; its builder is not.
 */
public final class ExportOptions {
  /** Oldest opset whose operator forms the exporter writes (Clip/Reshape inputs, Softmax axis). */
  public static final int MIN_OPSET = 13;
  /** Newest opset checked to keep those forms' meaning unchanged. */
  public static final int MAX_OPSET = 21;

  private final int opset;
  private final String producerName;
  private final String producerVersion;

  private ExportOptions(Builder b) {
    this.opset = b.opset;
    this.producerName = b.producerName;
    this.producerVersion = b.producerVersion;
  }

  public static ExportOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Version of the default ("ai.onnx") operator set; 13 unless changed. A graph with an op that
   * newer opsets introduced (HardSwish: 14) is written at that op's opset instead, never lower.
   */
  public int opset() {
    return opset;
  }

  /**
   * The oldest IR version that can carry {@link #opset()}: readers as old as possible accept the
   * file (opset 13/14: 7, 15-18: 8, 19-20: 9, 21: 10).
   */
  public int irVersion() {
    return irVersionFor(opset);
  }

  /** The oldest IR version that can carry {@code opset}. */
  public static int irVersionFor(int opset) {
    if (opset <= 14) {
      return 7;
    } else if (opset <= 18) {
      return 8;
    } else if (opset <= 20) {
      return 9;
    }
    return 10;
  }

  public String producerName() {
    return producerName;
  }

  public String producerVersion() {
    return producerVersion;
  }

  public static final class Builder {
    private int opset = MIN_OPSET;
    private String producerName = "quantkit";
    private String producerVersion = "0.1.0";

    private Builder() {}

    public Builder opset(int value) {
      Preconditions.checkArgument(value >= MIN_OPSET && value <= MAX_OPSET,
          "opset %s not supported for export; use %s..%s", value, MIN_OPSET, MAX_OPSET);
      this.opset = value;
      return this;
    }

    public Builder producer(String name, String version) {
      this.producerName = Preconditions.checkNotNull(name);
      this.producerVersion = Preconditions.checkNotNull(version);
      return this;
    }

    public ExportOptions build() {
      return new ExportOptions(this);
    }
  }
}
