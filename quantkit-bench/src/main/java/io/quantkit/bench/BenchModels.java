package io.quantkit.bench;

import com.google.common.collect.ImmutableList;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.ir.passes.ConvChannelPadding;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.QuantPlan;
import io.quantkit.quant.Qdq;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The model files and input batches every benchmark reads, JVM and native alike, so all of them run
 * the same .onnx bytes on the same pixels.
 *
 * <ul>
 *   <li>{@code resnet8-fp32.onnx}: the MLPerf Tiny ResNet8 imported from Keras, exported by
 *       {@link OnnxModel#toBytes(Graph)}: byte for byte what the ONNX Runtime backend hands ORT.
 *   <li>{@code resnet8-int8.qdq.onnx}: its QDQ model from a {@link QuantPlan}: UINT8 activations,
 *       per-tensor INT8 weights, MinMax, calibrated once on the first 500 training images on the
 *       pure-Java reference executor (as {@code quantize} does by default), so the file is the same
 *       on every CPU and a rerun elsewhere measures the same model.
 *   <li>{@code probe-fp32.onnx}: Flatten -> Gemm(3072 x 10) -> Softmax on the same input and output
 *       shapes: so little work that what quantkit adds to a call is visible beside it.
 *   <li>{@code input-bN.f32}: the first N CIFAR-10 test images, NHWC float32 raw pixels,
 *       little-endian.
 * </ul>
 *
 * <p>Benchmarks find the folder through the system property {@value #DIR_PROPERTY} (default
 * {@code out/bench}, under the working directory) and create what is missing; the driver
 * recreates everything at the start of a run so a cache never outlives the code that wrote it.
 *
 * <p>Instances are immutable; files are written through a temp file and an atomic move, so readers
 * (JMH forks, node) never see half a model.
 */
public final class BenchModels {
  public static final String DIR_PROPERTY = "quantkit.bench.dir";
  public static final int CALIBRATION_IMAGES = 500;
  /** ONNX Runtime's integer direct convolution (MlasConvSym) needs input channels divisible by 4 on x86. */
  public static final int STEM_CHANNEL_MULTIPLE = 4;

  /** Which network: the real one, or the probe for per-call cost. */
  public enum Model {
    RESNET8,
    PROBE;

    public static Model parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT));
    }
  }

  public enum Precision {
    FP32,
    INT8,
    /**
     * The INT8 model with its stem convolution's 3 input channels zero-padded to 4
     * ({@link ConvChannelPadding}): the same outputs, and ONNX Runtime's direct integer convolution
     * for the stem instead of im2col + GEMM.
     */
    INT8_PAD4;

    /** {@code fp32}, {@code int8}, {@code int8-pad4}. */
    public static Precision parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final Path dir;

  private BenchModels(Path dir) {
    this.dir = dir;
  }

  /** The folder named by {@value #DIR_PROPERTY}, or {@code out/bench}. */
  public static BenchModels fromSystemProperty() {
    return at(Path.of(System.getProperty(DIR_PROPERTY, "out/bench")));
  }

  public static BenchModels at(Path dir) {
    return new BenchModels(dir.toAbsolutePath());
  }

  public Path dir() {
    return dir;
  }

  public Path modelFile(Model model, Precision precision) {
    if (model == Model.PROBE && precision != Precision.FP32) {
      throw new IllegalArgumentException("the probe model has only an fp32 variant, not " + precision);
    }
    String name = model == Model.PROBE ? "probe-fp32.onnx"
        : switch (precision) {
          case FP32 -> "resnet8-fp32.onnx";
          case INT8 -> "resnet8-int8.qdq.onnx";
          case INT8_PAD4 -> "resnet8-int8-pad4.qdq.onnx";
        };
    return dir.resolve("models").resolve(name);
  }

  public Path inputFile(int batch) {
    return dir.resolve("models").resolve("input-b" + batch + ".f32");
  }

  /** The model's bytes, writing the file first when it is missing. */
  public byte[] modelBytes(Model model, Precision precision) {
    Path file = modelFile(model, precision);
    try {
      if (!Files.exists(file)) {
        writeAtomically(file, fileBytes(model, precision));
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write benchmark model " + file, e);
    }
  }

  /** The graph of {@link #modelBytes}, as a backend compiles it. */
  public Graph graph(Model model, Precision precision) {
    return OnnxModel.fromBytes(modelBytes(model, precision), sourceName(model, precision));
  }

  /**
   * The INT8 model with its first convolution (3 input channels) kept FP32, as {@code quantize
   * --exclude <first conv>} makes it: what ONNX Runtime's per-op profile compares with, to show
   * whether leaving the stem in FP32 would lift INT8 / FP32. Written when missing, like the others.
   */
  public byte[] stemFp32ModelBytes() {
    Path file = dir.resolve("models").resolve("resnet8-int8-stemfp32.qdq.onnx");
    try {
      if (!Files.exists(file)) {
        Graph fp32 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
        String stem = fp32.nodes().stream().filter(n -> n.op() instanceof Op.Conv).findFirst()
            .orElseThrow(() -> new IllegalStateException("ResNet8 has no convolution")).name();
        QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).calibSize(CALIBRATION_IMAGES)
            .excludeNodes(List.of(stem)).build().calibrate(fp32, Cifar10.train().limit(CALIBRATION_IMAGES), calibrationBackend());
        writeAtomically(file, OnnxModel.toBytes(Qdq.quantize(fp32, plan).graph()));
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write benchmark model " + file, e);
    }
  }

  /** The first {@code batch} CIFAR-10 test images as NHWC float32, writing the file when missing. */
  public Tensor input(int batch) {
    Path file = inputFile(batch);
    try {
      if (!Files.exists(file)) {
        Tensor images = Cifar10.test().batch(0, batch).images();
        ByteBuffer raw = ByteBuffer.allocate(images.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(images.floatBuffer());
        writeAtomically(file, raw.array());
      }
      ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
      FloatBuffer floats = raw.asFloatBuffer();
      float[] v = new float[floats.remaining()];
      floats.get(v);
      return Tensor.wrapFloats(Shape.of(batch, Cifar10.HEIGHT, Cifar10.WIDTH, Cifar10.CHANNELS), v);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write benchmark input " + file, e);
    }
  }

  /** (Re)writes every model file and the inputs for {@code batches}. */
  public void prepare(List<Integer> batches) {
    try {
      for (Model m : Model.values()) {
        for (Precision p : m == Model.PROBE ? List.of(Precision.FP32) : List.of(Precision.values())) {
          writeAtomically(modelFile(m, p), fileBytes(m, p));
        }
      }
      for (int b : batches) {
        Files.deleteIfExists(inputFile(b));
        input(b);
      }
      Files.deleteIfExists(dir.resolve("models").resolve("resnet8-int8-stemfp32.qdq.onnx"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the benchmark models under " + dir, e);
    }
  }

  /**
   * The bytes ONNX Runtime gets from quantkit's backend for the graph read from this file: importing
   * records the source in the graph's metadata, which the exporter writes out, so the file holds
   * the export of the imported graph (a fixed point: importing and exporting it again gives the
   * same bytes, which {@link RunnerBenchmark} checks).
   */
  private byte[] fileBytes(Model model, Precision precision) {
    // The padded model derives from the INT8 file (written first by prepare): one calibration, and
    // the two files differ by the padding alone.
    Graph graph = precision == Precision.INT8_PAD4 ? ConvChannelPadding.apply(graph(model, Precision.INT8), STEM_CHANNEL_MULTIPLE)
        : build(model, precision);
    byte[] first = OnnxModel.toBytes(graph);
    return OnnxModel.toBytes(OnnxModel.fromBytes(first, sourceName(model, precision)));
  }

  /** A name without the folder, so the bytes do not depend on where the files live. */
  private String sourceName(Model model, Precision precision) {
    return modelFile(model, precision).getFileName().toString();
  }

  static Graph build(Model model, Precision precision) {
    if (model == Model.PROBE) {
      return probe();
    }
    Graph fp32 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
    if (precision == Precision.FP32) {
      return fp32;
    }
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).calibSize(CALIBRATION_IMAGES).build()
        .calibrate(fp32, Cifar10.train().limit(CALIBRATION_IMAGES), calibrationBackend());
    return Qdq.quantize(fp32, plan).graph();
  }

  /** Java float arithmetic in one fixed order: the same plan, hence the same .qdq.onnx, on every CPU. */
  private static io.quantkit.backend.Backend calibrationBackend() {
    return new ReferenceBackend();
  }

  /** ResNet8's input and output contract around almost no work (fixed seed, so every file is the same). */
  static Graph probe() {
    Random r = new Random(12);
    float[] w = new float[3072 * 10];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 1e-3);
    }
    Graph.Builder b = Graph.builder("probe");
    b.input(new ValueInfo("input_1", DataType.FLOAT32, Shape.of(-1, 32, 32, 3)));
    b.initializer("dense_w", Tensor.wrapFloats(Shape.of(3072, 10), w));
    b.initializer("dense_b", Tensor.wrapFloats(Shape.of(10), new float[10]));
    b.node(Node.of("flatten", new Op.Flatten(1), ImmutableList.of("input_1"), ImmutableList.of("flat")));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), ImmutableList.of("flat", "dense_w", "dense_b"),
        ImmutableList.of("logits")));
    b.node(Node.of("softmax", new Op.Softmax(-1), ImmutableList.of("logits"), ImmutableList.of("probs")));
    b.output("probs");
    return b.build();
  }

  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
