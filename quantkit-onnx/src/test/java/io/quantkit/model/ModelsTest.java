package io.quantkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.ModelFormatException;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models.load picks the importer by content, names formats it cannot import, and falls back on extensions. */
class ModelsTest {
  @TempDir
  static Path dir;
  static Path h5;
  static Graph keras;

  @BeforeAll
  static void model() {
    h5 = QuantkitHome.fromEnvironment().resnet8Model();
    keras = KerasModel.load(h5);
  }

  private static String error(Path p) {
    return assertThrows(ModelFormatException.class, () -> Models.load(p)).getMessage();
  }

  @Test
  void bothImportersAreOnTheClassPath() {
    assertEquals(List.of("keras-h5", "onnx"), Models.importers().stream().map(ModelImporter::name).sorted().toList());
  }

  @Test
  void contentDecidesNotTheName() throws Exception {
    Path kerasAsOnnx = Files.copy(h5, dir.resolve("really-keras.onnx"));
    assertEquals(keras.nodes(), Models.load(kerasAsOnnx).nodes());
    assertEquals("keras-h5", Models.importerFor(kerasAsOnnx).orElseThrow().name());

    Path onnxAsBin = dir.resolve("exported.bin");
    OnnxModel.save(keras, onnxAsBin);
    Graph back = Models.load(onnxAsBin);
    assertEquals(keras.nodes(), back.nodes());
    assertEquals("onnx", back.metadata().get("format"));
  }

  @Test
  void recognitionLooksAtSignatures() {
    ModelImporter onnx = Models.importers().stream().filter(i -> i.name().equals("onnx")).findFirst().orElseThrow();
    ModelImporter h5Importer = Models.importers().stream().filter(i -> i.name().equals("keras-h5")).findFirst().orElseThrow();
    byte[] exported = OnnxModel.toBytes(keras);
    assertTrue(onnx.recognizes(ModelProbe.ofBytes(Path.of("x"), exported)));
    assertFalse(h5Importer.recognizes(ModelProbe.ofBytes(Path.of("x"), exported)));
    byte[] hdf5 = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 0, 0};
    assertTrue(h5Importer.recognizes(ModelProbe.ofBytes(Path.of("x"), hdf5)));
    assertFalse(onnx.recognizes(ModelProbe.ofBytes(Path.of("x"), hdf5)));
    byte[] userBlock = new byte[520];
    System.arraycopy(hdf5, 0, userBlock, 512, 8);
    assertTrue(h5Importer.recognizes(ModelProbe.ofBytes(Path.of("x"), userBlock)), "HDF5 after a 512-byte user block");
    assertFalse(onnx.recognizes(ModelProbe.ofBytes(Path.of("x"), new byte[] {8, 0, 0})), "ir_version 0 is not ONNX");
    assertFalse(onnx.recognizes(ModelProbe.ofBytes(Path.of("x"), "hello world".getBytes())));
  }

  @Test
  void knownFormatsWithoutAnImporterAreNamed() throws Exception {
    Path pt = dir.resolve("model.pt");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(pt))) {
      zip.putNextEntry(new ZipEntry("model/data.pkl"));
      zip.write(new byte[] {1, 2, 3});
    }
    String msg = error(pt);
    assertTrue(msg.contains("model.pt is a zip archive (a TorchScript model?)") && msg.contains("importers:"), msg);

    Path savedModel = Files.createDirectories(dir.resolve("saved"));
    Files.write(savedModel.resolve("saved_model.pb"), new byte[] {8, 1});
    assertTrue(error(savedModel).contains("a TensorFlow SavedModel directory"), error(savedModel));
    // a zip named .onnx is still called a zip, not a broken ONNX file
    Path zipAsOnnx = Files.copy(pt, dir.resolve("zip.onnx"));
    assertTrue(error(zipAsOnnx).contains("zip archive"), error(zipAsOnnx));
  }

  @Test
  void unrecognizedContentFallsBackOnTheExtension() throws Exception {
    byte[] junk = new byte[256];
    new Random(7).nextBytes(junk);
    junk[0] = 0x42;
    Path onnxJunk = Files.write(dir.resolve("junk.onnx"), junk);
    assertTrue(error(onnxJunk).contains("not a valid ONNX model"), "the ONNX reader's own error: " + error(onnxJunk));
    Path h5Junk = Files.write(dir.resolve("junk.h5"), junk);
    assertTrue(error(h5Junk).contains("junk.h5"), error(h5Junk));
    Path other = Files.write(dir.resolve("junk.xyz"), junk);
    String msg = error(other);
    assertTrue(msg.contains("junk.xyz: unknown model format") && msg.contains("keras-h5") && msg.contains("onnx"), msg);
    assertTrue(error(dir.resolve("missing.onnx")).contains("does not exist"));
  }
}
