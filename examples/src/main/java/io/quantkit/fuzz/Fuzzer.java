package io.quantkit.fuzz;

import com.google.common.base.Preconditions;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.QuantizationResult;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Seeded mutation fuzzing of every input format quantkit reads. Each case takes a valid seed file
 * of the format (the shared ResNet8 and CIFAR-10 data, and files derived from them), mutates it
 * ({@link ByteMutations}, {@link JsonMutations}, {@link OnnxMutations}, {@link H5Mutations},
 * {@link FolderMutations}), and runs it through what the CLI does with such a file: load, run,
 * write the result atomically, read the result back.
 *
 * <p>The oracle: every case ends, within the time bound, either in a valid result or in a
 * {@link QuantkitException} (a typed error with a one-line message); and a failed case leaves no
 * file, whole or partial, in its output folder. Anything else (another exception, an
 * {@link Error}, a timeout, a multi-line message, a leftover file) is a failure with the case
 * number, the mutation and the message, and {@code --seed S} plus the case number reproduce it.
 *
 * <p>Library code: it prints nothing and returns a {@link Report}. Not thread-safe: one run at
 * a time per instance.
 */
public final class Fuzzer {

  /** The input formats, by the name the CLI uses. */
  public enum Format {
    H5("Keras .h5 model"),
    ONNX(".onnx model"),
    PLAN("QuantPlan JSON (quantize --from-plan)"),
    REPORT("accuracy report JSON (eval --baseline)"),
    CIFAR("CIFAR-10 binary batch"),
    IMAGES("image folder");

    private final String description;

    Format(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }

    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Format parse(String name) {
      for (Format f : values()) {
        if (f.cliName().equalsIgnoreCase(name)) {
          return f;
        }
      }
      throw new IllegalArgumentException("no fuzz format '" + name + "'; formats: h5, onnx, plan, report, cifar, images");
    }
  }

  /** One case: its number, outcome class, the mutation applied and the message (if any). */
  public record Failure(int index, String outcome, String mutation, String message) {}

  /** What a run over one format found; {@code cases} lists every case, {@code failures} the failed ones. */
  public record Report(Format format, long seed, int first, int count, Map<String, Integer> outcomes,
      List<Failure> failures, List<Failure> cases, long millis, long slowestCaseMillis) {

    /** True when every case ended in a valid result or a typed rejection and left no partial file. */
    public boolean passed() {
      return failures.isEmpty();
    }

    public int valid() {
      return outcomes.entrySet().stream().filter(e -> e.getKey().startsWith(VALID)).mapToInt(Map.Entry::getValue).sum();
    }

    public int rejected() {
      return outcomes.entrySet().stream().filter(e -> e.getKey().startsWith(REJECTED)).mapToInt(Map.Entry::getValue).sum();
    }
  }

  static final String VALID = "valid";
  static final String REJECTED = "rejected ";
  static final String FAILED = "FAILED ";
  /** Largest input tensor a smoke run builds; bigger declared inputs are valid but not run. */
  private static final long MAX_SMOKE_ELEMENTS = 1L << 22;

  private final long seed;
  private final int first;
  private final int count;
  private final Duration timeout;
  private final QuantkitHome home;
  private final Path workDir;
  private final Path keepFailures;
  private final Seeds seeds;

  private Fuzzer(Builder b) {
    this.seed = b.seed;
    this.first = b.first;
    this.count = b.count;
    this.timeout = b.timeout;
    this.home = b.home;
    this.workDir = b.workDir;
    this.keepFailures = b.keepFailures;
    this.seeds = new Seeds();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs {@code count} cases of {@code format}, from case {@code first}. */
  public Report run(Format format) throws IOException {
    Path root = Files.createDirectories(workDir);
    Path run = Files.createTempDirectory(root, "fuzz-" + format.cliName() + "-");
    Map<String, Integer> outcomes = new TreeMap<>();
    List<Failure> failures = new ArrayList<>();
    List<Failure> cases = new ArrayList<>();
    long start = System.nanoTime();
    long slowest = 0;
    ExecutorService exec = newExecutor();
    try {
      seeds.prepare(format, run.resolve("seed"));
      for (int i = first; i < first + count; i++) {
        Path caseDir = run.resolve("case-" + i);
        Random random = new Random(mix(seed, format.ordinal(), i));
        long t0 = System.nanoTime();
        String mutation;
        String outcome;
        String message = "";
        try {
          Files.createDirectories(caseDir.resolve("out"));
          mutation = mutate(format, caseDir.resolve("in"), random);
        } catch (IOException | RuntimeException e) {
          mutation = "(the mutation itself failed)";
          outcome = FAILED + "harness: " + e;
          record(outcomes, failures, cases, i, outcome, mutation, String.valueOf(e));
          continue;
        }
        int index = i;
        Future<Throwable> result = exec.submit(() -> {
          try {
            pipeline(format, caseDir.resolve("in"), caseDir.resolve("out"), index);
            return null;
          } catch (Throwable t) {
            // Errors too (OutOfMemoryError, StackOverflowError): they are findings, not the harness's end.
            return t;
          }
        });
        Throwable thrown;
        try {
          thrown = result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          result.cancel(true);
          exec.shutdownNow();
          exec = newExecutor();
          record(outcomes, failures, cases, i, FAILED + "timeout (over " + timeout.toSeconds() + " s)", mutation, "");
          keep(format, caseDir, i);
          continue;
        } catch (Exception e) {
          thrown = e;
        }
        slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
        if (thrown == null) {
          outcome = VALID;
        } else if (thrown instanceof QuantkitException) {
          message = String.valueOf(thrown.getMessage());
          outcome = message.isBlank() || message.contains("\n") ? FAILED + "message not one line: "
              + thrown.getClass().getSimpleName() : REJECTED + thrown.getClass().getSimpleName();
        } else {
          message = String.valueOf(thrown);
          outcome = FAILED + "untyped " + thrown.getClass().getName() + " at " + where(thrown);
        }
        List<String> left = leftovers(caseDir.resolve("out"), thrown == null);
        if (!left.isEmpty()) {
          outcome = FAILED + (thrown == null ? "temporary files left after success" : "output left after failure");
          message = left + " " + message;
        }
        record(outcomes, failures, cases, i, outcome, mutation, message);
        if (outcome.startsWith(FAILED)) {
          keep(format, caseDir, i);
        }
        deleteQuietly(caseDir);
      }
    } finally {
      exec.shutdownNow();
      deleteQuietly(run);
    }
    return new Report(format, seed, first, count, Collections.unmodifiableMap(outcomes), List.copyOf(failures),
        List.copyOf(cases), (System.nanoTime() - start) / 1_000_000, slowest);
  }

  private static ExecutorService newExecutor() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "quantkit-fuzz-case");
      t.setDaemon(true);
      return t;
    });
  }

  private static void record(Map<String, Integer> outcomes, List<Failure> failures, List<Failure> cases, int i,
      String outcome, String mutation, String message) {
    outcomes.merge(outcome, 1, Integer::sum);
    cases.add(new Failure(i, outcome, mutation, message));
    if (outcome.startsWith(FAILED)) {
      failures.add(new Failure(i, outcome, mutation, message));
    }
  }

  /** The first stack frame of quantkit's own code (or the top frame) where an untyped exception came from. */
  private static String where(Throwable t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().startsWith("io.quantkit.") && !e.getClassName().startsWith("io.quantkit.fuzz.")) {
        return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName() + ":"
            + e.getLineNumber();
      }
    }
    StackTraceElement[] s = t.getStackTrace();
    return s.length == 0 ? "?" : s[0].getClassName() + "." + s[0].getMethodName();
  }

  /** Files in the output folder: none allowed after a failure, no temporary ones after success. */
  private static List<String> leftovers(Path out, boolean succeeded) throws IOException {
    List<String> left = new ArrayList<>();
    try (Stream<Path> files = Files.walk(out)) {
      files.filter(Files::isRegularFile).forEach(f -> {
        String name = f.getFileName().toString();
        if (!succeeded || name.startsWith(".") || name.endsWith(".tmp")) {
          left.add(out.relativize(f).toString());
        }
      });
    }
    return left;
  }

  private void keep(Format format, Path caseDir, int i) {
    if (keepFailures == null) {
      return;
    }
    try {
      Path target = Files.createDirectories(keepFailures.resolve(format.cliName() + "-seed" + seed + "-case" + i));
      try (Stream<Path> files = Files.walk(caseDir.resolve("in"))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Path t = target.resolve(caseDir.resolve("in").relativize(f).toString());
          if (Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(t);
          } else if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.copy(f, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    } catch (IOException e) {
      // Keeping failures is a convenience; the report already names the case and its seed.
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        MoreFiles.deleteRecursively(p, RecursiveDeleteOption.ALLOW_INSECURE);
      }
    } catch (IOException ignored) {
      // A leftover temp folder is harmless.
    }
  }

  /** A well-mixed seed for case {@code i} of a format, so any single case can be rerun alone. */
  static long mix(long seed, int format, int i) {
    long h = seed * 0x9E3779B97F4A7C15L + format * 0xC2B2AE3D27D4EB4FL + i;
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    return h ^ (h >>> 33);
  }

  // ---- mutation: writes the case's input under in/ ----

  private String mutate(Format format, Path in, Random r) throws IOException {
    Files.createDirectories(in);
    switch (format) {
      case H5: {
        ByteMutations.Mutant m = H5Mutations.mutate(seeds.h5, r);
        Files.write(in.resolve("model.h5"), m.bytes());
        return m.what();
      }
      case ONNX: {
        byte[] base = r.nextInt(3) == 0 ? seeds.qdqOnnx : seeds.fp32Onnx;
        ByteMutations.Mutant m = OnnxMutations.mutate(base, r);
        Files.write(in.resolve("model.onnx"), m.bytes());
        return (base == seeds.qdqOnnx ? "qdq: " : "fp32: ") + m.what();
      }
      case PLAN: {
        ByteMutations.Mutant m = JsonMutations.mutate(seeds.planJson, r);
        Files.write(in.resolve("plan.json"), m.bytes());
        return m.what();
      }
      case REPORT: {
        ByteMutations.Mutant m = JsonMutations.mutate(seeds.reportJson, r);
        Files.write(in.resolve("baseline.json"), m.bytes());
        return m.what();
      }
      case CIFAR: {
        Files.write(in.resolve("test_batch.bin"), seeds.cifar);
        return FolderMutations.mutateCifar(in, Cifar10.RECORD_BYTES, r);
      }
      default: {
        Path images = in.resolve("images");
        copyTree(seeds.imageFolder, images);
        return FolderMutations.mutateImages(images, r);
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t);
        }
      }
    }
  }

  // ---- the pipelines: what the CLI does with a file of the format ----

  private void pipeline(Format format, Path in, Path out, int index) throws IOException {
    switch (format) {
      case H5: {
        Graph g = KerasModel.load(in.resolve("model.h5"));
        smokeRun(g, "reference");
        Path onnx = out.resolve("model.onnx");
        OnnxModel.save(g, onnx);
        OnnxModel.load(onnx);
        return;
      }
      case ONNX: {
        Graph g = OnnxModel.load(in.resolve("model.onnx"));
        smokeRun(g, "reference");
        smokeRun(g, "onnx");
        Path onnx = out.resolve("model.onnx");
        OnnxModel.save(g, onnx);
        OnnxModel.load(onnx);
        return;
      }
      case PLAN: {
        QuantPlan plan = QuantPlan.load(in.resolve("plan.json"));
        QuantizationResult q = Qdq.quantize(seeds.resnet8, plan);
        smokeRun(q.graph(), "reference");
        Path onnx = out.resolve("q.onnx");
        Path planOut = out.resolve("q.plan.json");
        OnnxModel.save(q.graph(), onnx);
        q.plan().save(planOut);
        OnnxModel.load(onnx);
        QuantPlan.load(planOut);
        return;
      }
      case REPORT: {
        AccuracyReport base = AccuracyReport.readJson(in.resolve("baseline.json"));
        AccuracyReport r = Evaluation.builder().dataset(seeds.cifarDataset).baseline(base).batchSize(5).build()
            .run(new ReplayRunner(seeds.scores));
        writeAndRead(r, out);
        return;
      }
      case CIFAR: {
        Dataset ds = Cifar10.open(in.resolve("test_batch.bin"));
        evaluate(ds, out);
        return;
      }
      default: {
        Path images = in.resolve("images");
        // Every other case goes through the resizing path (--resize 32x32).
        Dataset ds = index % 2 == 0 ? ImageFolderDataset.open(images)
            : ImageFolderDataset.builder(images).imageSize(32, 32).resize(true).build();
        evaluate(ds, out);
      }
    }
  }

  private static void evaluate(Dataset ds, Path out) {
    try (Runner runner = new ConstantRunner(ds.classNames().size(), ds.imageShape())) {
      writeAndRead(Evaluation.builder().dataset(ds).batchSize(4).build().run(runner), out);
    }
  }

  private static void writeAndRead(AccuracyReport r, Path out) {
    Path file = out.resolve("report.json");
    r.writeJson(file);
    AccuracyReport.readJson(file);
  }

  /** One small batch through a backend, inputs built from the declared shapes (unknown dims = 1). */
  private static void smokeRun(Graph g, String backend) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (ValueInfo vi : g.inputs()) {
      Shape s = vi.shape();
      int[] dims = new int[s.rank()];
      long n = 1;
      for (int d = 0; d < dims.length; d++) {
        dims[d] = s.dim(d) == Shape.UNKNOWN ? 1 : s.dim(d);
        n *= Math.max(0, dims[d]);
      }
      if (n > MAX_SMOKE_ELEMENTS) {
        return;
      }
      inputs.put(vi.name(), filled(vi.type(), Shape.of(dims), (int) n));
    }
    try (Runner r = Backends.named(backend).compile(g, RunnerOptions.builder().threads(1).build())) {
      r.run(inputs);
    }
  }

  private static Tensor filled(DataType type, Shape shape, int n) {
    Random r = new Random(n);
    switch (type) {
      case FLOAT32: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextInt(256);
        }
        return Tensor.wrapFloats(shape, v);
      }
      case INT8:
      case UINT8:
        return Tensor.wrapBytes(type, shape, new byte[n]);
      case INT32:
        return Tensor.wrapInts(shape, new int[n]);
      default:
        return Tensor.ofLongs(shape, new long[n]);
    }
  }

  /** Seed files, made once per fuzzer from the shared model and data. */
  private final class Seeds {
    byte[] h5;
    Graph resnet8;
    byte[] fp32Onnx;
    byte[] qdqOnnx;
    byte[] planJson;
    byte[] reportJson;
    byte[] cifar;
    Dataset cifarDataset;
    Tensor scores;
    Path imageFolder;

    void prepare(Format format, Path dir) throws IOException {
      Files.createDirectories(dir);
      if (h5 == null) {
        Path model = home.resnet8Model();
        h5 = Files.readAllBytes(model);
        resnet8 = KerasModel.load(model);
        fp32Onnx = OnnxModel.toBytes(resnet8);
        byte[] all = Files.readAllBytes(home.cifar10File(Cifar10.TEST_FILE));
        cifar = java.util.Arrays.copyOf(all, 12 * Cifar10.RECORD_BYTES);
      }
      if ((format == Format.PLAN || format == Format.ONNX) && planJson == null) {
        // MinMax on 16 training images on the reference executor: small, quick and the same on every CPU.
        QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).calibSize(16).build()
            .calibrate(resnet8, Cifar10.train(home).limit(16), new ReferenceBackend());
        planJson = plan.toJson().getBytes(StandardCharsets.UTF_8);
        qdqOnnx = OnnxModel.toBytes(Qdq.quantize(resnet8, plan).graph());
      }
      if (format == Format.REPORT && reportJson == null) {
        Path bin = dir.resolve("test_batch.bin");
        Files.write(bin, cifar);
        cifarDataset = Cifar10.open(bin);
        try (Runner ref = new ReferenceBackend().compile(resnet8)) {
          Tensor images = cifarDataset.batch(0, cifarDataset.size()).images();
          scores = ref.run(images);
          reportJson = Evaluation.builder().dataset(cifarDataset).build().run(ref).toJson()
              .getBytes(StandardCharsets.UTF_8);
        }
      }
      if (format == Format.IMAGES) {
        imageFolder = dir.resolve("images");
        Path src = home.cifar10JpegTestDir();
        try (Stream<Path> classes = Files.list(src).sorted().limit(3)) {
          for (Path c : (Iterable<Path>) classes::iterator) {
            Path target = Files.createDirectories(imageFolder.resolve(c.getFileName().toString()));
            try (Stream<Path> files = Files.list(c).sorted().limit(3)) {
              for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, target.resolve(f.getFileName()));
              }
            }
            // One PNG per class, re-encoded from the first JPEG: both decoders are exercised.
            Path firstJpeg;
            try (Stream<Path> jpegs = Files.list(target)) {
              firstJpeg = jpegs.sorted().findFirst().orElseThrow();
            }
            javax.imageio.ImageIO.write(javax.imageio.ImageIO.read(firstJpeg.toFile()), "png",
                target.resolve("png-" + firstJpeg.getFileName() + ".png").toFile());
          }
        }
      }
    }
  }

  /** Zero scores for every image: the evaluation path without the cost of a model. */
  private static final class ConstantRunner implements Runner {
    private final int classes;
    private final Signature signature;

    ConstantRunner(int classes, Shape imageShape) {
      this.classes = classes;
      int[] dims = new int[imageShape.rank() + 1];
      dims[0] = Shape.UNKNOWN;
      for (int d = 0; d < imageShape.rank(); d++) {
        dims[d + 1] = imageShape.dim(d);
      }
      this.signature = Signature.of("constant", List.of(new ValueInfo("images", DataType.FLOAT32, Shape.of(dims))),
          List.of("scores"));
    }

    @Override
    public Graph graph() {
      throw new UnsupportedOperationException("a constant runner has no graph");
    }

    @Override
    public Signature signature() {
      return signature;
    }

    @Override
    public String backendName() {
      return "constant";
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
      int n = inputs.values().iterator().next().shape().dim(0);
      return Map.of("scores", Tensor.wrapFloats(Shape.of(n, classes), new float[n * classes]));
    }

    @Override
    public void close() {}
  }

  /** The reference executor's outputs for the seed images, replayed batch by batch. */
  private static final class ReplayRunner implements Runner {
    private final Tensor scores;
    private int next;

    ReplayRunner(Tensor scores) {
      this.scores = scores;
    }

    @Override
    public Graph graph() {
      throw new UnsupportedOperationException("a replay runner has no graph");
    }

    @Override
    public Signature signature() {
      return Signature.of("replay", List.of(new ValueInfo("images", DataType.FLOAT32, Shape.of(-1, 32, 32, 3))),
          List.of("scores"));
    }

    @Override
    public String backendName() {
      return "replay";
    }

    @Override
    public synchronized Map<String, Tensor> run(Map<String, Tensor> inputs) {
      int n = inputs.values().iterator().next().shape().dim(0);
      if (next + n > scores.shape().dim(0)) {
        next = 0;
      }
      Tensor out = scores.sliceFirstAxis(next, next + n);
      next = (next + n) % scores.shape().dim(0);
      return Map.of("scores", out);
    }

    @Override
    public void close() {}
  }

  /** Options; the shared cache and a temporary work folder by default. */
  public static final class Builder {
    private long seed = 1;
    private int first;
    private int count = 1000;
    private Duration timeout = Duration.ofSeconds(30);
    private QuantkitHome home;
    private Path workDir = Path.of(System.getProperty("java.io.tmpdir"), "quantkit-fuzz");
    private Path keepFailures;

    private Builder() {}

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /** Case numbers run: first .. first + count - 1. */
    public Builder cases(int firstCase, int cases) {
      Preconditions.checkArgument(firstCase >= 0 && cases >= 1, "cases %s from %s", cases, firstCase);
      this.first = firstCase;
      this.count = cases;
      return this;
    }

    /** The time bound of one case. */
    public Builder timeout(Duration value) {
      this.timeout = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder home(QuantkitHome value) {
      this.home = value;
      return this;
    }

    public Builder workDir(Path value) {
      this.workDir = value;
      return this;
    }

    /** Copy the inputs of failing cases here (for a bug report). */
    public Builder keepFailures(Path value) {
      this.keepFailures = value;
      return this;
    }

    public Fuzzer build() {
      if (home == null) {
        home = QuantkitHome.fromEnvironment();
      }
      return new Fuzzer(this);
    }
  }
}
