package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.onnx.UnsupportedDataTypeException;
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
import org.junit.jupiter.api.Test;

/**
 * ONNX's own backend test cases (../shared/onnx-backend-tests) on the PyTorch backend: each model
 * is imported into the IR, written as TorchScript, run by libtorch, and compared with the outputs
 * stored next to it, which neither quantkit nor PyTorch computed. A case is unsupported when the
 * import raises UnsupportedOpException / UnsupportedDataTypeException or the TorchScript
 * translation raises UnsupportedOpException; anything else that goes wrong fails the test.
 * (Stands in for the backend conformance kit until it lands.)
 */
class OnnxCasesOnPyTorchTest {
  private static final double TOLERANCE = 1e-4;

  /** The cases the reference executor and ONNX Runtime run (OnnxBackendSuiteTest): PyTorch must run them too. */
  private static final List<String> REQUIRED_PREFIXES = List.of(
      "test_Conv1d", "test_Conv2d", "test_Conv3d", "test_BatchNorm", "test_AvgPool2d", "test_AvgPool3d", "test_MaxPool",
      "test_Linear", "test_ReLU", "test_Softmax", "test_softmax_");
  private static final List<String> REQUIRED_CASES = List.of(
      "test_operator_conv", "test_operator_maxpool", "test_operator_flatten", "test_operator_view", "test_operator_concat2",
      "test_operator_permute2", "test_operator_clip", "test_operator_mm", "test_operator_addmm", "test_PixelShuffle");

  static Path suiteRoot() {
    return Path.of(System.getProperty("quantkit.shared", "../../shared"), "onnx-backend-tests");
  }

  @Test
  void runsOnnxBackendCases() throws IOException {
    PyTorchBackend backend = new PyTorchBackend();
    List<Path> cases = new ArrayList<>();
    for (String group : List.of("pytorch-converted", "pytorch-operator")) {
      try (Stream<Path> s = Files.list(suiteRoot().resolve(group))) {
        s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().forEach(cases::add);
      }
    }
    assertTrue(cases.size() > 100, "expected the ONNX backend test cases under " + suiteRoot() + ", found " + cases.size());
    TreeSet<String> passed = new TreeSet<>();
    TreeSet<String> unsupported = new TreeSet<>();
    List<String> failures = new ArrayList<>();
    for (Path dir : cases) {
      String name = dir.getFileName().toString();
      try {
        String outcome = runCase(backend, dir);
        if (outcome == null) {
          passed.add(name);
        } else if (outcome.startsWith("unsupported: ")) {
          unsupported.add(name + " (" + outcome.substring(13) + ")");
        } else {
          failures.add(name + ": " + outcome);
        }
      } catch (RuntimeException e) {
        failures.add(name + ": " + e);
      }
    }
    System.out.printf("[pytorch] ONNX backend cases: %d run and matched, %d unsupported, %d failed%n", passed.size(),
        unsupported.size(), failures.size());
    System.out.println("[pytorch] unsupported: " + String.join("; ", unsupported));
    assertTrue(failures.isEmpty(), "mismatches or errors:\n" + String.join("\n", failures));
    List<String> missing = new ArrayList<>();
    for (Path dir : cases) {
      String name = dir.getFileName().toString();
      if ((REQUIRED_PREFIXES.stream().anyMatch(name::startsWith) || REQUIRED_CASES.contains(name)) && !passed.contains(name)) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "required cases that did not run on pytorch");
  }

  /** Null when the case ran and matched; "unsupported: why"; or what went wrong. */
  private static String runCase(PyTorchBackend backend, Path dir) throws IOException {
    Graph g;
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    List<Tensor> expected = new ArrayList<>();
    try {
      g = OnnxModel.load(dir.resolve("model.onnx"));
      Path data = dir.resolve("test_data_set_0");
      List<Path> in = files(data, "input_");
      if (in.size() != g.inputs().size()) {
        return "graph has " + g.inputs().size() + " inputs, test data " + in.size();
      }
      for (int i = 0; i < in.size(); i++) {
        inputs.put(g.inputs().get(i).name(), OnnxModel.loadTensor(in.get(i)));
      }
      for (Path p : files(data, "output_")) {
        expected.add(OnnxModel.loadTensor(p));
      }
    } catch (UnsupportedOpException e) {
      return "unsupported: " + e.opType();
    } catch (UnsupportedDataTypeException e) {
      return "unsupported: data type " + e.onnxDataType();
    }
    Runner runner;
    try {
      runner = backend.compile(g, RunnerOptions.builder().threads(1).build());
    } catch (UnsupportedOpException e) {
      return "unsupported: pytorch lacks " + e.opType() + ": " + e.getMessage();
    }
    try (Runner r = runner) {
      Map<String, Tensor> out = r.run(inputs);
      if (expected.size() != g.outputs().size()) {
        return "graph has " + g.outputs().size() + " outputs, test data " + expected.size();
      }
      for (int i = 0; i < expected.size(); i++) {
        String diff = compare(out.get(g.outputs().get(i)), expected.get(i));
        if (diff != null) {
          return "output " + i + ": " + diff;
        }
      }
    }
    return null;
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
  private static String compare(Tensor actual, Tensor expected) {
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
