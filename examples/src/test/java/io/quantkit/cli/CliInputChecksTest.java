package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantkit.data.QuantkitHome;
import io.quantkit.quant.QuantPlan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The defects a hostile trial of the CLI found (issue 8, items 3-10): each test failed before its
 * fix. Small calibration sets keep them fast.
 */
class CliInputChecksTest {
  @TempDir static Path shared;
  private static Path onnx;
  private static Path plan;

  @BeforeAll
  static void convertAndQuantizeOnce() throws Exception {
    onnx = shared.resolve("m.onnx");
    CliRun c = CliRun.of("convert", "--to", "onnx", "--out", onnx.toString());
    assertEquals(0, c.exit(), c.err());
    plan = shared.resolve("m.plan.json");
    CliRun q = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "16", "--calib-backend", "reference",
        "--out", shared.resolve("m.qdq.onnx").toString(), "--plan", plan.toString());
    assertEquals(0, q.exit(), q.err());
  }

  // ---- 3. an output that is the input ----

  @Test
  void quantizeAndConvertRefuseToOverwriteTheirInput(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("m.onnx");
    Files.copy(onnx, model);
    byte[] before = Files.readAllBytes(model);

    CliRun q = CliRun.of("quantize", "--model", model.toString(), "--calib-size", "8", "--out", model.toString());
    assertEquals(1, q.exit(), q.out());
    assertTrue(q.err().contains("is the input --model"), q.err());
    assertFalse(q.out().contains("calibrated"), "refused before calibrating: " + q.out());

    Path link = dir.resolve("link.onnx");
    Files.createSymbolicLink(link, model);
    CliRun c = CliRun.of("convert", "--model", model.toString(), "--to", "onnx", "--out", link.toString());
    assertEquals(1, c.exit(), c.out());
    assertTrue(c.err().contains("through a link"), c.err());

    Path hard = dir.resolve("hard.onnx");
    Files.createLink(hard, model);
    assertEquals(1, CliRun.of("convert", "--model", hard.toString(), "--to", "onnx", "--out", model.toString()).exit());

    CliRun p = CliRun.of("quantize", "--model", model.toString(), "--from-plan", plan.toString(),
        "--out", dir.resolve("x.onnx").toString(), "--plan", plan.toString());
    assertEquals(1, p.exit());
    assertTrue(p.err().contains("--from-plan"), p.err());
    assertArrayEquals(before, Files.readAllBytes(model), "the input is untouched");
  }

  // ---- 4. exclusions that name nothing ----

  @Test
  void unknownExcludedNodeOrOpTypeIsAnErrorWithCloseNames(@TempDir Path dir) {
    CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "8", "--exclude", "conv2d_1x",
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, r.exit(), r.out());
    assertTrue(r.err().contains("no node named 'conv2d_1x'"), r.err());
    assertTrue(r.err().contains("did you mean conv2d_1"), r.err());
    assertFalse(Files.exists(dir.resolve("q.onnx")));

    CliRun t = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "8", "--exclude-op-types", "gemm",
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, t.exit(), t.out());
    assertTrue(t.err().contains("no node of op type 'gemm'; did you mean Gemm?"), t.err());
  }

  // ---- 5. plan / baseline JSON errors: one line, file, JSON path, what is wrong ----

  @Test
  void malformedPlanGivesOneLineWithFileJsonPathAndProblem(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(plan.toFile());
    String tensor = root.get("tensors").fieldNames().next();
    ((ArrayNode) root.get("tensors").get(tensor).get("scales")).set(0, json.getNodeFactory().textNode("abc"));
    Path bad = dir.resolve("bad.plan.json");
    Files.writeString(bad, json.writeValueAsString(root));
    CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--from-plan", bad.toString(),
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, r.exit());
    assertEquals(1, r.errorLines(), r.err());
    assertTrue(r.err().contains(bad.toString()), r.err());
    assertTrue(r.err().contains("at $.tensors." + tensor + ".scales[0]: \"abc\" is not a number"), r.err());
    assertFalse(r.err().contains("reference chain") || r.err().contains("io.quantkit"), r.err());

    ((ArrayNode) root.get("tensors").get(tensor).get("scales")).set(0, json.getNodeFactory().numberNode(-0.03));
    Files.writeString(bad, json.writeValueAsString(root));
    CliRun neg = CliRun.of("quantize", "--model", onnx.toString(), "--from-plan", bad.toString(),
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, neg.errorLines(), neg.err());
    assertTrue(neg.err().contains("at $.tensors." + tensor + ": scales[0] is -0.03;"), neg.err());

    Path latin1 = dir.resolve("latin1.plan.json");
    Files.write(latin1, "{\"graph\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
    CliRun enc = CliRun.of("quantize", "--model", onnx.toString(), "--from-plan", latin1.toString(),
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, enc.exit());
    assertTrue(enc.err().contains(latin1.toString()) && enc.err().contains("not UTF-8"), enc.err());
    assertFalse(Files.exists(dir.resolve("q.onnx")));
  }

  @Test
  void malformedBaselineNamesFileAndPath(@TempDir Path dir) throws Exception {
    Path base = dir.resolve("base.json");
    assertEquals(0, CliRun.of("eval", "--limit", "4", "--report", base.toString()).exit());
    String text = Files.readString(base).replaceFirst("\"samples\" : 4", "\"samples\" : \"four\"");
    Files.writeString(base, text);
    CliRun r = CliRun.of("eval", "--limit", "4", "--baseline", base.toString());
    assertEquals(1, r.exit());
    assertEquals(1, r.errorLines(), r.err());
    assertTrue(r.err().contains(base.toString()) && r.err().contains("at $.samples: \"four\" is not an integer"), r.err());
  }

  // ---- 6. --limit 0 ----

  @Test
  void limitZeroIsRefused() {
    CliRun e = CliRun.of("eval", "--limit", "0");
    assertEquals(1, e.exit(), e.out());
    assertTrue(e.err().contains("--limit must be at least 1, got 0"), e.err());
    CliRun c = CliRun.of("compare", "--limit", "0");
    assertEquals(1, c.exit(), c.out());
    assertFalse(c.out().contains("100"), c.out());
  }

  // ---- 7. permissions of written files ----

  @Test
  void outputFilesGetThePermissionsOfAPlainWrite(@TempDir Path dir) throws Exception {
    Path probe = Files.createFile(dir.resolve("plain-write"));
    Set<PosixFilePermission> plain = Files.getPosixFilePermissions(probe);
    Path report = dir.resolve("r.json");
    Path model = dir.resolve("m.onnx");
    Path qdq = dir.resolve("q.onnx");
    Path planOut = dir.resolve("q.plan.json");
    assertEquals(0, CliRun.of("eval", "--limit", "2", "--report", report.toString()).exit());
    assertEquals(0, CliRun.of("convert", "--to", "onnx", "--out", model.toString()).exit());
    assertEquals(0, CliRun.of("quantize", "--model", onnx.toString(), "--from-plan", plan.toString(), "--out", qdq.toString(),
        "--plan", planOut.toString()).exit());
    for (Path p : new Path[] {report, model, qdq, planOut}) {
      assertEquals(PosixFilePermissions.toString(plain), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
          p.getFileName() + " has the permissions a plain write gives");
    }
    // Overwriting keeps the file's own mode, as a plain write would.
    Files.setPosixFilePermissions(report, PosixFilePermissions.fromString("rw-rw----"));
    assertEquals(0, CliRun.of("eval", "--limit", "2", "--report", report.toString()).exit());
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(report)));
  }

  // ---- 8. an unwritable --out is refused before the work, with the reason ----

  @Test
  void invalidOutIsRefusedBeforeCalibrationWithTheReason(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "64",
        "--out", file.resolve("sub/q.onnx").toString());
    assertEquals(1, r.exit());
    assertFalse(r.out().contains("calibrated") || r.err().contains("calibrate"), "refused before calibrating: " + r.out() + r.err());
    assertTrue(r.err().contains("is not a folder"), r.err());

    CliRun folder = CliRun.of("convert", "--to", "onnx", "--out", dir.toString());
    assertEquals(1, folder.exit());
    assertTrue(folder.err().contains("is a folder"), folder.err());
  }

  @Test
  void readOnlyOutFolderIsRefusedBeforeCalibration(@TempDir Path dir) throws Exception {
    Path ro = Files.createDirectory(dir.resolve("ro"));
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      // root ignores permission bits; the check is then the one above (a file as folder).
      assumeFalse(Files.isWritable(ro), "running as root: permission bits do not apply");
      CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "64",
          "--out", ro.resolve("q.onnx").toString());
      assertEquals(1, r.exit());
      assertFalse(r.out().contains("calibrated"), r.out());
      assertTrue(r.err().contains("permission denied"), r.err());
    } finally {
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  // ---- 9. image-folder calibration takes a seeded, class-balanced sample ----

  @Test
  void imageFolderCalibrationIsClassBalancedAndSaysSo(@TempDir Path dir) throws Exception {
    Path folder = jpegFolder(dir, 3, 8);
    Path planOut = dir.resolve("p.json");
    CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--calib-data", folder.toString(), "--calib-size", "6",
        "--calib-backend", "reference", "--out", dir.resolve("q.onnx").toString(), "--plan", planOut.toString());
    assertEquals(0, r.exit(), r.err());
    QuantPlan p = QuantPlan.load(planOut);
    assertEquals(6, p.calibration().samples());
    assertTrue(p.calibration().dataset().contains("class-balanced sample of 6 of 24, seed 0"), p.calibration().dataset());
    assertTrue(p.metadata().get("calibration.sampling").contains("class-balanced"), p.metadata().toString());
  }

  // ---- 10. the minor ones ----

  @Test
  void subnormalScaleIsRejected(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(plan.toFile());
    String tensor = root.get("tensors").fieldNames().next();
    ((ArrayNode) root.get("tensors").get(tensor).get("scales")).set(0, json.getNodeFactory().numberNode(1e-45));
    Path tiny = dir.resolve("tiny.plan.json");
    Files.writeString(tiny, json.writeValueAsString(root));
    CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--from-plan", tiny.toString(),
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, r.exit(), r.out());
    assertTrue(r.err().contains("scales[0] is 1.4E-45; a scale must be a positive normal float"), r.err());
  }

  @Test
  void calibSizeLargerThanTheSetIsReported(@TempDir Path dir) {
    CliRun r = CliRun.of("quantize", "--model", onnx.toString(), "--calib-size", "100000", "--method", "minmax",
        "--out", dir.resolve("q.onnx").toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("warning: --calib-size 100000 but") && r.out().contains("calibrating on all 4000"), r.out());
  }

  @Test
  void imagesOfAnotherSizeNameTheResizeOptionThatExists(@TempDir Path dir) throws Exception {
    // ten classes: ResNet8 scores ten
    Path folder = jpegFolder(dir, 10, 1);
    java.awt.image.BufferedImage big = new java.awt.image.BufferedImage(40, 40, java.awt.image.BufferedImage.TYPE_INT_RGB);
    javax.imageio.ImageIO.write(big, "png", folder.resolve("c1/zz-big.png").toFile());
    CliRun r = CliRun.of("eval", "--data", folder.toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("--resize HxW"), r.err());
    CliRun resized = CliRun.of("eval", "--data", folder.toString(), "--resize", "32x32");
    assertEquals(0, resized.exit(), resized.err());
    assertTrue(resized.out().contains("11 samples"), resized.out());
  }

  @Test
  void unknownFlagIsOneLinePointingToHelp() {
    CliRun r = CliRun.of("eval", "--limt", "3");
    assertNotEquals(0, r.exit());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("quantkit: error: Unknown options: '--limt'"), r.err());
    assertTrue(r.err().contains("did you mean --limit") && r.err().contains("see 'quantkit eval --help'"), r.err());
    CliRun top = CliRun.of("evall");
    assertEquals(1, top.err().lines().count(), top.err());
    assertTrue(top.err().contains("see 'quantkit --help'"), top.err());
  }

  /** {@code classes} class folders of {@code perClass} 32x32 JPEGs copied from the shared test images. */
  static Path jpegFolder(Path dir, int classes, int perClass) throws Exception {
    Path src = QuantkitHome.fromEnvironment().cifar10JpegTestDir();
    Path folder = dir.resolve("images");
    try (Stream<Path> classDirs = Files.list(src).sorted().limit(classes)) {
      int c = 0;
      for (Path classDir : (Iterable<Path>) classDirs::iterator) {
        Path target = Files.createDirectories(folder.resolve("c" + c++));
        try (Stream<Path> files = Files.list(classDir).sorted().limit(perClass)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Files.copy(f, target.resolve(f.getFileName()));
          }
        }
      }
    }
    return folder;
  }
}
