package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MLPerf Tiny's other reference models through the command line alone, as the README shows them:
 * Visual Wake Words on CIFAR-10 images resized to 96 px and scaled /255, the streaming wake word
 * model on its 45 labelled feature samples (.npz), and the anomaly-detection autoencoder on
 * synthetic log-mel frames (no ToyADMOS data here), measured as regression.
 */
@Tag("integration")
class MlperfTinyCliTest {
  private static final Pattern AGREEMENT = Pattern.compile("(\\d+\\.\\d+) %\\s+(\\d+)\\s+\\S+\\s+\\S+\\s*$", Pattern.MULTILINE);
  private static final Pattern SQNR = Pattern.compile("SQNR (\\d+\\.\\d) dB");
  private static final Pattern TOP1 = Pattern.compile("top-1 (\\d+\\.\\d+) % \\((\\d+)/(\\d+)\\)");

  @TempDir static Path tmp;
  static Path models;

  @BeforeAll
  static void locate() {
    String home = System.getenv("QUANTKIT_HOME");
    Path fromHome = home == null ? null : Path.of(home).toAbsolutePath().getParent().resolve("real-models/mlperf-tiny");
    models = fromHome != null && Files.isDirectory(fromHome) ? fromHome : Path.of("../../shared/real-models/mlperf-tiny");
    Assumptions.assumeTrue(Files.isRegularFile(models.resolve("vww_96.h5")), "MLPerf Tiny models not found at " + models);
  }

  private static CliRun ok(String... args) {
    CliRun r = CliRun.of(args);
    assertEquals(0, r.exit(), () -> String.join(" ", args) + "\n" + r.out() + r.err());
    return r;
  }

  @Test
  void visualWakeWordsAgreesWithFp32OnCifarImagesResizedAndScaled() {
    String vww = models.resolve("vww_96.h5").toString();
    String qdq = tmp.resolve("vww.qdq.onnx").toString();
    CliRun q = ok("quantize", "--model", vww, "--preset", "unit", "--resize", "96x96", "--calib-size", "200",
        "--calib-backend", "onnx", "--per-channel", "--out", qdq);
    assertTrue(q.out().contains("{resize=96x96,scale=1/255}"), q.out());
    assertTrue(!q.out().contains("no preprocessing stated"), q.out());
    CliRun c = ok("compare", "--model", vww, "--backends", "onnx,onnx@" + qdq, "--preset", "unit", "--resize", "96x96",
        "--no-labels");
    Matcher m = AGREEMENT.matcher(c.out());
    assertTrue(m.find(), c.out());
    int differ = Integer.parseInt(m.group(2));
    // the issue's bar: >= 97 % of 1,000 images (the README shows 5 differ per-channel, 8 per-tensor)
    assertTrue(differ <= 30, c.out());
    // CIFAR-10's ten labels do not fit VWW's two outputs: an error, not a meaningless top-1
    CliRun bad = CliRun.of("compare", "--model", vww, "--backends", "onnx,onnx@" + qdq, "--preset", "unit", "--resize", "96x96",
        "--limit", "8");
    assertEquals(1, bad.exit(), bad.out() + bad.err());
    assertTrue(bad.err().contains("labels do not fit"), bad.err());
    // the QDQ model carries its preprocessing: eval without flags uses it
    CliRun e = CliRun.of("eval", "--model", qdq, "--backend", "onnx", "--limit", "4");
    assertTrue(e.err().contains("preprocessing recorded in the model: resize=96x96,scale=1/255"), e.err());
  }

  @Test
  void calibratingVwwOnRawPixelsWarnsWithTheRange() {
    CliRun q = ok("quantize", "--model", models.resolve("vww_96.h5").toString(), "--resize", "96x96", "--calib-size", "8",
        "--calib-backend", "onnx", "--out", tmp.resolve("raw.qdq.onnx").toString());
    assertTrue(q.out().contains("warning: no preprocessing stated") && q.out().contains("values 0..255"), q.out());
  }

  @Test
  void streamingWakeWordKeepsItsAccuracyOnItsLabelledSamples() {
    String model = models.resolve("str_ww_ref_model.h5").toString();
    String npz = models.resolve("str_ww_calibration_samples.npz").toString();
    String qdq = tmp.resolve("strww.qdq.onnx").toString();
    ok("quantize", "--model", model, "--arrays", npz, "--per-channel", "--out", qdq);
    Matcher fp32 = TOP1.matcher(ok("eval", "--model", model, "--backend", "onnx", "--arrays", npz).out());
    Matcher int8 = TOP1.matcher(ok("eval", "--model", qdq, "--backend", "onnx", "--arrays", npz).out());
    assertTrue(fp32.find() && int8.find());
    assertEquals("45", fp32.group(3));
    int f = Integer.parseInt(fp32.group(2));
    int i = Integer.parseInt(int8.group(2));
    // README: 41 of 45 both; a sample or two may move on another CPU
    assertTrue(f >= 39 && Math.abs(f - i) <= 2, fp32.group() + " vs " + int8.group());
  }

  @Test
  void anomalyDetectionAutoencoderIsMeasuredAsRegression() throws IOException {
    Path npz = syntheticLogMel(tmp.resolve("ad01_synthetic.npz"), 300);
    String model = models.resolve("ad01.h5").toString();
    String qdq = tmp.resolve("ad01.qdq.onnx").toString();
    ok("quantize", "--model", model, "--arrays", npz.toString(), "--per-channel", "--out", qdq);
    CliRun c = ok("compare", "--model", model, "--backends", "onnx,onnx@" + qdq, "--arrays", npz.toString(),
        "--report", tmp.resolve("ad01.json").toString());
    Matcher m = SQNR.matcher(c.out());
    assertTrue(m.find(), c.out());
    assertTrue(Double.parseDouble(m.group(1)) >= 25, c.out());
    assertTrue(Files.readString(tmp.resolve("ad01.json")).contains("quantkit.regression-report/1"));
    // the same model forced to classify: its output is its input's shape, so labels make no sense
    CliRun e = CliRun.of("eval", "--model", model, "--arrays", npz.toString(), "--task", "classify", "--limit", "4");
    assertEquals(1, e.exit(), e.out() + e.err());
  }

  /**
   * {@code n} frames of 5 x 128 log-mel values: a spectrum falling from -20 dB to -60 dB across the
   * mel bins, a per-sample level (sd 5 dB) and per-value noise (sd 3 dB), seeded. Float32 [n, 640].
   */
  static Path syntheticLogMel(Path file, int n) throws IOException {
    Random r = new Random(0);
    ByteBuffer data = ByteBuffer.allocate(n * 640 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      double level = 5 * r.nextGaussian();
      for (int t = 0; t < 5; t++) {
        for (int mel = 0; mel < 128; mel++) {
          data.putFloat((float) (-20 - 40.0 * mel / 127 + level + 3 * r.nextGaussian()));
        }
      }
    }
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ", 640), }";
    header = header + " ".repeat((64 - (10 + header.length() + 1) % 64) % 64) + "\n";
    try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry("input_1.npy"));
      zip.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
      zip.write(header.getBytes(StandardCharsets.ISO_8859_1));
      zip.write(data.array());
      zip.closeEntry();
    }
    return file;
  }
}
