package io.quantkit.conformance;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;

/** The pytorch backend (TorchScript on PyTorch 2.7.1 through DJL) against the backend conformance kit. */
class PyTorchConformanceTest extends BackendConformanceKit {
  @Override
  protected Backend backend() {
    return Backends.named("pytorch");
  }
}
