package io.quantkit.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
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
 * ONNX's own backend test cases (pytorch-converted, pytorch-operator) on the tf backend, against
 * the outputs stored with them, which neither quantkit nor TensorFlow computed. A case is
 * "unsupported" when the ONNX import has no IR form for it (UnsupportedOpException /
 * UnsupportedDataTypeException) or the tf backend declines it at compile time; anything else that
 * goes wrong fails. Every case the reference executor runs must run here too.
 */
class OnnxBackendCasesTest {
  private static final double TOLERANCE = 1e-4;

  static Path suiteRoot() {
    return Path.of(System.getProperty("quantkit.shared", "../../shared"), "onnx-backend-tests");
  }

  @Test
  void runsEveryCaseTheReferenceExecutorRuns() throws IOException {
    List<Path> cases = new ArrayList<>();
    for (String group : List.of("pytorch-converted", "pytorch-operator")) {
      try (Stream<Path> s = Files.list(suiteRoot().resolve(group))) {
        s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().forEach(cases::add);
      }
    }
    assertTrue(cases.size() > 100, "expected the ONNX backend test cases under " + suiteRoot() + ", found " + cases.size());
    Backend tf = Backends.named("tf");
    Backend reference = Backends.named("reference");
    TreeSet<String> passed = new TreeSet<>();
    TreeSet<String> unsupported = new TreeSet<>();
    List<String> failures = new ArrayList<>();
    List<String> referenceOnly = new ArrayList<>();
    for (Path dir : cases) {
      String name = dir.getFileName().toString();
      try {
        String outcome = runCase(tf, dir);
        if (outcome == null) {
          passed.add(name);
        } else if (outcome.startsWith("unsupported: ")) {
          unsupported.add(name + " (" + outcome.substring(13) + ")");
          if (runCase(reference, dir) == null) {
            referenceOnly.add(name);
          }
        } else {
          failures.add(name + ": " + outcome);
        }
      } catch (RuntimeException e) {
        failures.add(name + ": " + e);
      }
    }
    System.out.printf("[tf] ONNX backend cases: %d run and matched, %d unsupported, %d failed%n", passed.size(),
        unsupported.size(), failures.size());
    System.out.println("[tf] unsupported: " + String.join("; ", unsupported));
    assertTrue(failures.isEmpty(), "mismatches or errors:\n" + String.join("\n", failures));
    assertEquals(List.of(), referenceOnly, "cases the reference executor runs but the tf backend does not");
  }

  /** Null when the outputs match; "unsupported: why" or a failure description otherwise. */
  private static String runCase(Backend backend, Path dir) throws IOException {
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
      return "unsupported: data type";
    }
    Runner runner;
    try {
      runner = backend.compile(g, RunnerOptions.builder().threads(1).build());
    } catch (UnsupportedOpException e) {
      return "unsupported: " + backend.name() + " lacks " + e.opType() + ": " + e.getMessage();
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
