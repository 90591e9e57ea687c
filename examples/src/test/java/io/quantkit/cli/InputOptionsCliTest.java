package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The input flags on small models that are not ResNet8: an NCHW classifier exported with batch 1
 * (as ONNX zoo models are), fed CIFAR-10 images with the torchvision preset, and a two-input model
 * fed from an .npz.
 */
class InputOptionsCliTest {
  @TempDir static Path dir;
  static Path nchw;
  static Path twoInputs;
  static Path grayModel;
  static Path npz;

  @BeforeAll
  static void models() throws IOException {
    Random r = new Random(3);
    float[] w = new float[3 * 32 * 32 * 10];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.02);
    }
    Graph g = Graph.builder("nchw_linear")
        .input(new ValueInfo("pixels", DataType.FLOAT32, Shape.of(1, 3, 32, 32)))
        .initializer("w", Tensor.wrapFloats(Shape.of(3072, 10), w))
        .initializer("b", Tensor.wrapFloats(Shape.of(10), new float[10]))
        .node(Node.of("flatten", new Op.Flatten(1), List.of("pixels"), List.of("flat")))
        .node(Node.of("fc", new Op.Gemm(1, 1, false, false), List.of("flat", "w", "b"), List.of("logits")))
        .output("logits").build();
    nchw = dir.resolve("nchw.onnx");
    OnnxModel.save(g, nchw);

    float[] wg = new float[28 * 28 * 10];
    for (int i = 0; i < wg.length; i++) {
      wg[i] = (float) (r.nextGaussian() * 0.02);
    }
    Graph gray = Graph.builder("gray_linear")
        .input(new ValueInfo("digit", DataType.FLOAT32, Shape.of(-1, 28, 28, 1)))
        .initializer("w", Tensor.wrapFloats(Shape.of(784, 10), wg))
        .initializer("b", Tensor.wrapFloats(Shape.of(10), new float[10]))
        .node(Node.of("flatten", new Op.Flatten(1), List.of("digit"), List.of("flat")))
        .node(Node.of("fc", new Op.Gemm(1, 1, false, false), List.of("flat", "w", "b"), List.of("logits")))
        .output("logits").build();
    grayModel = dir.resolve("gray.onnx");
    OnnxModel.save(gray, grayModel);

    float[] w2 = new float[4 * 3];
    for (int i = 0; i < w2.length; i++) {
      w2[i] = (float) r.nextGaussian();
    }
    Graph two = Graph.builder("two_inputs")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(-1, 4)))
        .input(new ValueInfo("b", DataType.FLOAT32, Shape.of(-1, 4)))
        .initializer("w", Tensor.wrapFloats(Shape.of(4, 3), w2))
        .initializer("bias", Tensor.wrapFloats(Shape.of(3), new float[3]))
        .node(Node.of("add", new Op.Add(), List.of("a", "b"), List.of("s")))
        .node(Node.of("fc", new Op.Gemm(1, 1, false, false), List.of("s", "w", "bias"), List.of("y")))
        .output("y").build();
    twoInputs = dir.resolve("two.onnx");
    OnnxModel.save(two, twoInputs);

    int n = 40;
    float[] a = new float[n * 4];
    float[] b = new float[n * 4];
    long[] labels = new long[n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian();
      b[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      labels[i] = i % 3;
    }
    npz = dir.resolve("two.npz");
    // archive order b, a: the arrays go to the inputs by name
    writeNpz(npz, Map.of("b", f4(new int[] {n, 4}, b)), Map.of("a", f4(new int[] {n, 4}, a)),
        Map.of("labels", i8(labels)));
  }

  @Test
  void anNchwBatchOneOnnxModelRunsOnImagesWithTheTorchPreset() {
    CliRun e = CliRun.of("eval", "--model", nchw.toString(), "--backend", "onnx", "--preset", "torch", "--limit", "20",
        "--batch-size", "8");
    assertEquals(0, e.exit(), e.err());
    assertTrue(e.out().contains("{scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,nchw}"), e.out());
    assertTrue(e.out().contains("20 samples"), e.out());
    Path qdq = dir.resolve("nchw.qdq.onnx");
    CliRun q = CliRun.of("quantize", "--model", nchw.toString(), "--preset", "torch", "--calib-size", "10", "--out", qdq.toString(),
        "--plan", dir.resolve("nchw.plan.json").toString());
    assertEquals(0, q.exit(), q.err());
    CliRun c = CliRun.of("compare", "--model", nchw.toString(), "--backends", "reference,onnx,onnx@" + qdq, "--preset", "torch",
        "--limit", "16");
    assertEquals(0, c.exit(), c.err());
    assertTrue(c.out().contains("100.00 %"), "reference and ONNX Runtime agree on FP32: " + c.out());
    assertTrue(readString(dir.resolve("nchw.plan.json")).contains("\"preprocessing\" : \"scale=1/255,mean=0.485/0.456/0.406,"
        + "std=0.229/0.224/0.225,nchw\""), readString(dir.resolve("nchw.plan.json")));
    // without flags, a model trained on who-knows-what gets the warning with the range
    CliRun raw = CliRun.of("quantize", "--model", nchw.toString(), "--calib-size", "4", "--out", dir.resolve("raw.onnx").toString());
    assertEquals(0, raw.exit(), raw.err());
    assertTrue(raw.out().contains("warning: no preprocessing stated") && raw.out().contains("values 0..255"), raw.out());
  }

  @Test
  void aOneChannelModelGetsLuminance() {
    CliRun e = CliRun.of("eval", "--model", grayModel.toString(), "--preset", "unit", "--resize", "28x28", "--limit", "8");
    assertEquals(0, e.exit(), e.err());
    assertTrue(e.out().contains("{resize=28x28,scale=1/255,gray}"), e.out());
  }

  @Test
  void aTwoInputModelTakesNamedArraysFromAnNpz() {
    CliRun e = CliRun.of("eval", "--model", twoInputs.toString(), "--arrays", npz.toString(), "--batch-size", "16");
    assertEquals(0, e.exit(), e.err());
    assertTrue(e.out().contains("40 samples"), e.out());
    Path qdq = dir.resolve("two.qdq.onnx");
    CliRun q = CliRun.of("quantize", "--model", twoInputs.toString(), "--arrays", npz.toString(), "--out", qdq.toString());
    assertEquals(0, q.exit(), q.err());
    // --calib-data takes the arrays as well, and --data for eval
    CliRun q2 = CliRun.of("quantize", "--model", twoInputs.toString(), "--calib-data", npz.toString(), "--out",
        dir.resolve("two2.qdq.onnx").toString());
    assertEquals(0, q2.exit(), q2.err());
    assertTrue(q2.out().contains("40 images of two.npz") || q2.out().contains("40 samples"), q2.out());
    CliRun e2 = CliRun.of("eval", "--model", twoInputs.toString(), "--data", npz.toString());
    assertEquals(0, e2.exit(), e2.err());
    CliRun c = CliRun.of("compare", "--model", twoInputs.toString(), "--backends", "reference,onnx@" + qdq, "--arrays",
        npz.toString(), "--task", "regress");
    assertEquals(0, c.exit(), c.err());
    assertTrue(c.out().contains("output y: SQNR"), c.out());
  }

  @Test
  void badInputFlagsAreOneLine() {
    CliRun preset = CliRun.of("eval", "--model", nchw.toString(), "--preset", "imagenet", "--limit", "2");
    assertEquals(1, preset.exit());
    assertTrue(preset.err().contains("unknown preprocessing preset 'imagenet'"), preset.err());
    CliRun both = CliRun.of("eval", "--model", twoInputs.toString(), "--arrays", npz.toString(), "--scale", "1/255");
    assertEquals(1, both.exit());
    assertTrue(both.err().contains("do not apply"), both.err());
    CliRun missing = CliRun.of("eval", "--model", twoInputs.toString(), "--arrays", dir.resolve("nope.npz").toString());
    assertEquals(1, missing.exit());
    assertTrue(missing.err().contains("nope.npz"), missing.err());
    CliRun layout = CliRun.of("eval", "--model", nchw.toString(), "--layout", "chw", "--limit", "2");
    assertEquals(1, layout.exit());
    assertTrue(layout.err().contains("--layout must be nhwc or nchw"), layout.err());
    CliRun labels = CliRun.of("eval", "--model", twoInputs.toString(), "--arrays", npz.toString(), "--labels-key", "y");
    assertEquals(1, labels.exit());
    assertTrue(labels.err().contains("no array 'y'"), labels.err());
  }

  private static String readString(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] f4(int[] shape, float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return npy("<f4", "(" + shape[0] + ", " + shape[1] + ")", b.array());
  }

  private static byte[] i8(long[] v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    return npy("<i8", "(" + v.length + ",)", b.array());
  }

  private static byte[] npy(String descr, String shape, byte[] data) {
    String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    header = header + " ".repeat((64 - (10 + header.length() + 1) % 64) % 64) + "\n";
    ByteBuffer out = ByteBuffer.allocate(10 + header.length() + data.length);
    out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
    out.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
    return out.array();
  }

  @SafeVarargs
  private static void writeNpz(Path file, Map<String, byte[]>... arrays) throws IOException {
    try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
      for (Map<String, byte[]> one : arrays) {
        for (Map.Entry<String, byte[]> e : one.entrySet()) {
          zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
          zip.write(e.getValue());
          zip.closeEntry();
        }
      }
    }
  }
}
