package io.quantkit.spark;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Compiled runners kept per executor JVM: a task borrows one for its model and backend, runs its
 * shard and gives it back, so an executor compiles one runner per task slot (as many as ran at
 * once) and reuses it for every later partition of the same model. Runners are closed when the JVM
 * shuts down. Thread-safe.
 */
public final class RunnerPool {
  private static final Map<String, Queue<Runner>> IDLE = new ConcurrentHashMap<>();
  private static final List<Runner> ALL = new ArrayList<>();
  private static final AtomicInteger COMPILED = new AtomicInteger();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(RunnerPool::closeAll, "quantkit-runner-pool-close"));
  }

  private RunnerPool() {}

  /** Runs {@code work} with a runner of {@code model} on {@code backend}, compiled if none is idle. */
  public static <T> T withRunner(ModelBytes model, String backend, int threads, Function<Runner, T> work) {
    String key = model.digest() + "|" + backend + "|" + threads;
    Queue<Runner> idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
    Runner runner = idle.poll();
    if (runner == null) {
      runner = Backends.named(backend).compile(model.graph(), RunnerOptions.builder().threads(threads).build());
      COMPILED.incrementAndGet();
      synchronized (ALL) {
        ALL.add(runner);
      }
    }
    try {
      return work.apply(runner);
    } finally {
      idle.add(runner);
    }
  }

  /** Runners compiled in this JVM so far (for tests: one per task slot, not one per partition). */
  public static int compiled() {
    return COMPILED.get();
  }

  private static void closeAll() {
    synchronized (ALL) {
      for (Runner r : ALL) {
        try {
          r.close();
        } catch (RuntimeException ignored) {
          // the JVM is going away; nothing else to do with a runner that fails to close
        }
      }
      ALL.clear();
    }
    IDLE.clear();
  }
}
