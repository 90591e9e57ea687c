package io.quantkit.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ResNet8 on the tf backend: one runner per class (compiling costs a TensorFlow session), checked
 * against the reference executor on 100 test images, shared by 8 threads, and closed.
 */
class TfBackendTest {
  private static Graph resnet8;
  private static Runner runner;
  private static Tensor images;

  @BeforeAll
  static void compile() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    resnet8 = KerasModel.load(home.resnet8Model());
    images = Cifar10.test(home).batch(0, 100).images();
    runner = Backends.named("tf").compile(resnet8, RunnerOptions.builder().threads(2).build());
  }

  @AfterAll
  static void close() {
    runner.close();
  }

  @Test
  void isFoundByName() {
    assertInstanceOf(TfBackend.class, Backends.named("tf"));
    assertEquals("tf", runner.backendName());
    assertEquals(resnet8, runner.graph());
  }

  @Test
  void resnet8MatchesTheReferenceExecutor() {
    Tensor tf = runner.run(images);
    Tensor ref;
    try (Runner r = Backends.named("reference").compile(resnet8, RunnerOptions.builder().threads(2).build())) {
      ref = r.run(images);
    }
    assertEquals(Shape.of(100, 10), tf.shape());
    double max = 0;
    for (int i = 0; i < tf.size(); i++) {
      max = Math.max(max, Math.abs(tf.getFloat(i) - ref.getFloat(i)));
    }
    assertTrue(max <= 1e-4, "max |softmax difference| " + max);
    for (int img = 0; img < 100; img++) {
      assertEquals(argmax(ref, img), argmax(tf, img), "image " + img);
    }
  }

  @Test
  void theLayoutTransposesOfTheKerasGraphCancel() {
    // NHWC input -> Transpose to NCHW -> ... -> Transpose to NHWC -> Flatten: TensorFlow's NHWC
    // kernels need neither.
    Map<String, Integer> ops = TfGraphs.opTypes(resnet8);
    assertEquals(0, ops.getOrDefault("Transpose", 0), ops.toString());
    assertEquals(9, ops.get("Conv2D"), ops.toString());
    assertEquals(1, ops.get("AvgPool"), ops.toString());
  }

  @Test
  void eightThreadsOnOneRunnerGiveTheSerialAnswers() throws Exception {
    List<Tensor> batches = new ArrayList<>();
    List<Tensor> serial = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      Tensor batch = images.sliceFirstAxis(i * 6, i * 6 + 1 + i % 6);
      batches.add(batch);
      serial.add(runner.run(batch));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int offset = t;
        results.add(pool.submit(() -> {
          boolean same = true;
          for (int round = 0; round < 5; round++) {
            for (int i = 0; i < batches.size(); i++) {
              int k = (i + offset) % batches.size();
              same &= serial.get(k).equals(runner.run(batches.get(k)));
            }
          }
          return same;
        }));
      }
      for (Future<Boolean> f : results) {
        assertTrue(f.get(), "a concurrent run differed from the serial one");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void runsReleaseTheirNativeTensors() {
    Tensor batch = images.sliceFirstAxis(0, 8);
    runner.run(batch);
    // JavaCPP counts every native object TensorFlow Java allocates (tensors, statuses, buffers).
    long count = Pointer.totalCount();
    for (int i = 0; i < 50; i++) {
      runner.run(batch);
    }
    assertEquals(count, Pointer.totalCount(), "native objects still allocated after 50 runs");
  }

  @Test
  void badInputsFailWithOneLine() {
    BackendException shape = assertThrows(BackendException.class,
        () -> runner.run(Tensor.wrapFloats(Shape.of(1, 28, 28, 1), new float[784])));
    assertEquals("graph '" + resnet8.name() + "': input 'input_1' expects FLOAT32 [?, 32, 32, 3], got FLOAT32 [1, 28, 28, 1]",
        shape.getMessage());
    BackendException type = assertThrows(BackendException.class,
        () -> runner.run(Tensor.wrapBytes(DataType.UINT8, Shape.of(1, 32, 32, 3), new byte[3072])));
    assertTrue(type.getMessage().contains("expects FLOAT32") && type.getMessage().contains("got UINT8"), type.getMessage());
    BackendException name = assertThrows(BackendException.class,
        () -> runner.run(Map.of("pixels", images.sliceFirstAxis(0, 1))));
    assertTrue(name.getMessage().contains("no input 'pixels'; its inputs are [input_1]"), name.getMessage());
    for (Exception e : List.of(shape, type, name)) {
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void aClosedRunnerRefusesToRunAndClosesOnce() {
    Runner r = Backends.named("tf").compile(resnet8, RunnerOptions.builder().threads(1).build());
    Tensor batch = images.sliceFirstAxis(0, 2);
    assertEquals(runner.run(batch), r.run(batch));
    r.close();
    r.close();
    BackendException e = assertThrows(BackendException.class, () -> r.run(batch));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  static int argmax(Tensor scores, int row) {
    int classes = scores.shape().dim(1);
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (scores.getFloat(row * classes + c) > scores.getFloat(row * classes + best)) {
        best = c;
      }
    }
    return best;
  }
}
