package io.quantkit.conformance;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;

/** ONNX Runtime (via the exporter) against the conformance kit. */
class OnnxRuntimeConformanceTest extends BackendConformanceKit {
  @Override
  protected Backend backend() {
    return Backends.named("onnx");
  }
}
