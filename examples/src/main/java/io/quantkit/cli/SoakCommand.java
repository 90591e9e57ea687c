package io.quantkit.cli;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Dataset;
import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs one runner many times, from one or several threads sharing it, and prints the process's
 * resident memory (VmRSS of /proc/self/status) and the Java heap after a GC every {@code --every}
 * runs: a leak of native or Java memory per run shows as steady growth. Every output is also
 * compared, bit for bit, with the same batch run alone before the soak, so the soak checks the
 * thread-safety contract too.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = "Run one runner N times (optionally from several threads sharing it); print RSS every --every runs.")
final class SoakCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ModelOptions model = new ModelOptions();
  @Mixin DataOptions data = new DataOptions();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
      description = "Threads calling the one shared runner at once (default ${DEFAULT-VALUE}).")
  int callers;

  @Option(names = "--runner-threads", defaultValue = "0", paramLabel = "N",
      description = "The runner's own intra-op threads (0 = the backend decides; default ${DEFAULT-VALUE}).")
  int runnerThreads;

  @Option(names = "--backend", defaultValue = "reference", description = "Backend (default ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--runs", defaultValue = "100000", description = "Runs in all, over all threads (default ${DEFAULT-VALUE}).")
  long runs;

  @Option(names = "--every", defaultValue = "10000", description = "Print a sample every N runs (default ${DEFAULT-VALUE}).")
  long every;

  @Option(names = "--distinct", defaultValue = "64", description = "Distinct batches cycled through (default ${DEFAULT-VALUE}).")
  int distinct;

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || callers < 1 || every < 1 || distinct < 1) {
      throw new IllegalArgumentException("--runs, --threads, --every and --distinct must be at least 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    Graph graph = model.load();
    if (data.batchSize == 32 && data.limit == null) {
      data.batchSize = 1;
    }
    Dataset dataset = data.open();
    int batch = data.batchSize;
    String input = graph.input().name();
    List<Map<String, Tensor>> batches = new ArrayList<>();
    for (int k = 0; k < distinct; k++) {
      int from = (k * batch) % Math.max(1, dataset.size() - batch + 1);
      batches.add(Map.of(input, dataset.batch(from, Math.min(dataset.size(), from + batch)).images()));
    }
    try (Runner runner = Backends.named(backend).compile(graph, RunnerOptions.builder().threads(runnerThreads).build())) {
      List<byte[]> expected = new ArrayList<>();
      for (Map<String, Tensor> b : batches) {
        expected.add(runner.run(b).values().iterator().next().toLittleEndianBytes());
      }
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      out.printf(Locale.ROOT, "soak %s: %,d runs of batch %d from %d thread(s) sharing one runner (runner threads %s), "
          + "%d distinct batches; %d cores, load average %s%n", backend, runs, batch, callers,
          runnerThreads == 0 ? "backend default" : String.valueOf(runnerThreads), distinct,
          Runtime.getRuntime().availableProcessors(), loadAverage());
      System.gc();
      double rss0 = rssMegabytes();
      out.printf(Locale.ROOT, "%12s  %9s  %10s  %10s  %18s  %s%n", "runs", "seconds", "runs/s", "RSS MB", "heap after GC MB",
          "mismatches");
      out.printf(Locale.ROOT, "%,12d  %9.1f  %10s  %10.1f  %18.1f  %d%n", 0, 0.0, "-", rss0,
          memory.getHeapMemoryUsage().getUsed() / 1048576.0, 0);
      out.flush();
      AtomicLong next = new AtomicLong();
      AtomicLong done = new AtomicLong();
      AtomicLong mismatches = new AtomicLong();
      long start = System.nanoTime();
      List<double[]> samples = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(callers);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < callers; t++) {
        workers.add(pool.submit(() -> {
          for (long i = next.getAndIncrement(); i < runs; i = next.getAndIncrement()) {
            int k = (int) (i % batches.size());
            byte[] got = runner.run(batches.get(k)).values().iterator().next().toLittleEndianBytes();
            if (!Arrays.equals(got, expected.get(k))) {
              mismatches.incrementAndGet();
            }
            long d = done.incrementAndGet();
            if (d % every == 0 || d == runs) {
              synchronized (samples) {
                System.gc();
                double seconds = (System.nanoTime() - start) / 1e9;
                double rss = rssMegabytes();
                double heap = memory.getHeapMemoryUsage().getUsed() / 1048576.0;
                samples.add(new double[] {d, rss});
                out.printf(Locale.ROOT, "%,12d  %9.1f  %,10.0f  %10.1f  %18.1f  %d%n", d, seconds, d / seconds, rss, heap,
                    mismatches.get());
                out.flush();
              }
            }
          }
          return null;
        }));
      }
      try {
        for (Future<?> w : workers) {
          w.get();
        }
      } finally {
        pool.shutdownNow();
      }
      double[] firstSample = samples.get(0);
      double[] last = samples.get(samples.size() - 1);
      out.printf(Locale.ROOT, "RSS growth: %+.1f MB from the first sample (%,d runs) to the last (%,d runs); %+.1f MB from "
          + "start; %d of %,d outputs differed from the serial run; load average %s%n", last[1] - firstSample[1],
          (long) firstSample[0], (long) last[0], last[1] - rss0, mismatches.get(), runs, loadAverage());
      return mismatches.get() == 0 ? 0 : ErrorHandler.EXIT_FAILURE;
    }
  }

  /** Resident set size from /proc/self/status (Linux); NaN elsewhere. */
  static double rssMegabytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Not Linux: RSS is unknown, the soak still checks outputs.
    }
    return Double.NaN;
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
