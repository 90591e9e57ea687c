package io.quantkit.spark;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Compiled runners kept per executor JVM: a task borrows one for its model and backend, runs its
 * shard and gives it back, so an executor compiles one runner per task slot (as many as ran at
 * once) and reuses it for every later partition of the same model. Runners of at most
 * {@code quantkit.spark.pooledModels} models (system property, default 4) stay compiled: a sweep
 * over many models closes the runners of the model used longest ago rather than keeping every
 * model's runners in memory. The rest are closed when the JVM shuts down. Thread-safe.
 */
public final class RunnerPool {
  private static final int MODELS = Math.max(1, Integer.getInteger("quantkit.spark.pooledModels", 4));
  /** Idle runners by model key, least recently used first; guarded by itself. */
  private static final LinkedHashMap<String, Deque<Runner>> IDLE = new LinkedHashMap<>(16, 0.75f, true);
  private static final AtomicInteger COMPILED = new AtomicInteger();
  private static boolean closed;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(RunnerPool::closeAll, "quantkit-runner-pool-close"));
  }

  private RunnerPool() {}

  /** Runs {@code work} with a runner of {@code model} on {@code backend}, compiled if none is idle. */
  public static <T> T withRunner(ModelBytes model, String backend, int threads, Function<Runner, T> work) {
    String key = model.digest() + "|" + backend + "|" + threads;
    Runner runner;
    List<Runner> evicted = new ArrayList<>();
    synchronized (IDLE) {
      Deque<Runner> idle = IDLE.computeIfAbsent(key, k -> new ArrayDeque<>());
      runner = idle.poll();
      Iterator<Map.Entry<String, Deque<Runner>>> lru = IDLE.entrySet().iterator();
      while (IDLE.size() > MODELS && lru.hasNext()) {
        Map.Entry<String, Deque<Runner>> e = lru.next();
        if (!e.getKey().equals(key)) {
          evicted.addAll(e.getValue());
          lru.remove();
        }
      }
    }
    evicted.forEach(RunnerPool::closeQuietly);
    if (runner == null) {
      runner = Backends.named(backend).compile(model.graph(), RunnerOptions.builder().threads(threads).build());
      COMPILED.incrementAndGet();
    }
    try {
      return work.apply(runner);
    } finally {
      boolean keep;
      synchronized (IDLE) {
        Deque<Runner> idle = closed ? null : IDLE.get(key);
        keep = idle != null;
        if (keep) {
          idle.add(runner);
        }
      }
      if (!keep) {
        // its model was evicted while the task ran (or the JVM is stopping)
        closeQuietly(runner);
      }
    }
  }

  /** Runners compiled in this JVM so far (for tests: one per task slot, not one per partition). */
  public static int compiled() {
    return COMPILED.get();
  }

  private static void closeQuietly(Runner r) {
    try {
      r.close();
    } catch (RuntimeException ignored) {
      // a runner that fails to close has nothing left to give back
    }
  }

  private static void closeAll() {
    List<Runner> all = new ArrayList<>();
    synchronized (IDLE) {
      closed = true;
      IDLE.values().forEach(all::addAll);
      IDLE.clear();
    }
    all.forEach(RunnerPool::closeQuietly);
  }
}
