package io.quantkit.tf;

import io.quantkit.BackendException;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * A TensorFlow session and what owns its graph, shared by concurrent runs and closed once.
 *
 * <p>Runs hold the read side of a lock and {@link #close} the write side, so closing waits for runs
 * in progress and a run after close fails with a {@link BackendException} instead of touching freed
 * native memory. Every native tensor a run creates (inputs, outputs) is closed before it returns.
 */
final class SessionHolder implements AutoCloseable {
  private final String what;
  private final Session session;
  private final List<AutoCloseable> resources;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  /** {@code resources} (the session, its graph, or a SavedModelBundle owning both) are closed in this order. */
  SessionHolder(String what, Session session, AutoCloseable... resources) {
    this.what = what;
    this.session = session;
    this.resources = List.of(resources);
  }

  /** One output to fetch: the key it is returned under, where it lives and its quantkit type. */
  record Fetch(String key, Output<?> output, DataType type) {}

  /** Feeds {@code feeds} (TF output -> tensor, already checked), fetches {@code fetches}. */
  Map<String, Tensor> run(Map<Output<?>, Tensor> feeds, List<Fetch> fetches, String inputsForMessages) {
    lock.readLock().lock();
    List<org.tensorflow.Tensor> inputs = new ArrayList<>(feeds.size());
    try {
      if (closed) {
        throw new BackendException("tf runner for " + what + " is closed");
      }
      Session.Runner r = session.runner();
      for (Map.Entry<Output<?>, Tensor> e : feeds.entrySet()) {
        org.tensorflow.Tensor t = TfTensors.toTf(e.getValue());
        inputs.add(t);
        r.feed(e.getKey(), t);
      }
      for (Fetch f : fetches) {
        r.fetch(f.output());
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      try (Result result = r.run()) {
        for (int i = 0; i < fetches.size(); i++) {
          Fetch f = fetches.get(i);
          out.put(f.key(), TfTensors.fromTf(result.get(i), f.type(), "output '" + f.key() + "' of " + what));
        }
      }
      return out;
    } catch (TensorFlowException e) {
      throw new BackendException("TensorFlow failed running " + what + " on " + inputsForMessages + ": "
          + firstLine(e.getMessage()), e);
    } finally {
      inputs.forEach(org.tensorflow.Tensor::close);
      lock.readLock().unlock();
    }
  }

  boolean isClosed() {
    lock.readLock().lock();
    try {
      return closed;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      BackendException failure = null;
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception e) {
          if (failure == null) {
            failure = new BackendException("closing the TensorFlow session of " + what + " failed: " + e.getMessage(), e);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}
