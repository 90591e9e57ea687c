package io.quantkit.conformance;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import java.util.Set;

/** ONNX Runtime (via the exporter) against the conformance kit. */
class OnnxRuntimeConformanceTest extends BackendConformanceKit {
  @Override
  protected Backend backend() {
    return Backends.named("onnx");
  }

  /** ONNX Runtime's LRN kernel takes odd sizes and 4-D input only (OrtBackend.check reports both). */
  @Override
  protected Set<String> expectedUnsupportedOpCases() {
    return Set.of("LRN even size", "LRN rank 3");
  }
}
