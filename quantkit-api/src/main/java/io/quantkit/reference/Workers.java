package io.quantkit.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of workers that share loops of independent items. The calling thread is worker
 * 0; the others live in a private pool so that {@code threads} is honoured exactly. Each worker
 * owns a {@link Scratch}, which is why items learn their worker's index.
 */
final class Workers implements AutoCloseable {
  /** Loop body: process {@code item} using worker {@code worker}'s scratch. */
  interface Body {
    void run(int worker, int item);
  }

  private final int count;
  private final ForkJoinPool pool;
  private final Scratch[] scratch;

  Workers(int threads) {
    this.count = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    this.pool = count > 1 ? new ForkJoinPool(count - 1, Workers::newThread, null, false) : null;
    this.scratch = new Scratch[count];
    for (int i = 0; i < count; i++) {
      scratch[i] = new Scratch();
    }
  }

  private static ForkJoinWorkerThread newThread(ForkJoinPool p) {
    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
    t.setName("quantkit-reference-" + t.getPoolIndex());
    t.setDaemon(true);
    return t;
  }

  int count() {
    return count;
  }

  Scratch scratch(int worker) {
    return scratch[worker];
  }

  /** Runs {@code body} for items 0..items-1, handing them out one at a time to balance the load. */
  void forEach(int items, Body body) {
    int active = Math.min(count, items);
    if (active <= 1) {
      for (int i = 0; i < items; i++) {
        body.run(0, i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    List<ForkJoinTask<?>> helpers = new ArrayList<>(active - 1);
    for (int w = 1; w < active; w++) {
      int worker = w;
      helpers.add(pool.submit(() -> drain(worker, items, next, body)));
    }
    RuntimeException failure = null;
    try {
      drain(0, items, next, body);
    } catch (RuntimeException e) {
      // Let the others finish before rethrowing: they use scratch the next call would reuse.
      next.set(items);
      failure = e;
    }
    for (ForkJoinTask<?> h : helpers) {
      try {
        h.join();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static void drain(int worker, int items, AtomicInteger next, Body body) {
    for (int i = next.getAndIncrement(); i < items; i = next.getAndIncrement()) {
      body.run(worker, i);
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** Per-worker buffers that grow to the largest size asked for and are reused across runs. */
  static final class Scratch {
    private final float[][][] rows = new float[2][][];

    /**
     * A block of at least {@code n} rows of at least {@code length} floats (slot 0 and 1 are
     * independent). Contents are left over from earlier use.
     */
    float[][] rows(int slot, int n, int length) {
      float[][] r = rows[slot];
      if (r == null || r.length < n || r[0].length < length) {
        int newN = Math.max(n, r == null ? 0 : r.length);
        int newLength = Math.max(length, r == null || r.length == 0 ? 0 : r[0].length);
        r = new float[newN][newLength];
        rows[slot] = r;
      }
      return r;
    }
  }
}
