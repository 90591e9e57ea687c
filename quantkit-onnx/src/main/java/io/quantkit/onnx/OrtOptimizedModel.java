package io.quantkit.onnx;

import com.google.common.collect.ImmutableSortedMap;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.quantkit.BackendException;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ONNX Runtime actually executes after its graph optimizations: the op types (with their
 * domain when not the default one) of the optimized model it writes out. This is how a QDQ model
 * is shown to run as integer kernels (QLinearConv, QLinearAdd, QGemm, ...) rather than as
 * DequantizeLinear -> float Conv -> QuantizeLinear.
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
public final class OrtOptimizedModel {
  private OrtOptimizedModel() {}

  /** Op type -> node count of {@code graph} as optimized by ONNX Runtime with {@code options}. */
  public static ImmutableSortedMap<String, Integer> opTypes(Graph graph, RunnerOptions options) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("quantkit-ort-optimized");
      Path file = dir.resolve("optimized.onnx");
      OrtOptions ort = options.extension(OrtOptions.class).map(OrtOptions::toBuilder).orElseGet(OrtOptions::builder)
          .optimizedModelPath(file).build();
      try (Runner ignored = new OrtBackend().compile(graph, options.toBuilder().extension(ort).build())) {
        // creating the session writes the optimized model
      }
      Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
      Map<String, Integer> counts = new TreeMap<>();
      for (Onnx.NodeProto n : model.getGraph().getNodeList()) {
        String domain = n.getDomain();
        String key = domain.isEmpty() || domain.equals("ai.onnx") ? n.getOpType() : domain + "." + n.getOpType();
        counts.merge(key, 1, Integer::sum);
      }
      return ImmutableSortedMap.copyOf(counts);
    } catch (IOException e) {
      throw new BackendException("cannot read ONNX Runtime's optimized model of '" + graph.name() + "': " + e.getMessage(), e);
    } finally {
      deleteQuietly(dir);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    } catch (IOException e) {
      // a leftover temp folder is harmless; the result has already been read
    }
  }
}
