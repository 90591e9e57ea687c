package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.backend.Runner;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One ONNX Runtime runner shared by 8 threads gives every call the serial answer, bit for bit. */
class OrtRunnerConcurrencyTest {
  private static Graph resnet8;
  private static List<Map<String, Tensor>> batches;

  @BeforeAll
  static void load() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    resnet8 = KerasModel.load(home.resnet8Model());
    Cifar10 test = Cifar10.test(home);
    String input = resnet8.input().name();
    batches = new ArrayList<>();
    // Sizes repeat and differ: reused input buffers and shape changes both happen under contention.
    int[] sizes = {4, 4, 2, 4, 1, 4, 3, 4, 2, 4};
    int from = 0;
    for (int size : sizes) {
      batches.add(Map.of(input, test.batch(from, from + size).images()));
      from += size;
    }
  }

  @Test
  void eightThreadsOnOneRunnerGetTheSerialOutputs() {
    // One intra-op thread per call keeps ORT's own pool out of the picture: what is tested is
    // the runner's buffers, and the outputs do not depend on ORT's thread count anyway.
    for (int intraOp : new int[] {1, 2}) {
      try (Runner runner = new OrtBackend().compile(resnet8, RunnerOptions.builder().threads(intraOp).build())) {
        ConcurrentRunnerCheck.Result r = ConcurrentRunnerCheck.assertThreadSafe(runner, batches, 8, 3);
        assertEquals(8 * 3 * batches.size(), r.calls());
      }
    }
  }

  @Test
  void runsAfterCloseFailWithAMessage() {
    Runner runner = new OrtBackend().compile(resnet8, RunnerOptions.builder().threads(1).build());
    runner.run(batches.get(0));
    runner.close();
    BackendException e = assertThrows(BackendException.class, () -> runner.run(batches.get(0)));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(BackendException.class, () -> runner.runScoped(batches.get(0), out -> { }));
    runner.close();
  }
}
