package io.quantkit.tf;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.tensor.Tensor;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by {@link SavedModelsTest} in a fresh JVM: loads the SavedModel in args[0] with the tf
 * backend, runs the first args[2] CIFAR-10 test images and writes the scores to args[1].
 */
public final class SavedModelReloadMain {
  private SavedModelReloadMain() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int count = Integer.parseInt(args[2]);
    Tensor images = Cifar10.test(QuantkitHome.fromEnvironment()).batch(0, count).images();
    try (Runner r = Backends.named("tf").open(dir, RunnerOptions.builder().threads(1).build());
        DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[1])))) {
      Tensor scores = r.run(images);
      out.writeInt(scores.size());
      for (int i = 0; i < scores.size(); i++) {
        out.writeFloat(scores.getFloat(i));
      }
    }
  }
}
