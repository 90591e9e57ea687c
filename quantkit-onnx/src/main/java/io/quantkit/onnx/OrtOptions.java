package io.quantkit.onnx;

import com.google.common.base.Preconditions;
import java.nio.file.Path;
import java.util.Optional;

/**
 * ONNX Runtime settings beyond the backend-neutral {@link io.quantkit.backend.RunnerOptions}: give
 * them to any code that compiles through the {@link io.quantkit.backend.Backend} interface as
 * {@code RunnerOptions.builder().extension(OrtOptions.builder()...build())}; the ONNX Runtime
 * backend reads them with {@code options.extension(OrtOptions.class)}, other backends ignore
 * them. Immutable.
 *
 * <p>Thread-safety: immutable and thread-safe; its builder is not.
 */
public final class OrtOptions {
  private final Path optimizedModelPath;
  private final ExportOptions export;
  private final Boolean spinning;
  private final boolean prepackWeights;

  private OrtOptions(Builder b) {
    this.prepackWeights = b.prepackWeights;
    this.optimizedModelPath = b.optimizedModelPath;
    this.export = b.export;
    this.spinning = b.spinning;
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

  /**
   * Whether ONNX Runtime's idle intra-op and inter-op threads spin (session options
   * {@code session.intra_op.allow_spinning} / {@code inter_op}); empty: follow the neutral
   * {@link io.quantkit.backend.RunnerOptions#busyWait()} hint.
   */
  public Optional<Boolean> spinning() {
    return Optional.ofNullable(spinning);
  }

  /**
   * Whether ONNX Runtime keeps a prepacked copy of Conv/Gemm/MatMul weights (default true; session
   * option {@code session.disable_prepacking} when false). Prepacking makes FP32 Gemm faster but,
   * while the session is built, holds each large weight twice: false for calibrating or running a
   * model whose weights are a large part of the machine's memory ({@code scripts/memory-peak}).
   */
  public boolean prepackWeights() {
    return prepackWeights;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.prepackWeights = prepackWeights;
    b.optimizedModelPath = optimizedModelPath;
    b.export = export;
    b.spinning = spinning;
    return b;
  }

  @Override
  public String toString() {
    return "OrtOptions(optimizedModelPath=" + optimizedModelPath + ", opset=" + export.opset()
        + (spinning == null ? "" : ", spinning=" + spinning) + (prepackWeights ? "" : ", prepackWeights=false") + ")";
  }

  public static final class Builder {
    private Path optimizedModelPath;
    private ExportOptions export = ExportOptions.defaults();
    private Boolean spinning;
    private boolean prepackWeights = true;

    private Builder() {}

    /** See {@link OrtOptions#prepackWeights()}. */
    public Builder prepackWeights(boolean value) {
      this.prepackWeights = value;
      return this;
    }

    public Builder optimizedModelPath(Path value) {
      this.optimizedModelPath = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder export(ExportOptions value) {
      this.export = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder spinning(boolean value) {
      this.spinning = value;
      return this;
    }

    public OrtOptions build() {
      return new OrtOptions(this);
    }
  }
}
