package io.quantkit.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of workers that share loops of independent items. The calling thread works on
 * its own loop; the others live in a private pool so that {@code threads} is honoured exactly.
 *
 * <p>Thread-safe: several threads may run loops at once (a runner shared by a server's request
 * threads). Each thread that works on a loop borrows a {@link Scratch} for that loop only and
 * gives it back afterwards, so no two loops ever write into the same buffers, and the buffers are
 * still reused from one loop to the next instead of being allocated per call.
 */
final class Workers implements AutoCloseable {
  /** Loop body: process {@code item} using {@code scratch}, which this thread owns for the loop. */
  interface Body {
    void run(Scratch scratch, int item);
  }

  private final int count;
  private final ForkJoinPool pool;
  /** Scratch no loop is using; grows to the largest number of threads ever working at once. */
  private final ConcurrentLinkedDeque<Scratch> idle = new ConcurrentLinkedDeque<>();

  Workers(int threads) {
    this.count = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    this.pool = count > 1 ? new ForkJoinPool(count - 1, Workers::newThread, null, false) : null;
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

  /** Runs {@code body} for items 0..items-1, handing them out one at a time to balance the load. */
  void forEach(int items, Body body) {
    int active = Math.min(count, items);
    AtomicInteger next = new AtomicInteger();
    if (active <= 1) {
      drain(items, next, body);
      return;
    }
    List<ForkJoinTask<?>> helpers = new ArrayList<>(active - 1);
    for (int w = 1; w < active; w++) {
      helpers.add(pool.submit(() -> drain(items, next, body)));
    }
    RuntimeException failure = null;
    try {
      drain(items, next, body);
    } catch (RuntimeException e) {
      // Let the others finish before rethrowing: they read arrays the caller may reuse.
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

  private void drain(int items, AtomicInteger next, Body body) {
    Scratch scratch = idle.pollFirst();
    if (scratch == null) {
      scratch = new Scratch();
    }
    try {
      for (int i = next.getAndIncrement(); i < items; i = next.getAndIncrement()) {
        body.run(scratch, i);
      }
    } finally {
      // Most recently used first: its buffers are likely already the right size and in cache.
      idle.offerFirst(scratch);
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** Buffers that grow to the largest size asked for and are reused across loops, one owner at a time. */
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
