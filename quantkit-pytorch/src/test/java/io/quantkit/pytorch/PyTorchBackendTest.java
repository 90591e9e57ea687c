package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pytorch backend on the MLPerf Tiny ResNet8 (FP32; compile() folds its BatchNorms) and on a
 * TorchScript file PyTorch itself wrote. One ResNet8 runner is shared by the class: starting libtorch and loading a module cost
 * seconds.
 */
class PyTorchBackendTest {
  private static Graph resnet8;
  private static Runner torch;
  private static Runner reference;
  private static Tensor images;

  @BeforeAll
  static void load() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    resnet8 = KerasModel.load(home.resnet8Model());
    torch = Backends.named("pytorch").compile(resnet8, RunnerOptions.defaults());
    reference = Backends.named("reference").compile(resnet8);
    images = Cifar10.test(home).batch(0, 48).images();
  }

  @AfterAll
  static void close() {
    torch.close();
    reference.close();
  }

  @Test
  void resnet8MatchesTheReferenceExecutor() {
    Tensor a = torch.run(images);
    Tensor b = reference.run(images);
    assertEquals(Shape.of(48, 10), a.shape());
    float max = 0;
    for (int i = 0; i < a.size(); i++) {
      max = Math.max(max, Math.abs(a.getFloat(i) - b.getFloat(i)));
    }
    assertTrue(max <= 1e-4, "max |softmax difference| " + max);
    assertEquals("pytorch", torch.backendName());
    assertEquals(Signature.of(resnet8), torch.signature());
    assertEquals(resnet8, torch.graph());
  }

  @Test
  void anyBatchSizeGivesTheSameRows() {
    Tensor all = torch.run(images);
    int row = 10;
    for (int[] range : new int[][] {{0, 1}, {5, 12}, {15, 48}}) {
      Tensor part = torch.run(images.sliceFirstAxis(range[0], range[1]));
      assertEquals(Shape.of(range[1] - range[0], 10), part.shape());
      for (int i = 0; i < part.size(); i++) {
        assertEquals(all.getFloat(range[0] * row + i), part.getFloat(i), 1e-6f, "batch " + range[0] + ".." + range[1]);
      }
    }
  }

  @Test
  void eightThreadsOnOneRunnerGiveTheSerialResultsBitForBit() throws Exception {
    List<Tensor> batches = new ArrayList<>();
    List<float[]> serial = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Tensor b = images.sliceFirstAxis(i * 6, i * 6 + 6);
      batches.add(b);
      serial.add(torch.run(b).toFloatArray());
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int offset = t;
        results.add(pool.submit(() -> {
          boolean same = true;
          for (int k = 0; k < 12; k++) {
            int i = (offset + k) % 8;
            same &= java.util.Arrays.equals(serial.get(i), torch.run(batches.get(i)).toFloatArray());
          }
          return same;
        }));
      }
      for (Future<Boolean> f : results) {
        assertTrue(f.get(), "a concurrent run differed from the serial one");
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void parametersOfTheSavedFileCarryTheLayerNames(@TempDir Path dir) {
    Path file = dir.resolve("resnet8.pt");
    TorchScriptModel.save(resnet8, file);
    List<String> names;
    try (Runner r = new PyTorchBackend().open(file, RunnerOptions.defaults())) {
      names = ((PyTorchRunner) r).parameterNames();
    }
    assertTrue(names.contains("conv2d_1.weight"), names.toString());
    assertTrue(names.contains("conv2d_1.bias"), names.toString());
    assertTrue(names.contains("batch_normalization.weight"), names.toString());
    assertTrue(names.contains("dense.weight"), names.toString());
  }

  @Test
  void closedRunnerRefusesToRun() {
    Runner r = new PyTorchBackend().compile(Graphs.mixed(2), RunnerOptions.defaults());
    Tensor x = Graphs.uniform(new java.util.Random(1), 0, 1, 2, 3, 9, 9);
    for (int i = 0; i < 20; i++) {
      assertEquals(Shape.of(2, 5), r.run(x).shape());
    }
    assertEquals(0, ((PyTorchRunner) r).liveNativeArrays(), "every run frees its native tensors");
    r.close();
    assertTrue(((PyTorchRunner) r).released(), "close frees the module and its tensors");
    r.close();
    BackendException e = assertThrows(BackendException.class, () -> r.run(x));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void wrongInputIsAClearError() {
    BackendException e = assertThrows(BackendException.class, () -> torch.run(Tensor.ofFloats(Shape.of(1, 3, 32, 32),
        new float[3 * 32 * 32])));
    assertTrue(e.getMessage().contains("input 'input_1' expects FLOAT32 [?, 32, 32, 3]"), e.getMessage());
    e = assertThrows(BackendException.class, () -> torch.run(Map.of("image", images)));
    assertTrue(e.getMessage().contains("has no input 'image'"), e.getMessage());
  }

  @Test
  void severalOutputsComeBackByName() {
    Graph g = Graphs.mixed(4).withOutputs(List.of("logits", "y", "p"));
    Tensor x = Graphs.uniform(new java.util.Random(2), 0, 1, 3, 3, 9, 9);
    try (Runner r = new PyTorchBackend().compile(g, RunnerOptions.defaults());
        Runner ref = Backends.named("reference").compile(g)) {
      Map<String, Tensor> a = r.run(Map.of("x", x));
      Map<String, Tensor> b = ref.run(Map.of("x", x));
      assertEquals(List.of("logits", "y", "p"), List.copyOf(a.keySet()));
      for (String name : List.of("logits", "y", "p")) {
        assertEquals(b.get(name).shape(), a.get(name).shape(), name);
        for (int i = 0; i < a.get(name).size(); i++) {
          assertEquals(b.get(name).getFloat(i), a.get(name).getFloat(i), 1e-5f, name);
        }
      }
    }
  }

  @Test
  void runsATorchScriptFileThatPyTorchWrote() throws IOException, URISyntaxException {
    Path file = Path.of(getClass().getResource("/torch113-tiny.pt").toURI());
    PyTorchBackend backend = new PyTorchBackend();
    assertTrue(backend.canOpen(file));
    String[] expected = Files.readAllLines(file.resolveSibling("torch113-tiny.expected.txt")).get(1).split(" ");
    float[] x = new float[150];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) / 7f;
    }
    try (Runner r = backend.open(file, RunnerOptions.defaults())) {
      assertEquals(Signature.of("torch113-tiny", List.of(new io.quantkit.ir.ValueInfo("image", io.quantkit.tensor.DataType.FLOAT32,
          Shape.scalar())), List.of("output_0")), r.signature());
      assertThrows(UnsupportedOperationException.class, r::graph);
      Tensor y = r.run(Tensor.ofFloats(Shape.of(2, 3, 5, 5), x));
      assertEquals(Shape.of(2, 2), y.shape());
      for (int i = 0; i < 4; i++) {
        assertEquals(Float.parseFloat(expected[i]), y.getFloat(i), 1e-6f, "PyTorch 1.13's own output " + i);
      }
    }
  }

  @Test
  void runsAFileQuantkitWroteAsItIs(@TempDir Path dir) {
    Path file = dir.resolve("resnet8.pt");
    TorchScriptModel.save(resnet8, file);
    PyTorchBackend backend = new PyTorchBackend();
    assertTrue(backend.canOpen(file));
    Path onnx = dir.resolve("resnet8.onnx");
    OnnxModel.save(resnet8, onnx);
    assertFalse(backend.canOpen(onnx));
    RunnerOptions asIs = RunnerOptions.builder().optimization(RunnerOptions.Optimization.NONE).build();
    try (Runner r = backend.open(file, RunnerOptions.defaults()); Runner compiled = backend.compile(resnet8, asIs)) {
      assertEquals(Signature.of(resnet8), r.signature());
      assertInstanceOf(PyTorchRunner.class, r);
      assertArrayEquals(compiled.run(images).toFloatArray(), r.run(images).toFloatArray(),
          "the file runs what compile() runs without BatchNorm folding");
    }
  }
}
