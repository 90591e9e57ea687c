package io.quantkit.conformance;

import com.google.common.collect.Sets;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import java.util.Set;

/** The pure-Java reference executor against the conformance kit. */
class ReferenceConformanceTest extends BackendConformanceKit {
  @Override
  protected Backend backend() {
    return Backends.named("reference");
  }

  /** Integer Add (INT64 parameters): the reference computes arithmetic in float only. */
  @Override
  protected Set<String> expectedUnsupportedOnnxCases() {
    return Sets.union(IMPORTER_UNSUPPORTED_ONNX_CASES, Set.of("test_operator_non_float_params"));
  }
}
