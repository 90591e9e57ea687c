package io.quantkit.conformance;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import java.util.Set;

/** The pytorch backend (TorchScript on PyTorch 2.7.1 through DJL) against the backend conformance kit. */
class PyTorchConformanceTest extends BackendConformanceKit {
  @Override
  protected Backend backend() {
    return Backends.named("pytorch");
  }

  /** TorchScriptTranslator translates constant Pad only, Slice with positive steps only, and no Resize yet. */
  @Override
  protected Set<String> expectedUnsupportedOpCases() {
    return Set.of("Pad reflect", "Pad edge", "Slice negative step", "Resize nearest x2",
        "Resize linear half_pixel", "Resize linear align_corners");
  }

  @Override
  protected Set<String> expectedUnsupportedOnnxCases() {
    return com.google.common.collect.Sets.union(IMPORTER_UNSUPPORTED_ONNX_CASES, Set.of(
        "test_ReflectionPad2d", "test_ReplicationPad2d", "test_operator_pad"));
  }
}
