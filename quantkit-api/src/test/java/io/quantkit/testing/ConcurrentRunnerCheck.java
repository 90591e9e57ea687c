package io.quantkit.testing;

import io.quantkit.backend.Runner;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks {@link Runner}'s thread-safety contract for any backend: one runner, several threads,
 * every call's outputs bit-identical to the same batch run alone. Used by the reference and ONNX
 * Runtime backend tests; a new backend module depends on quantkit-api's test jar
 * ({@code <type>test-jar</type>}, test scope) and calls {@link #assertThreadSafe}.
 *
 * <p>Each thread runs every batch, starting at its own offset so that different batches (and
 * batch shapes, if they differ) overlap, through both {@link Runner#run(Map)} and
 * {@link Runner#runScoped}; the scoped outputs are compared inside the consumer, while they are
 * still valid. Independent of JUnit: failures are {@link AssertionError}s.
 */
public final class ConcurrentRunnerCheck {
  /** What one check did. */
  public record Result(int threads, int calls, int mismatches, List<String> firstMismatches) {}

  private ConcurrentRunnerCheck() {}

  /**
   * Runs {@code batches} serially for the expected outputs, then {@code rounds} times on each of
   * {@code threads} threads at once, and throws {@link AssertionError} naming the first
   * differences if any call's outputs are not bit-identical to the serial ones (or if a call
   * throws).
   */
  public static Result assertThreadSafe(Runner runner, List<Map<String, Tensor>> batches, int threads, int rounds) {
    Result r = check(runner, batches, threads, rounds);
    if (r.mismatches() > 0) {
      throw new AssertionError(runner.backendName() + " runner shared by " + threads + " threads: " + r.mismatches()
          + " of " + r.calls() + " calls differ from the serial run, e.g. " + r.firstMismatches());
    }
    return r;
  }

  /** Like {@link #assertThreadSafe} but returns the counts instead of throwing. */
  public static Result check(Runner runner, List<Map<String, Tensor>> batches, int threads, int rounds) {
    if (batches.isEmpty() || threads < 1 || rounds < 1) {
      throw new IllegalArgumentException("need batches, threads >= 1 and rounds >= 1");
    }
    List<Map<String, byte[]>> expected = new ArrayList<>();
    for (Map<String, Tensor> batch : batches) {
      expected.add(bits(runner.run(batch)));
    }
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger mismatches = new AtomicInteger();
    ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < batches.size(); k++) {
              int b = (k + thread * 7 + round) % batches.size();
              boolean scoped = (k + thread + round) % 2 == 1;
              String where = "thread " + thread + " round " + round + " batch " + b + (scoped ? " (runScoped)" : " (run)");
              calls.incrementAndGet();
              try {
                String diff;
                if (scoped) {
                  String[] seen = new String[1];
                  runner.runScoped(batches.get(b), out -> seen[0] = difference(expected.get(b), bits(out)));
                  diff = seen[0];
                } else {
                  diff = difference(expected.get(b), bits(runner.run(batches.get(b))));
                }
                if (diff != null) {
                  record(mismatches, examples, where + ": " + diff);
                }
              } catch (RuntimeException e) {
                record(mismatches, examples, where + " threw " + e);
              }
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
    } catch (Exception e) {
      throw new AssertionError("concurrent runs did not finish: " + e, e);
    } finally {
      pool.shutdownNow();
    }
    List<String> first = new ArrayList<>(examples);
    return new Result(threads, calls.get(), mismatches.get(), Collections.unmodifiableList(first));
  }

  private static void record(AtomicInteger mismatches, ConcurrentLinkedQueue<String> examples, String what) {
    if (mismatches.incrementAndGet() <= 5) {
      examples.add(what);
    }
  }

  /** Outputs as their exact bytes: -0.0 and 0.0, or two NaN payloads, count as different. */
  private static Map<String, byte[]> bits(Map<String, Tensor> outputs) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    outputs.forEach((name, t) -> out.put(name, t.toLittleEndianBytes()));
    return out;
  }

  private static String difference(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    if (!expected.keySet().equals(actual.keySet())) {
      return "outputs " + actual.keySet() + " instead of " + expected.keySet();
    }
    for (Map.Entry<String, byte[]> e : expected.entrySet()) {
      byte[] a = actual.get(e.getKey());
      if (!Arrays.equals(e.getValue(), a)) {
        return "output '" + e.getKey() + "' differs (first differing byte " + Arrays.mismatch(e.getValue(), a) + ")";
      }
    }
    return null;
  }
}
