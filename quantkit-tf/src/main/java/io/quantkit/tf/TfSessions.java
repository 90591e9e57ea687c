package io.quantkit.tf;

import io.quantkit.backend.RunnerOptions;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/** Session configuration from {@link RunnerOptions}. */
final class TfSessions {
  private TfSessions() {}

  /**
   * Intra-op threads as asked (0: TensorFlow's default, all cores), in pools of this session's own
   * so two runners with different settings do not share the process-wide pool the first session
   * would otherwise create. With {@code opsInCallerThread} (graphs quantkit translated: a chain of
   * non-blocking ops) each run executes its ops in the calling thread instead of handing every op
   * to an inter-op pool: less latency at batch 1, and concurrent callers each drive their own run.
   * A SavedModel may hold ops that block on each other, so it keeps an inter-op pool. {@code
   * Optimization.NONE} turns off Grappler and the classic graph optimizer.
   */
  static ConfigProto config(RunnerOptions options, boolean opsInCallerThread) {
    ConfigProto.Builder c = ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(options.threads())
        .setInterOpParallelismThreads(opsInCallerThread ? -1 : options.threads())
        .setUsePerSessionThreads(true)
        .putDeviceCount("GPU", 0);
    if (options.optimization() == RunnerOptions.Optimization.NONE) {
      c.setGraphOptions(GraphOptions.newBuilder()
          .setRewriteOptions(RewriterConfig.newBuilder().setDisableMetaOptimizer(true))
          .setOptimizerOptions(OptimizerOptions.newBuilder().setOptLevel(OptimizerOptions.Level.L0)));
    }
    return c.build();
  }
}
