package io.quantkit.data;

import java.nio.file.Path;
import java.nio.file.Paths;

/** The read-only shared data that the build points tests at (see the parent pom). */
final class SharedData {
  private SharedData() {}

  static Path home() {
    String shared = System.getProperty("quantkit.shared");
    if (shared == null) {
      throw new IllegalStateException("system property quantkit.shared is not set (run the tests through Maven)");
    }
    return Paths.get(shared, "quantkit-home");
  }

  static Path cifarDir() {
    return home().resolve("datasets/cifar-10-batches-bin");
  }
}
