package io.quantkit.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.tensor.Tensor;
import io.quantkit.testing.ConcurrentRunnerCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One reference runner shared by 8 threads gives every call the serial answer, bit for bit. */
class ReferenceRunnerConcurrencyTest {
  private static Graph resnet8;
  private static List<Map<String, Tensor>> batches;

  @BeforeAll
  static void load() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    resnet8 = KerasModel.load(home.resnet8Model());
    Cifar10 test = Cifar10.test(home);
    String input = resnet8.input().name();
    batches = new ArrayList<>();
    // Batch sizes differ so that runs with different shapes overlap (the shape cache is shared).
    int[] sizes = {1, 4, 2, 3, 4, 1, 2, 3};
    int from = 0;
    for (int size : sizes) {
      batches.add(Map.of(input, test.batch(from, from + size).images()));
      from += size;
    }
  }

  @Test
  void eightThreadsOnOneRunnerGetTheSerialOutputs() {
    // Two intra-op workers: every caller thread also shares the runner's worker pool.
    try (ReferenceRunner runner = new ReferenceBackend().compile(resnet8, RunnerOptions.builder().threads(2).build())) {
      ConcurrentRunnerCheck.Result r = ConcurrentRunnerCheck.assertThreadSafe(runner, batches, 8, 2);
      assertEquals(8 * 2 * batches.size(), r.calls());
    }
  }

  @Test
  void outputsDoNotDependOnTheNumberOfWorkers() {
    // The split of work between workers must not change any float: plans calibrated on this
    // executor are then the same on every machine, whatever its core count.
    try (ReferenceRunner one = new ReferenceBackend().compile(resnet8, RunnerOptions.builder().threads(1).build());
        ReferenceRunner three = new ReferenceBackend().compile(resnet8, RunnerOptions.builder().threads(3).build())) {
      for (Map<String, Tensor> batch : batches) {
        Tensor a = one.run(batch).values().iterator().next();
        Tensor b = three.run(batch).values().iterator().next();
        assertArrayEquals(a.toLittleEndianBytes(), b.toLittleEndianBytes());
      }
    }
  }

  @Test
  void closeWaitsForRunsInFlightAndLaterRunsFail() throws Exception {
    ReferenceRunner runner = new ReferenceBackend().compile(resnet8, RunnerOptions.builder().threads(2).build());
    Map<String, Tensor> batch = batches.get(1);
    Tensor expected = runner.run(batch).values().iterator().next();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch started = new CountDownLatch(4);
      List<Future<Object>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(pool.submit(() -> {
          started.countDown();
          try {
            return runner.run(batch).values().iterator().next();
          } catch (BackendException e) {
            return e; // started after close: allowed, as long as it says so
          }
        }));
      }
      started.await();
      runner.close();
      for (Future<Object> f : runs) {
        Object r = f.get(1, TimeUnit.MINUTES);
        if (r instanceof Tensor) {
          assertArrayEquals(expected.toLittleEndianBytes(), ((Tensor) r).toLittleEndianBytes());
        } else {
          assertTrue(((BackendException) r).getMessage().contains("closed"), r.toString());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    BackendException e = assertThrows(BackendException.class, () -> runner.run(batch));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    runner.close(); // a second close is harmless
  }
}
