package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.eval.AccuracyReport;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tf.SavedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tf backend and SavedModels on the command line (one SavedModel written per class, small limits). */
class TfCommandsTest {
  @TempDir
  static Path dir;
  private static Path savedModel;


  @BeforeAll
  static void convert() {
    savedModel = dir.resolve("resnet8_savedmodel");
    CliRun r = CliRun.of("convert", "--to", "savedmodel", "--out", savedModel.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("serving_default") && r.out().contains("input_1") && r.out().contains("dense"), r.out());
  }

  @Test
  void evalOfTheSavedModelGivesTheReportOfTheH5() {
    Path fromH5 = dir.resolve("h5.json");
    Path fromSavedModel = dir.resolve("savedmodel.json");
    CliRun h5 = CliRun.of("eval", "--backend", "tf", "--limit", "200", "--report", fromH5.toString());
    assertEquals(0, h5.exit(), h5.err());
    CliRun sm = CliRun.of("eval", "--model", savedModel.toString(), "--limit", "200", "--report", fromSavedModel.toString());
    assertEquals(0, sm.exit(), sm.err());
    AccuracyReport a = AccuracyReport.readJson(fromH5);
    AccuracyReport b = AccuracyReport.readJson(fromSavedModel);
    assertEquals("tf", b.backend(), "a SavedModel directory runs on tf by default");
    assertEquals("fp32", b.precision());
    assertEquals("resnet8_savedmodel", b.model());
    assertArrayEquals(a.predictions(), b.predictions());
    assertArrayEquals(a.confusion(), b.confusion());
    assertEquals(a.top1(), b.top1());
    assertEquals(a.top5(), b.top5());
  }

  @Test
  void compareRunsTheSavedModelBesideItsOnnxConversion() {
    Path onnx = dir.resolve("resnet8.onnx");
    assertEquals(0, CliRun.of("convert", "--to", "onnx", "--out", onnx.toString()).exit());
    CliRun r = CliRun.of("compare", "--model", savedModel.toString(), "--backends", "tf,onnx@" + onnx + ",reference@" + onnx,
        "--limit", "64");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("onnx@" + onnx) && r.out().contains("100.00 %"), r.out());
    CliRun plain = CliRun.of("compare", "--backends", "reference,onnx,tf", "--limit", "64");
    assertEquals(0, plain.exit(), plain.err());
    assertFalse(plain.out().contains("  0.00 %"), plain.out());
  }

  @Test
  void aSavedModelOnABackendThatCannotRunItIsOneLine() {
    CliRun r = CliRun.of("eval", "--model", savedModel.toString(), "--backend", "reference", "--limit", "8");
    assertEquals(1, r.exit());
    assertEquals("quantkit: error: backend 'reference' cannot run " + savedModel + ", which has no IR import; run it as it "
        + "is on tf (--backend tf), or give reference a converted model (.h5, .onnx)", r.err().strip());
    CliRun q = CliRun.of("quantize", "--model", savedModel.toString(), "--out", dir.resolve("q.onnx").toString());
    assertEquals(1, q.exit());
    assertTrue(q.err().startsWith("quantkit: error: " + savedModel + " is a TensorFlow SavedModel, which has no IR import"),
        q.err());
  }

  @Test
  void severalOutputsArePickedByNameOrListed() {
    Path two = dir.resolve("two_outputs");
    SavedModels.save(Graph.builder("two")
        .input(new ValueInfo("pixels", DataType.FLOAT32, Shape.of(-1, 32, 32, 3)))
        .node(Node.of("flat", new Op.Flatten(1), List.of("pixels"), List.of("flat")))
        .node(Node.of("twice", new Op.Add(), List.of("flat", "flat"), List.of("twice")))
        .output("flat").output("twice").build(), two);
    CliRun none = CliRun.of("eval", "--model", two.toString(), "--limit", "8");
    assertEquals(1, none.exit());
    assertTrue(none.err().contains("has outputs [") && none.err().contains("pick the one to score with --output NAME"),
        none.err());
    CliRun wrong = CliRun.of("eval", "--model", two.toString(), "--output", "thrice", "--limit", "8");
    assertEquals(1, wrong.exit());
    assertTrue(wrong.err().contains("has no output 'thrice'; its outputs are ["), wrong.err());
    assertEquals(1, wrong.err().strip().lines().count(), wrong.err());
  }
}
