package io.quantkit.backend;

import io.quantkit.BackendException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * For {@link Runner} implementations: many runs may pass at once, {@link #close()} waits until the
 * runs in flight have left, and a run that starts after it fails with {@link BackendException}
 * instead of touching released (possibly native) memory.
 *
 * <pre>{@code
 * try (RunGate.Pass pass = gate.enter()) {
 *   ... run ...
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RunGate {
  /** Held for the duration of one run; closing it lets the run leave. */
  @FunctionalInterface
  public interface Pass extends AutoCloseable {
    @Override
    void close();
  }

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /**
   * One Pass for every run: the read lock counts holds per thread itself, so the pass carries no
   * state, and handing out the same object keeps {@link #enter()} free of allocation on a
   * runner's hot path.
   */
  private final Pass pass = lock.readLock()::unlock;
  private final String what;
  /** Written under the write lock, read under the read lock. */
  private boolean closed;

  /** {@code what} names the runner in the message a run after close gets, e.g. "runner for graph 'resnet8'". */
  public RunGate(String what) {
    this.what = what;
  }

  /** Admits one run; throws {@link BackendException} once {@link #close()} has begun. */
  public Pass enter() {
    ReentrantReadWriteLock.ReadLock read = lock.readLock();
    read.lock();
    if (closed) {
      read.unlock();
      throw new BackendException(what + " is closed");
    }
    return pass;
  }

  /**
   * Waits for the runs in flight, then shuts the gate. Returns true the first time only, so the
   * caller releases its resources exactly once, after every run has left.
   *
   * @throws IllegalStateException when called from inside a run of the same runner (for example
   *     from a {@link Runner#runScoped} consumer), which would otherwise wait for itself forever
   */
  public boolean close() {
    if (lock.getReadHoldCount() > 0) {
      throw new IllegalStateException(what + " cannot be closed from inside one of its own runs");
    }
    lock.writeLock().lock();
    try {
      if (closed) {
        return false;
      }
      closed = true;
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    lock.readLock().lock();
    try {
      return closed;
    } finally {
      lock.readLock().unlock();
    }
  }
}
