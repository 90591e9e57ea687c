package io.quantkit.reference;

import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.TestGraphs;

/**
 * Hand-run throughput check (not a test): ResNet8-shaped graph, batch 32.
 * Arguments: [threads (default 2)] [seconds per measurement (default 10)].
 */
public final class ReferenceThroughput {
  private ReferenceThroughput() {}

  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
    int batch = 32;
    Graph g = TestGraphs.resNet8Shaped(1);
    Tensor images = TestGraphs.randomImages("random", batch, 32, 32, 3, 2).batch(0, batch).images();
    try (ReferenceRunner r = new ReferenceBackend().compile(g, RunnerOptions.builder().threads(threads).build())) {
      for (int i = 0; i < 20; i++) {
        r.run(images);
      }
      for (int round = 0; round < 3; round++) {
        long start = System.nanoTime();
        int runs = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
          r.run(images);
          runs++;
        }
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("threads=%d batch=%d: %.1f images/s (%.1f ms/batch)%n", r.threads(), batch, runs * batch / s,
            1000 * s / runs);
      }
    }
  }
}
