package io.quantkit.keras;

import static io.quantkit.keras.H5Fixture.rank4;
import static io.quantkit.keras.Json.functional;
import static io.quantkit.keras.Json.input;
import static io.quantkit.keras.Json.layer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.quantkit.ModelFormatException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.UnsupportedOpsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every malformed or unsupported input ends in a typed exception that names the file and the layer. */
class KerasModelErrorsTest {
  @TempDir
  Path dir;

  private static void assertMentions(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention '" + p + "'");
    }
  }

  // ---------------------------------------------------------------- not a readable Keras file

  @Test
  void missingFile() {
    Path p = dir.resolve("nope.h5");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "does not exist");
  }

  @Test
  void directoryInsteadOfFile() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(dir));
    assertMentions(e, dir.toString(), "not a regular file");
  }

  @Test
  void emptyFile() throws IOException {
    Path p = Files.write(dir.resolve("empty.h5"), new byte[0]);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString());
  }

  @Test
  void randomBytes() throws IOException {
    byte[] junk = new byte[64 * 1024];
    new Random(42).nextBytes(junk);
    Path p = Files.write(dir.resolve("junk.h5"), junk);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "HDF5");
  }

  /** Cut the real model at lengths inside the superblock, the object headers, the weights and the tail. */
  @ParameterizedTest
  @ValueSource(ints = {8, 100, 1000, 4096, 50_000, 300_000, 700_000, 1_116_000, 1_116_711})
  void truncatedCopiesOfTheRealModel(int length) throws IOException {
    byte[] all = Files.readAllBytes(KerasModelResnet8Test.resnet8());
    assertTrue(length < all.length);
    Path p = dir.resolve("cut-" + length + ".h5");
    Files.write(p, java.util.Arrays.copyOf(all, length));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString());
  }

  @Test
  void truncationIsReportedAsSuch() throws IOException {
    byte[] all = Files.readAllBytes(KerasModelResnet8Test.resnet8());
    Path p = Files.write(dir.resolve("cut.h5"), java.util.Arrays.copyOf(all, all.length / 2));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "truncated", String.valueOf(all.length / 2), String.valueOf(all.length));
  }

  /** Bytes flipped inside the real model's metadata: whatever jhdf makes of it, the caller gets a typed error or a graph. */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
  void corruptedCopiesNeverEscapeAsUntypedErrors(int seed) throws IOException {
    byte[] all = Files.readAllBytes(KerasModelResnet8Test.resnet8());
    Random rnd = new Random(seed);
    for (int i = 0; i < 16; i++) {
      int pos = rnd.nextInt(8192); // superblock, root group and the start of the object headers
      all[pos] = (byte) rnd.nextInt(256);
    }
    Path p = Files.write(dir.resolve("corrupt-" + seed + ".h5"), all);
    try {
      KerasModel.load(p);
    } catch (ModelFormatException | UnsupportedOpException e) {
      assertMentions(e, p.toString());
    }
  }

  @Test
  void hdf5FileThatIsNotAKerasModel() {
    Path p = dir.resolve("plain.h5");
    try (WritableHdfFile f = HdfFile.write(p)) {
      f.putDataset("data", new float[] {1f, 2f, 3f});
      f.putAttribute("comment", "just numbers");
    }
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "not a Keras model", "model_config");
  }

  @Test
  void malformedJson() {
    Path p = new H5Fixture().rawConfig("{\"class_name\": \"Functional\", \"config\": {\"layers\": [").write(dir.resolve("badjson.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "not valid JSON");
  }

  @Test
  void jsonThatIsNotAnObject() {
    Path p = new H5Fixture().rawConfig("[1, 2, 3]").write(dir.resolve("array.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "not a JSON object");
  }

  // ---------------------------------------------------------------- inconsistent models

  private static String oneConv(String convConfig) {
    return functional("m", List.of("x"), List.of("conv"),
        input("x", "[null, 4, 4, 2]"),
        layer("Conv2D", "conv", convConfig, "x"));
  }

  private static final String CONV = "'filters': 3, 'kernel_size': [3, 3], 'padding': 'same', 'activation': 'linear', 'use_bias': true";

  @Test
  void missingWeightsForALayer() {
    Path p = new H5Fixture().config(oneConv(CONV)).emptyLayer("x").write(dir.resolve("noweights.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "'conv'", "no weights");
  }

  @Test
  void missingBias() {
    Path p = new H5Fixture().config(oneConv(CONV)).weight("conv", "kernel", new float[3][3][2][3]).write(dir.resolve("nobias.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "'conv'", "'bias'");
  }

  @Test
  void weightShapeMismatch() {
    Path p = new H5Fixture().config(oneConv(CONV))
        .weight("conv", "kernel", rank4(new float[3 * 3 * 2 * 4], 3, 3, 2, 4))
        .weight("conv", "bias", new float[3])
        .write(dir.resolve("shape.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "'conv'", "kernel", "[3, 3, 2, 4]", "[3, 3, 2, 3]");
  }

  @Test
  void referenceToAnUnknownLayer() {
    String config = functional("m", List.of("x"), List.of("a"),
        input("x", "[null, 4]"),
        layer("Activation", "a", "'activation': 'relu'", "ghost"));
    Path p = new H5Fixture().config(config).write(dir.resolve("ghost.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "'a'", "'ghost'");
  }

  @Test
  void sequentialWithoutInputShape() {
    String config = "{'class_name': 'Sequential', 'config': {'name': 's', 'layers': ["
        + Json.seqLayer("Dense", "d", "'units': 2") + "]}}";
    Path p = new H5Fixture().config(config).write(dir.resolve("noshape.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "input shape", "'d'");
  }

  @Test
  void windowLargerThanInput() {
    String config = functional("m", List.of("x"), List.of("conv"),
        input("x", "[null, 2, 2, 2]"),
        layer("Conv2D", "conv", "'filters': 3, 'kernel_size': [3, 3], 'padding': 'valid', 'use_bias': false", "x"));
    Path p = new H5Fixture().config(config).weight("conv", "kernel", new float[3][3][2][3]).write(dir.resolve("window.h5"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString(), "'conv'", "does not fit");
  }

  // ---------------------------------------------------------------- unsupported

  private UnsupportedOpException unsupported(String name, String config) {
    Path p = new H5Fixture().config(config).write(dir.resolve(name + ".h5"));
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> KerasModel.load(p));
    assertMentions(e, p.toString());
    return e;
  }

  @Test
  void lstmLayer() {
    UnsupportedOpException e = unsupported("lstm", functional("m", List.of("x"), List.of("lstm"),
        input("x", "[null, 10, 8]"),
        layer("LSTM", "lstm", "'units': 4", "x")));
    assertEquals("lstm", e.nodeName());
    assertEquals("LSTM", e.opType());
    assertMentions(e, "LSTM", "'lstm'");
  }

  @Test
  void madeUpLayerClass() {
    UnsupportedOpException e = unsupported("custom", Json.sequential("s",
        input("x", "[null, 4, 4, 1]"),
        Json.seqLayer("MyFancyLayer", "fancy_1", "'magic': 7")));
    assertEquals("fancy_1", e.nodeName());
    assertMentions(e, "MyFancyLayer", "'fancy_1'");
  }

  @Test
  void unsupportedActivation() {
    UnsupportedOpException e = unsupported("gelu", oneConv(CONV.replace("'linear'", "'gelu'")));
    assertEquals("conv", e.nodeName());
    assertMentions(e, "gelu");
  }

  @Test
  void everyUnsupportedLayerIsReportedAtOnceWithCounts() {
    UnsupportedOpException e = unsupported("many", functional("m", List.of("x"), List.of("g2"),
        input("x", "[null, 10, 8]"),
        layer("LSTM", "lstm_1", "'units': 8", "x"),
        layer("GRU", "g1", "'units': 8", "lstm_1"),
        layer("LSTM", "lstm_2", "'units': 8", "g1"),
        layer("Dense", "d", "'units': 8, 'activation': 'gelu'", "lstm_2"),
        layer("GRU", "g2", "'units': 8", "d")));
    UnsupportedOpsException all = (UnsupportedOpsException) e;
    assertEquals(java.util.Map.of("LSTM", 2, "GRU", 2, "Dense", 1), all.countsByOpType());
    assertEquals(List.of("lstm_1", "g1", "lstm_2", "d", "g2"), all.nodes().stream().map(n -> n.nodeName()).toList());
    assertMentions(e, "5 unsupported nodes of 3 op types", "LSTM x2 ('lstm_1', 'lstm_2')", "GRU x2", "activation 'gelu'");
  }

  @Test
  void leakyReluLayer() {
    UnsupportedOpException e = unsupported("leaky", functional("m", List.of("x"), List.of("r"),
        input("x", "[null, 4]"),
        layer("ReLU", "r", "'max_value': null, 'negative_slope': 0.1, 'threshold': 0.0", "x")));
    assertMentions(e, "'r'", "negative_slope");
  }

  @Test
  void batchNormOverANonChannelAxis() {
    UnsupportedOpException e = unsupported("bnaxis", functional("m", List.of("x"), List.of("bn"),
        input("x", "[null, 4, 4, 2]"),
        layer("BatchNormalization", "bn", "'axis': [1], 'epsilon': 0.001", "x")));
    assertMentions(e, "'bn'", "axis");
  }

  @Test
  void channelsFirstConv() {
    UnsupportedOpException e = unsupported("cf", oneConv(CONV + ", 'data_format': 'channels_first'"));
    assertMentions(e, "'conv'", "channels_first");
  }

  @Test
  void zeroPaddingBeforeMaxPool() {
    UnsupportedOpException e = unsupported("zpmax", functional("m", List.of("x"), List.of("mp"),
        input("x", "[null, 4, 4, 2]"),
        layer("ZeroPadding2D", "zp", "'padding': 1", "x"),
        layer("MaxPooling2D", "mp", "'pool_size': 2", "zp")));
    assertMentions(e, "'mp'", "ZeroPadding2D");
  }

  @Test
  void subclassedModel() {
    UnsupportedOpException e = unsupported("subclassed", "{'class_name': 'MyModel', 'config': {'name': 'mine'}}");
    assertMentions(e, "MyModel");
  }
}
