package io.quantkit.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.quantkit.BackendException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import java.io.IOException;
import java.nio.file.Files;

/**
 * Runs graphs on ONNX Runtime (CPU): the graph is exported to ONNX in memory and loaded into an
 * {@link OrtSession}. Registered as backend "onnx".
 *
 * <p>Thread-safety: thread-safe (one process-wide ONNX Runtime environment); its runners may be shared
 * by many threads: ONNX Runtime sessions run concurrent calls and each call borrows its own input
 * and output buffers.
 */
public final class OrtBackend implements Backend {
  public static final String NAME = "onnx";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Runner compile(Graph graph, RunnerOptions options) {
    return compile(graph, options, OrtOptions.defaults());
  }

  public Runner compile(Graph graph, RunnerOptions options, OrtOptions ortOptions) {
    byte[] model = OnnxModel.toBytes(graph, ortOptions.export());
    OrtEnvironment env = environment();
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      if (options.threads() > 0) {
        so.setIntraOpNumThreads(options.threads());
      }
      so.setOptimizationLevel(optLevel(options.optimization()));
      if (!options.busyWait()) {
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
        so.addConfigEntry("session.inter_op.allow_spinning", "0");
      }
      if (ortOptions.optimizedModelPath().isPresent()) {
        java.nio.file.Path p = ortOptions.optimizedModelPath().get().toAbsolutePath();
        Files.createDirectories(p.getParent());
        so.setOptimizedModelFilePath(p.toString());
      }
      OrtSession session = env.createSession(model, so);
      return new OrtRunner(graph, env, session, so);
    } catch (OrtException e) {
      so.close();
      throw new BackendException("ONNX Runtime could not load graph '" + graph.name() + "': " + e.getMessage(), e);
    } catch (IOException e) {
      so.close();
      throw new BackendException("cannot create the folder for ONNX Runtime's optimized model: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      so.close();
      throw e;
    }
  }

  /**
   * One process-wide environment, as ONNX Runtime requires. Its log is limited to fatal errors:
   * a library must not write to stderr, and every failure reaches the caller as an exception.
   */
  static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
  }

  private static OrtSession.SessionOptions.OptLevel optLevel(RunnerOptions.Optimization o) {
    switch (o) {
      case NONE: return OrtSession.SessionOptions.OptLevel.NO_OPT;
      case BASIC: return OrtSession.SessionOptions.OptLevel.BASIC_OPT;
      case EXTENDED: return OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
      case ALL: return OrtSession.SessionOptions.OptLevel.ALL_OPT;
      default: throw new AssertionError(o);
    }
  }
}
