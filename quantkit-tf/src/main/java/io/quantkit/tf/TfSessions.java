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
   * Intra- and inter-op threads as asked (0: TensorFlow's default, all cores), in pools of this
   * session's own so two runners with different settings do not share the process-wide pool the
   * first session would otherwise create. {@code Optimization.NONE} turns off Grappler and the
   * classic graph optimizer; every other level keeps TensorFlow's defaults.
   */
  static ConfigProto config(RunnerOptions options) {
    ConfigProto.Builder c = ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(options.threads())
        .setInterOpParallelismThreads(options.threads())
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
