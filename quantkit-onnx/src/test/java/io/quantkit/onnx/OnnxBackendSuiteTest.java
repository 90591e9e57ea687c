package io.quantkit.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX's own backend test cases (pytorch-converted, pytorch-operator): import each model, run it
 * on each backend (ONNX Runtime via the exporter, and quantkit's reference executor), and compare
 * with the outputs stored next to it, which neither quantkit nor the backend computed. A case is
 * "unsupported" when the import raises UnsupportedOpException/UnsupportedDataTypeException or the
 * backend's compile raises UnsupportedOpException; anything else that goes wrong fails the test.
 */
class OnnxBackendSuiteTest {
  private static final double TOLERANCE = 1e-4;

  /**
   * Cases every backend must run: the layers quantkit's models are made of. AvgPool1d* are left
   * out because PyTorch exported them with Unsqueeze/Squeeze, which are not IR ops.
   */
  private static final List<String> REQUIRED_PREFIXES = List.of(
      "test_Conv1d", "test_Conv2d", "test_Conv3d", "test_BatchNorm", "test_AvgPool2d", "test_AvgPool3d", "test_MaxPool",
      "test_Linear", "test_ReLU", "test_Softmax", "test_softmax_");
  private static final List<String> REQUIRED_CASES = List.of(
      "test_operator_conv", "test_operator_maxpool", "test_operator_flatten", "test_operator_view", "test_operator_concat2",
      "test_operator_permute2", "test_operator_clip", "test_operator_mm", "test_operator_addmm", "test_PixelShuffle");

  static Path suiteRoot() {
    String shared = System.getProperty("quantkit.shared", "../../shared");
    return Path.of(shared, "onnx-backend-tests");
  }

  static List<Path> cases() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String group : List.of("pytorch-converted", "pytorch-operator")) {
      try (Stream<Path> s = Files.list(suiteRoot().resolve(group))) {
        s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().forEach(out::add);
      }
    }
    return out;
  }

  @ParameterizedTest(name = "backend {0}")
  @ValueSource(strings = {"onnx", "reference"})
  void runsOnnxBackendCases(String backendName) throws IOException {
    Backend backend = Backends.named(backendName);
    List<Path> cases = cases();
    assertTrue(cases.size() > 100, "expected the ONNX backend test cases under " + suiteRoot() + ", found " + cases.size());
    TreeSet<String> passed = new TreeSet<>();
    TreeSet<String> unsupported = new TreeSet<>();
    List<String> failures = new ArrayList<>();
    for (Path dir : cases) {
      String name = dir.getFileName().toString();
      try {
        Outcome o = runCase(backend, dir);
        if (o.unsupported != null) {
          unsupported.add(name + " (" + o.unsupported + ")");
        } else if (o.failure != null) {
          failures.add(name + ": " + o.failure);
        } else {
          passed.add(name);
        }
      } catch (RuntimeException e) {
        failures.add(name + ": " + e);
      }
    }
    System.out.printf("[%s] ONNX backend cases: %d run and matched, %d unsupported, %d failed%n",
        backendName, passed.size(), unsupported.size(), failures.size());
    System.out.println("[" + backendName + "] unsupported: " + String.join("; ", unsupported));
    assertTrue(failures.isEmpty(), "mismatches or errors:\n" + String.join("\n", failures));
    List<String> missing = new ArrayList<>();
    for (Path dir : cases) {
      String name = dir.getFileName().toString();
      boolean required = REQUIRED_PREFIXES.stream().anyMatch(name::startsWith) || REQUIRED_CASES.contains(name);
      if (required && !passed.contains(name)) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "required cases that did not run on " + backendName);
  }

  private static final class Outcome {
    String unsupported;
    String failure;
  }

  private static Outcome runCase(Backend backend, Path dir) throws IOException {
    Outcome o = new Outcome();
    Graph g;
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    List<Tensor> expected = new ArrayList<>();
    try {
      g = OnnxModel.load(dir.resolve("model.onnx"));
      Path data = dir.resolve("test_data_set_0");
      List<Path> in = files(data, "input_");
      if (in.size() != g.inputs().size()) {
        o.failure = "graph has " + g.inputs().size() + " inputs, test data " + in.size();
        return o;
      }
      for (int i = 0; i < in.size(); i++) {
        inputs.put(g.inputs().get(i).name(), OnnxModel.loadTensor(in.get(i)));
      }
      for (Path p : files(data, "output_")) {
        expected.add(OnnxModel.loadTensor(p));
      }
    } catch (UnsupportedOpException e) {
      o.unsupported = e.opType();
      return o;
    } catch (UnsupportedDataTypeException e) {
      o.unsupported = OnnxTypes.describe(e.onnxDataType());
      return o;
    }
    Runner runner;
    try {
      runner = backend.compile(g, RunnerOptions.builder().threads(1).build());
    } catch (UnsupportedOpException e) {
      o.unsupported = backend.name() + " lacks " + e.opType();
      return o;
    }
    try (Runner r = runner) {
      Map<String, Tensor> out = r.run(inputs);
      if (expected.size() != g.outputs().size()) {
        o.failure = "graph has " + g.outputs().size() + " outputs, test data " + expected.size();
        return o;
      }
      for (int i = 0; i < expected.size(); i++) {
        String diff = compare(out.get(g.outputs().get(i)), expected.get(i));
        if (diff != null) {
          o.failure = "output " + i + ": " + diff;
          return o;
        }
      }
    }
    return o;
  }

  private static List<Path> files(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".pb"))
          .sorted((a, b) -> Integer.compare(index(a), index(b)))
          .collect(Collectors.toList());
    }
  }

  private static int index(Path p) {
    String n = p.getFileName().toString();
    return Integer.parseInt(n.substring(n.indexOf('_') + 1, n.length() - 3));
  }

  /** Null when equal within |a-b| <= 1e-4 * max(1, |expected|). */
  static String compare(Tensor actual, Tensor expected) {
    if (actual == null) {
      return "missing";
    }
    if (!actual.shape().equals(expected.shape())) {
      return "shape " + actual.shape() + ", expected " + expected.shape();
    }
    if (actual.type() != expected.type()) {
      return "type " + actual.type() + ", expected " + expected.type();
    }
    for (int i = 0; i < expected.size(); i++) {
      double a = actual.getFloat(i);
      double b = expected.getFloat(i);
      if (!(Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b)))) {
        return "element " + i + " is " + a + ", expected " + b;
      }
    }
    return null;
  }
}
