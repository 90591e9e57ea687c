package io.quantkit.bench;

import io.quantkit.backend.RunnerOptions;

/**
 * The one place that turns a benchmark's threads / spinning parameters into backend settings, so the
 * raw ONNX Runtime session and quantkit's runner are configured alike.
 */
final class BenchOptions {
  /** ONNX Runtime's session config key for spinning intra-op workers (onnxruntime_session_options_config_keys.h). */
  static final String ORT_INTRA_SPIN = "session.intra_op.allow_spinning";
  static final String ORT_INTER_SPIN = "session.inter_op.allow_spinning";

  private BenchOptions() {}

  static RunnerOptions runnerOptions(int threads, boolean spin) {
    return RunnerOptions.builder().threads(threads).busyWait(spin).build();
  }
}
