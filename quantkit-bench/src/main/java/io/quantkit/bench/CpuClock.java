package io.quantkit.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CPU time the benchmark thread spent per iteration, next to JMH's wall-clock score. With one
 * intra-op thread ONNX Runtime computes on the calling thread, so CPU time per call is the cost of
 * the call itself, and it hardly moves when other processes take the CPU away between calls (wall
 * time does): on a shared machine it is the figure that can resolve a few microseconds. Reported by
 * JMH as secondary results {@code cpuNanos} and {@code calls} (totals per iteration).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class CpuClock {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public long cpuNanos;
  public long calls;
  private long start;

  @Setup(Level.Iteration)
  public void start() {
    calls = 0;
    cpuNanos = 0;
    start = THREADS.getCurrentThreadCpuTime();
  }

  @TearDown(Level.Iteration)
  public void stop() {
    cpuNanos = THREADS.getCurrentThreadCpuTime() - start;
  }
}
