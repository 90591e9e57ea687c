package io.quantkit.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.common.collect.Sets;
import io.quantkit.BackendException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Capabilities;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.data.Batch;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.onnx.UnsupportedDataTypeException;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantType;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The tests every quantkit {@link Backend} passes, written once. A backend module runs them by
 * extending this class in its tests:
 *
 * <pre>{@code
 * class TfConformanceTest extends BackendConformanceKit {
 *   protected Backend backend() { return Backends.named("tf"); }
 *   protected Set<String> expectedUnsupportedOnnxCases() { return Set.of("test_Conv3d", ...); }
 * }
 * }</pre>
 *
 * with a test-scoped dependency on {@code io.quantkit:quantkit-onnx} of {@code <type>test-jar</type>}
 * (this class lives in quantkit-onnx's tests because the ONNX cases need the ONNX reader), next to
 * the usual {@code quantkit-onnx} dependency and JUnit 5. The tests read {@code ../shared} through
 * the {@code quantkit.shared} system property and {@code QUANTKIT_HOME}, which the parent pom sets.
 *
 * <p>What is checked:
 * <ul>
 *   <li><b>Hand-computed op cases</b> ({@link OpCases}): one or more per IR op, outputs worked out
 *       by hand; floats within {@link #opTolerance()}, integers exactly. Ops the backend does not
 *       run are declared in {@link #expectedUnsupportedOps()}, single cases it refuses (an
 *       attribute value its kernel lacks) in {@link #expectedUnsupportedOpCases()}; for those {@link Backend#check}
 *       must report the node and {@link Backend#compile} must throw {@link UnsupportedOpException}.
 *       The kit also checks that {@link OpCases} covers every op of the IR.
 *   <li><b>Capabilities</b>: {@link Backend#capabilities()} claims exactly the ops not declared
 *       unsupported.
 *   <li><b>ONNX's own backend test cases</b> ({@code ../shared/onnx-backend-tests}): every case is
 *       imported and run; outputs within {@link #onnxCaseTolerance()}. The cases that cannot run
 *       (import or backend lacks an op or type) must be exactly {@link #expectedUnsupportedOnnxCases()}:
 *       a case that starts to run, or stops running, fails the test until the list is updated.
 *   <li><b>ResNet8 FP32</b> (tagged {@code integration}): the Keras ResNet8 on the 1,000 shared
 *       CIFAR-10 test images; top-1 agreement with the reference executor 100 %, max |softmax
 *       difference| at most {@link #resNet8MaxAbsDiff()}.
 *   <li><b>ResNet8 QDQ</b> (tagged {@code integration}): the model quantized (UINT8 activations,
 *       per-tensor weights, MinMax on 200 training images, calibrated on the reference executor);
 *       top-1 agreement with the reference executor's exact QDQ arithmetic at least
 *       {@link #qdqMinAgreement()} (1.0 by default).
 *   <li><b>Runner rules</b>: the signature matches the graph; a runner is reusable across batches
 *       and batch sizes with the same answers; {@link Runner#runScoped} gives what {@link
 *       Runner#run} gives; two runners of one graph are independent; bad inputs are {@link
 *       BackendException}s naming the tensor; closing twice is harmless and a closed runner
 *       refuses to run; when {@link Capabilities#threadSafeRunners()} is claimed, concurrent runs
 *       of one runner give the sequential answers.
 * </ul>
 *
 * <p>Hooks (override as needed; keep the defaults where the backend meets them): {@link
 * #backend()}, {@link #runnerOptions()}, {@link #opTolerance()}, {@link #onnxCaseTolerance()},
 * {@link #expectedUnsupportedOps()}, {@link #expectedUnsupportedOpCases()}, {@link
 * #expectedUnsupportedOnnxCases()}, {@link
 * #resNet8MaxAbsDiff()}, {@link #qdqMinAgreement()}. The class name, these hooks and their
 * defaults are a stable contract for backend modules.
 */
public abstract class BackendConformanceKit {
  private static final int RESNET8_BATCH = 100;
  private static final int QDQ_CALIBRATION_IMAGES = 200;

  /**
   * The ONNX backend test cases quantkit's ONNX importer refuses (an op outside the IR, such as
   * Pad or Tanh, or a DOUBLE tensor), whatever the backend: the default of {@link
   * #expectedUnsupportedOnnxCases()}. An op added to the IR takes its cases off this list, and a
   * backend that does not run the op then lists them itself.
   */
  protected static final Set<String> IMPORTER_UNSUPPORTED_ONNX_CASES = Set.of(
      "test_ConvTranspose2d", "test_ConvTranspose2d_no_bias", "test_ELU", "test_Embedding",
      "test_Embedding_sparse", "test_LogSoftmax", "test_PoissonNLLLLoss_no_reduce", "test_SELU", "test_Softmin",
      "test_Softplus", "test_Softsign", "test_log_softmax_dim3", "test_log_softmax_lastdim",
      "test_operator_add_broadcast", "test_operator_add_size1_broadcast",
      "test_operator_add_size1_right_broadcast", "test_operator_add_size1_singleton_broadcast",
      "test_operator_addconstant", "test_operator_basic", "test_operator_convtranspose", "test_operator_exp",
      "test_operator_max", "test_operator_min", "test_operator_params", "test_operator_pow",
      "test_operator_reduced_sum", "test_operator_reduced_sum_keepdim", "test_operator_repeat",
      "test_operator_repeat_dim_overflow", "test_operator_selu", "test_operator_sqrt",
      "test_operator_symbolic_override", "test_operator_symbolic_override_nested");

  // ---------------------------------------------------------------- hooks

  /** The backend under test. */
  protected abstract Backend backend();

  /** Options for every runner the kit compiles (default: 2 threads, all optimizations). */
  protected RunnerOptions runnerOptions() {
    return RunnerOptions.builder().threads(2).build();
  }

  /** Tolerance of the hand-computed float cases, relative to max(1, |expected|); default 1e-5. */
  protected double opTolerance() {
    return 1e-5;
  }

  /** Tolerance of ONNX's backend test cases, relative to max(1, |expected|); default 1e-4. */
  protected double onnxCaseTolerance() {
    return 1e-4;
  }

  /** IR ops the backend does not run (default: none); their cases must be refused cleanly. */
  protected Set<Class<? extends Op>> expectedUnsupportedOps() {
    return Set.of();
  }

  /**
   * Names of hand-computed {@link OpCases} the backend refuses although it runs the op in general
   * (an attribute value or rank its kernel does not take); default none. As for unsupported ops,
   * {@link Backend#check} must report them and {@link Backend#compile} refuse them.
   */
  protected Set<String> expectedUnsupportedOpCases() {
    return Set.of();
  }

  /**
   * Names of the ONNX backend test cases the backend cannot run, import refusals included;
   * default {@link #IMPORTER_UNSUPPORTED_ONNX_CASES} (the backend runs every case the importer reads).
   */
  protected Set<String> expectedUnsupportedOnnxCases() {
    return IMPORTER_UNSUPPORTED_ONNX_CASES;
  }

  /** Max |softmax difference| to the reference executor on FP32 ResNet8; default 1e-4. */
  protected double resNet8MaxAbsDiff() {
    return 1e-4;
  }

  /** Minimum top-1 agreement with the reference executor on QDQ ResNet8; default 1.0 (every image). */
  protected double qdqMinAgreement() {
    return 1.0;
  }

  // ---------------------------------------------------------------- op cases

  @Test
  void opCasesCoverEveryOpOfTheIr() {
    Set<Class<? extends Op>> covered = new HashSet<>();
    OpCases.all().forEach(c -> covered.add(c.op().getClass()));
    assertEquals(Set.of(), Sets.difference(Op.classes(), covered), "IR ops without a hand-computed case in OpCases");
  }

  @Test
  void capabilitiesClaimExactlyTheSupportedOps() {
    Capabilities caps = backend().capabilities();
    assertEquals(Sets.difference(Op.classes(), expectedUnsupportedOps()), caps.ops(),
        "capabilities().ops() against Op.classes() minus expectedUnsupportedOps()");
  }

  @TestFactory
  Stream<DynamicTest> handComputedOpCases() {
    return OpCases.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> runOpCase(c)));
  }

  private void runOpCase(OpCases.OpCase c) {
    Backend backend = backend();
    boolean unsupported = expectedUnsupportedOps().contains(c.op().getClass()) || expectedUnsupportedOpCases().contains(c.name());
    List<UnsupportedNode> problems = backend.check(c.graph());
    if (unsupported) {
      assertFalse(problems.isEmpty(), backend.name() + ".check() does not report case '" + c + "', declared unsupported");
      assertThrows(UnsupportedOpException.class, () -> backend.compile(c.graph(), runnerOptions()).close());
      return;
    }
    assertEquals(List.of(), problems, "check() of case " + c);
    try (Runner r = backend.compile(c.graph(), runnerOptions())) {
      Tensor y = r.run(c.inputs()).get("y");
      String diff = compare(y, c.expected(), opTolerance());
      assertEquals(null, diff, c.name() + ": got " + y + ", expected " + c.expected());
    }
  }

  /** Null when equal: same type and shape, integers exact, floats within tol * max(1, |expected|). */
  static String compare(Tensor actual, Tensor expected, double tol) {
    if (actual == null) {
      return "missing output";
    }
    if (!actual.shape().equals(expected.shape())) {
      return "shape " + actual.shape() + ", expected " + expected.shape();
    }
    if (actual.type() != expected.type()) {
      return "type " + actual.type() + ", expected " + expected.type();
    }
    boolean exact = expected.type() != DataType.FLOAT32;
    for (int i = 0; i < expected.size(); i++) {
      double a = exact ? actual.getLong(i) : actual.getFloat(i);
      double b = exact ? expected.getLong(i) : expected.getFloat(i);
      boolean ok = exact ? a == b : Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
      if (!ok) {
        return "element " + i + " is " + a + ", expected " + b;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- ONNX backend cases

  static Path onnxSuiteRoot() {
    return Path.of(System.getProperty("quantkit.shared", "../../shared"), "onnx-backend-tests");
  }

  static List<Path> onnxCases() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String group : List.of("pytorch-converted", "pytorch-operator")) {
      try (Stream<Path> s = Files.list(onnxSuiteRoot().resolve(group))) {
        s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().forEach(out::add);
      }
    }
    return out;
  }

  /** How one ONNX backend case went. */
  private record Outcome(Kind kind, String detail) {
    enum Kind { PASSED, UNSUPPORTED, FAILED }

    static Outcome passed() {
      return new Outcome(Kind.PASSED, "");
    }

    static Outcome unsupported(String why) {
      return new Outcome(Kind.UNSUPPORTED, why);
    }

    static Outcome failed(String what) {
      return new Outcome(Kind.FAILED, what);
    }
  }

  @Test
  void onnxBackendTestCases() throws IOException {
    Backend backend = backend();
    List<Path> cases = onnxCases();
    assertTrue(cases.size() > 100, "expected ONNX's backend test cases under " + onnxSuiteRoot() + ", found " + cases.size());
    int passed = 0;
    Map<String, String> unsupported = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    for (Path dir : cases) {
      String name = dir.getFileName().toString();
      Outcome o;
      try {
        o = runOnnxCase(backend, dir);
      } catch (RuntimeException e) {
        o = Outcome.failed(e.toString());
      }
      switch (o.kind()) {
        case PASSED: passed++; break;
        case UNSUPPORTED: unsupported.put(name, o.detail()); break;
        default: failures.add(name + ": " + o.detail());
      }
    }
    System.out.printf("[%s] ONNX backend cases: %d run and matched, %d unsupported, %d failed%n",
        backend.name(), passed, unsupported.size(), failures.size());
    assertTrue(failures.isEmpty(), "mismatches or errors on " + backend.name() + ":\n" + String.join("\n", failures));
    Set<String> actual = new TreeSet<>(unsupported.keySet());
    Set<String> expected = new TreeSet<>(expectedUnsupportedOnnxCases());
    Set<String> newlyUnsupported = new TreeSet<>(Sets.difference(actual, expected));
    Set<String> nowRunning = new TreeSet<>(Sets.difference(expected, actual));
    assertTrue(newlyUnsupported.isEmpty() && nowRunning.isEmpty(), backend.name() + ": unsupported ONNX cases differ from "
        + "expectedUnsupportedOnnxCases().\n  unsupported but not expected: " + describe(newlyUnsupported, unsupported)
        + "\n  expected unsupported but ran: " + nowRunning
        + "\n  the full list, to paste: " + actual.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", ")));
  }

  private static String describe(Set<String> names, Map<String, String> why) {
    List<String> out = new ArrayList<>();
    names.forEach(n -> out.add(n + " (" + why.get(n) + ")"));
    return out.toString();
  }

  private Outcome runOnnxCase(Backend backend, Path dir) throws IOException {
    Graph g;
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    List<Tensor> expected = new ArrayList<>();
    try {
      g = OnnxModel.load(dir.resolve("model.onnx"));
      Path data = dir.resolve("test_data_set_0");
      List<Path> in = files(data, "input_");
      if (in.size() != g.inputs().size()) {
        return Outcome.failed("graph has " + g.inputs().size() + " inputs, test data " + in.size());
      }
      for (int i = 0; i < in.size(); i++) {
        inputs.put(g.inputs().get(i).name(), OnnxModel.loadTensor(in.get(i)));
      }
      for (Path p : files(data, "output_")) {
        expected.add(OnnxModel.loadTensor(p));
      }
    } catch (UnsupportedOpException e) {
      return Outcome.unsupported("import: " + e.opType());
    } catch (UnsupportedDataTypeException e) {
      return Outcome.unsupported("import: ONNX data type " + e.onnxDataType());
    }
    List<UnsupportedNode> problems = backend.check(g);
    if (!problems.isEmpty()) {
      try {
        backend.compile(g, runnerOptions()).close();
        return Outcome.failed("check() reports " + problems + " but compile() accepted the graph");
      } catch (UnsupportedOpException e) {
        return Outcome.unsupported(backend.name() + ": " + problems.get(0).opType());
      }
    }
    if (expected.size() != g.outputs().size()) {
      return Outcome.failed("graph has " + g.outputs().size() + " outputs, test data " + expected.size());
    }
    try (Runner r = backend.compile(g, runnerOptions())) {
      Map<String, Tensor> out = r.run(inputs);
      for (int i = 0; i < expected.size(); i++) {
        String diff = compare(out.get(g.outputs().get(i)), expected.get(i), onnxCaseTolerance());
        if (diff != null) {
          return Outcome.failed("output " + i + ": " + diff);
        }
      }
    } catch (UnsupportedOpException e) {
      return Outcome.failed("compile refused " + e.opType() + " although check() reported nothing: " + e.getMessage());
    }
    return Outcome.passed();
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

  // ---------------------------------------------------------------- ResNet8

  /**
   * The reference executor's answers, computed once per JVM and shared by every backend's kit:
   * FP32 and QDQ graphs of ResNet8 and their outputs on the test images.
   */
  private static final class ResNet8 {
    static ResNet8 instance;

    final Graph fp32;
    final Graph qdq;
    final Dataset test;
    final List<Tensor> fp32Outputs = new ArrayList<>();
    final List<Tensor> qdqOutputs = new ArrayList<>();

    private ResNet8() {
      QuantkitHome home = QuantkitHome.fromEnvironment();
      fp32 = KerasModel.load(home.resnet8Model());
      test = Cifar10.test(home);
      RunnerOptions options = RunnerOptions.builder().threads(2).build();
      Backend reference = new ReferenceBackend();
      QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).perChannelWeights(false)
          .activations(QuantType.UINT8).calibSize(QDQ_CALIBRATION_IMAGES).runnerOptions(options).build()
          .calibrate(fp32, Cifar10.train(home).limit(QDQ_CALIBRATION_IMAGES), reference);
      qdq = Qdq.quantize(fp32, plan).graph();
      try (Runner f = reference.compile(fp32, options); Runner q = reference.compile(qdq, options)) {
        for (int from = 0; from < test.size(); from += RESNET8_BATCH) {
          Tensor images = test.batch(from, Math.min(test.size(), from + RESNET8_BATCH)).images();
          fp32Outputs.add(f.run(images));
          qdqOutputs.add(q.run(images));
        }
      }
    }

    static synchronized ResNet8 get() {
      if (instance == null) {
        instance = new ResNet8();
      }
      return instance;
    }
  }

  /** Top-1 agreement and max |difference| of the backend's outputs against the reference's. */
  private double[] agreement(Graph g, Dataset test, List<Tensor> referenceOutputs) {
    int agree = 0;
    int total = 0;
    double maxDiff = 0;
    try (Runner r = backend().compile(g, runnerOptions())) {
      for (int b = 0, from = 0; from < test.size(); b++, from += RESNET8_BATCH) {
        Batch batch = test.batch(from, Math.min(test.size(), from + RESNET8_BATCH));
        float[] ours = r.run(batch.images()).toFloatArray();
        float[] ref = referenceOutputs.get(b).toFloatArray();
        assertEquals(ref.length, ours.length, "output size of batch " + b);
        int classes = ref.length / batch.size();
        for (int i = 0; i < batch.size(); i++) {
          agree += argmax(ours, i * classes, classes) == argmax(ref, i * classes, classes) ? 1 : 0;
          total++;
        }
        for (int i = 0; i < ref.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
        }
      }
    }
    return new double[] {(double) agree / total, maxDiff, total};
  }

  private static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (v[off + i] > v[off + best]) {
        best = i;
      }
    }
    return best;
  }

  @Test
  @Tag("integration")
  void resNet8Fp32MatchesTheReferenceExecutor() {
    ResNet8 m = ResNet8.get();
    assertEquals(1000, m.test.size(), "the shared test_batch.bin holds the first 1,000 official test images");
    double[] a = agreement(m.fp32, m.test, m.fp32Outputs);
    System.out.printf("[%s] ResNet8 FP32 vs reference on %d images: agreement %.4f, max |diff| %.3g%n", backend().name(),
        (int) a[2], a[0], a[1]);
    assertEquals(1.0, a[0], "top-1 agreement with the reference executor");
    assertTrue(a[1] <= resNet8MaxAbsDiff(), "max |softmax difference| " + a[1] + " > " + resNet8MaxAbsDiff());
  }

  @Test
  @Tag("integration")
  void resNet8QdqMatchesTheReferenceArithmetic() {
    ResNet8 m = ResNet8.get();
    double[] a = agreement(m.qdq, m.test, m.qdqOutputs);
    System.out.printf("[%s] ResNet8 QDQ (uint8, per-tensor, minmax) vs reference on %d images: agreement %.4f, "
        + "max |diff| %.3g%n", backend().name(), (int) a[2], a[0], a[1]);
    assertTrue(a[0] >= qdqMinAgreement(), "top-1 agreement " + a[0] + " with the reference's QDQ arithmetic < "
        + qdqMinAgreement());
  }

  // ---------------------------------------------------------------- runner rules

  /** y = relu(a) + b; a [N, 3], b [1, 3]. */
  private static Graph twoInputs() {
    return Graph.builder("two")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(-1, 3)))
        .input(new ValueInfo("b", DataType.FLOAT32, Shape.of(1, 3)))
        .node(Node.of("relu", new Op.Relu(), List.of("a"), List.of("r")))
        .node(Node.of("add", new Op.Add(), List.of("r", "b"), List.of("y")))
        .output("y")
        .build();
  }

  private static final Tensor B = Tensor.ofFloats(Shape.of(1, 3), 10, 20, 30);

  private static Map<String, Tensor> feed(Tensor a) {
    return Map.of("a", a, "b", B);
  }

  @Test
  void signatureMatchesTheGraph() {
    try (Runner r = backend().compile(twoInputs(), runnerOptions())) {
      assertEquals(Signature.of(twoInputs()), r.signature());
      assertEquals(backend().name(), r.backendName());
    }
  }

  @Test
  void aRunnerIsReusableAcrossBatchesAndBatchSizes() {
    Tensor two = Tensor.ofFloats(Shape.of(2, 3), -1, 2, -3, 4, -5, 6);
    Tensor one = Tensor.ofFloats(Shape.of(1, 3), 5, 0, -5);
    try (Runner r = backend().compile(twoInputs(), runnerOptions())) {
      // hand-computed relu(a) + b
      assertArrayEquals(new float[] {10, 22, 30, 14, 20, 36}, r.run(feed(two)).get("y").toFloatArray());
      assertArrayEquals(new float[] {15, 20, 30}, r.run(feed(one)).get("y").toFloatArray());
      assertArrayEquals(new float[] {10, 22, 30, 14, 20, 36}, r.run(feed(two)).get("y").toFloatArray(), "again");
    }
  }

  @Test
  void runScopedGivesWhatRunGives() {
    Tensor a = Tensor.ofFloats(Shape.of(2, 3), -1, 2, -3, 4, -5, 6);
    try (Runner r = backend().compile(twoInputs(), runnerOptions())) {
      float[][] seen = new float[2][];
      r.runScoped(feed(a), out -> seen[0] = out.get("y").toFloatArray());
      r.runScoped(feed(Tensor.ofFloats(Shape.of(2, 3), 1, 1, 1, -1, -1, -1)), out -> seen[1] = out.get("y").toFloatArray());
      assertArrayEquals(r.run(feed(a)).get("y").toFloatArray(), seen[0]);
      assertArrayEquals(new float[] {11, 21, 31, 10, 20, 30}, seen[1]);
    }
  }

  @Test
  void runnersOfOneGraphAreIndependent() {
    Tensor a = Tensor.ofFloats(Shape.of(1, 3), 1, 2, 3);
    Runner first = backend().compile(twoInputs(), runnerOptions());
    try (Runner second = backend().compile(twoInputs(), runnerOptions())) {
      first.close();
      assertArrayEquals(new float[] {11, 22, 33}, second.run(feed(a)).get("y").toFloatArray(),
          "closing one runner leaves the other working");
    }
  }

  @Test
  void badInputsAreBackendExceptionsNamingTheTensor() {
    try (Runner r = backend().compile(twoInputs(), runnerOptions())) {
      Tensor ok = Tensor.ofFloats(Shape.of(1, 3), 1, 2, 3);
      String msg = assertThrows(BackendException.class, () -> r.run(Map.of("a", ok))).getMessage();
      assertTrue(msg.contains("'b'"), "missing input: " + msg);
      msg = assertThrows(BackendException.class, () -> r.run(Map.of("a", ok, "b", Tensor.ofFloats(Shape.of(1, 4), 1, 2, 3, 4))))
          .getMessage();
      assertTrue(msg.contains("'b'") && msg.contains("[1, 4]"), "wrong shape: " + msg);
      msg = assertThrows(BackendException.class, () -> r.run(Map.of("a", Tensor.ofInts(Shape.of(1, 3), 1, 2, 3), "b", B)))
          .getMessage();
      assertTrue(msg.contains("'a'") && msg.contains("INT32"), "wrong type: " + msg);
      msg = assertThrows(BackendException.class, () -> r.run(Map.of("a", ok, "b", B, "c", B))).getMessage();
      assertTrue(msg.contains("no input 'c'"), "unknown input: " + msg);
      assertEquals(Shape.of(1, 3), r.run(feed(ok)).get("y").shape(), "the runner still works after rejected calls");
    }
  }

  @Test
  void closingTwiceIsHarmlessAndAClosedRunnerRefusesToRun() {
    Runner r = backend().compile(twoInputs(), runnerOptions());
    r.close();
    r.close();
    String msg = assertThrows(BackendException.class, () -> r.run(feed(Tensor.ofFloats(Shape.of(1, 3), 1, 2, 3))))
        .getMessage();
    assertTrue(msg.contains("closed"), msg);
  }

  @Test
  void concurrentRunsOfOneRunnerWhenClaimedThreadSafe() throws Exception {
    assumeTrue(backend().capabilities().threadSafeRunners(), backend().name() + " does not claim thread-safe runners");
    try (Runner r = backend().compile(twoInputs(), runnerOptions())) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<float[]>> results = new ArrayList<>();
        for (int t = 0; t < 64; t++) {
          float v = t;
          results.add(pool.submit(() -> r.run(feed(Tensor.ofFloats(Shape.of(1 + (int) v % 3, 3), fill(1 + (int) v % 3, v))))
              .get("y").toFloatArray()));
        }
        for (int t = 0; t < 64; t++) {
          float[] got = results.get(t).get();
          assertNotNull(got);
          for (int i = 0; i < got.length; i++) {
            assertEquals(Math.max(t, 0) + B.getFloat(i % 3), got[i], 0f, "run " + t);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static float[] fill(int rows, float v) {
    float[] out = new float[rows * 3];
    java.util.Arrays.fill(out, v);
    return out;
  }
}
