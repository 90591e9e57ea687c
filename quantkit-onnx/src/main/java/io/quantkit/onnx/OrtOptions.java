package io.quantkit.onnx;

import com.google.common.base.Preconditions;
import java.nio.file.Path;
import java.util.Optional;

/**
 * ONNX Runtime settings beyond the backend-neutral {@link io.quantkit.backend.RunnerOptions}.
 *
 * <p>Thread-safety: immutable and thread-safe; its builder is not.
 */
public final class OrtOptions {
  private final Path optimizedModelPath;
  private final ExportOptions export;

  private OrtOptions(Builder b) {
    this.optimizedModelPath = b.optimizedModelPath;
    this.export = b.export;
  }

  public static OrtOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Where ONNX Runtime writes the model after its graph optimizations, e.g. to check which
   * QuantizeLinear/DequantizeLinear pairs it fused into integer kernels.
   */
  public Optional<Path> optimizedModelPath() {
    return Optional.ofNullable(optimizedModelPath);
  }

  /** How the graph is exported before ONNX Runtime loads it. */
  public ExportOptions export() {
    return export;
  }

  public static final class Builder {
    private Path optimizedModelPath;
    private ExportOptions export = ExportOptions.defaults();

    private Builder() {}

    public Builder optimizedModelPath(Path value) {
      this.optimizedModelPath = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder export(ExportOptions value) {
      this.export = Preconditions.checkNotNull(value);
      return this;
    }

    public OrtOptions build() {
      return new OrtOptions(this);
    }
  }
}
