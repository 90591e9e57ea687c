package io.quantkit.tf;

import com.google.common.base.Preconditions;
import java.util.Optional;

/**
 * How to run a SavedModel: which signature, and optionally which of its inputs and outputs the
 * runner exposes (a signature with several of them cannot feed a single-input evaluation).
 * Immutable.
 */
public final class SavedModelOptions {
  private final String signatureKey;
  private final String tag;
  private final String input;
  private final String output;

  private SavedModelOptions(Builder b) {
    this.signatureKey = b.signatureKey;
    this.tag = b.tag;
    this.input = b.input;
    this.output = b.output;
  }

  public static SavedModelOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Signature key; empty: {@code serving_default}, or the only signature when there is one. */
  public Optional<String> signatureKey() {
    return Optional.ofNullable(signatureKey);
  }

  /** Meta graph tag, {@code serve} by default. */
  public String tag() {
    return tag;
  }

  /** The one input the runner exposes; empty: all of the signature's inputs. */
  public Optional<String> input() {
    return Optional.ofNullable(input);
  }

  /** The one output the runner returns; empty: all of the signature's outputs. */
  public Optional<String> output() {
    return Optional.ofNullable(output);
  }

  public static final class Builder {
    private String signatureKey;
    private String tag = "serve";
    private String input;
    private String output;

    private Builder() {}

    public Builder signatureKey(String value) {
      this.signatureKey = value;
      return this;
    }

    public Builder tag(String value) {
      this.tag = Preconditions.checkNotNull(value, "tag");
      return this;
    }

    /** Null for all inputs. */
    public Builder input(String value) {
      this.input = value;
      return this;
    }

    /** Null for all outputs. */
    public Builder output(String value) {
      this.output = value;
      return this;
    }

    public SavedModelOptions build() {
      return new SavedModelOptions(this);
    }
  }
}
