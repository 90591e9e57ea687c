package io.quantkit.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.BackendException;
import io.quantkit.ModelFormatException;
import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.keras.KerasModel;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * SavedModel out and in: the ResNet8 written by {@link SavedModels#save}, read back as a proto,
 * reloaded in this JVM and in a fresh one, and the errors of directories that are not what they
 * should be. The SavedModel is written once per class.
 */
class SavedModelsTest {
  private static final int IMAGES = 100;
  private static final Backend TF = Backends.named("tf");
  private static final RunnerOptions OPTIONS = RunnerOptions.builder().threads(2).build();

  @TempDir
  static Path shared;
  private static Graph resnet8;
  private static Path savedModel;
  private static Tensor images;
  private static Tensor fromGraph;
  private static Runner reloaded;

  @BeforeAll
  static void save() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    resnet8 = KerasModel.load(home.resnet8Model());
    images = Cifar10.test(home).batch(0, IMAGES).images();
    savedModel = shared.resolve("resnet8");
    SavedModels.save(resnet8, savedModel);
    try (Runner r = TF.compile(resnet8, OPTIONS)) {
      fromGraph = r.run(images);
    }
    reloaded = TF.open(savedModel, OPTIONS);
  }

  @AfterAll
  static void close() {
    if (reloaded != null) {
      reloaded.close();
    }
  }

  @Test
  void reloadsInThisJvmWithIdenticalOutputsAndTheModelsNames() {
    assertTrue(TF.canOpen(savedModel));
    assertEquals(Signature.of("resnet8", List.of(new ValueInfo("input_1", DataType.FLOAT32, Shape.of(-1, 32, 32, 3))),
        List.of("dense")), reloaded.signature());
    assertEquals(fromGraph, reloaded.run(images));
    assertThrows(UnsupportedOperationException.class, reloaded::graph);
  }

  /** Tagged integration: starting a JVM that loads TensorFlow's native library takes 10-30 s. */
  @Test
  @Tag("integration")
  void reloadsInAFreshJvmWithIdenticalOutputs() throws Exception {
    Path out = shared.resolve("fresh-jvm-scores.bin");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        SavedModelReloadMain.class.getName(), savedModel.toString(), out.toString(), String.valueOf(IMAGES))
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the fresh JVM did not finish");
    assertEquals(0, p.exitValue(), "fresh JVM failed:\n" + log);
    float[] scores;
    try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
      scores = new float[in.readInt()];
      for (int i = 0; i < scores.length; i++) {
        scores[i] = in.readFloat();
      }
    }
    assertEquals(Tensor.wrapFloats(fromGraph.shape(), scores), fromGraph);
  }

  /**
   * What {@code saved_model_cli show --all} would print, checked on the proto itself: one meta graph
   * tagged "serve", a predict signature under "serving_default" with the model's names, dtypes and
   * shapes, every op registered in TensorFlow's op registry and listed in stripped_op_list.
   */
  @Test
  void theProtoIsAServingSavedModel() throws IOException {
    SavedModel proto = SavedModel.parseFrom(Files.readAllBytes(savedModel.resolve("saved_model.pb")));
    assertTrue(Files.isDirectory(savedModel.resolve("variables")));
    assertEquals(1, proto.getSavedModelSchemaVersion());
    assertEquals(1, proto.getMetaGraphsCount());
    MetaGraphDef mg = proto.getMetaGraphs(0);
    assertEquals(List.of("serve"), mg.getMetaInfoDef().getTagsList());
    assertEquals(TensorFlow.version(), mg.getMetaInfoDef().getTensorflowVersion());
    assertEquals(Set.of("serving_default"), mg.getSignatureDefMap().keySet());
    SignatureDef sig = mg.getSignatureDefOrThrow("serving_default");
    assertEquals("tensorflow/serving/predict", sig.getMethodName());
    TensorInfo in = sig.getInputsOrThrow("input_1");
    assertEquals(org.tensorflow.proto.DataType.DT_FLOAT, in.getDtype());
    assertEquals(List.of(-1L, 32L, 32L, 3L), in.getTensorShape().getDimList().stream().map(d -> d.getSize()).toList());
    TensorInfo out = sig.getOutputsOrThrow("dense");
    assertEquals(org.tensorflow.proto.DataType.DT_FLOAT, out.getDtype());
    assertEquals(List.of(-1L, 10L), out.getTensorShape().getDimList().stream().map(d -> d.getSize()).toList());
    Set<String> nodes = mg.getGraphDef().getNodeList().stream().map(NodeDef::getName).collect(Collectors.toSet());
    assertTrue(nodes.contains(in.getName().replace(":0", "")) && nodes.contains(out.getName().replace(":0", "")));
    Set<String> registered = TensorFlow.registeredOpList().getOpList().stream().map(OpDef::getName).collect(Collectors.toSet());
    Set<String> listed = mg.getMetaInfoDef().getStrippedOpList().getOpList().stream().map(OpDef::getName)
        .collect(Collectors.toSet());
    for (NodeDef n : mg.getGraphDef().getNodeList()) {
      assertTrue(registered.contains(n.getOp()) && listed.contains(n.getOp()), n.getOp());
    }
  }

  @Test
  void replacesAnEarlierSavedModelAtomicallyAndLeavesNoTemporaryFolders(@TempDir Path dir) throws IOException {
    Path target = dir.resolve("model");
    Graph small = twoInTwoOut();
    SavedModels.save(small, target);
    SavedModels.save(small, target);
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of("model"), s.map(p -> p.getFileName().toString()).toList());
    }
    Files.createDirectories(dir.resolve("notes"));
    Files.writeString(dir.resolve("notes/keep.txt"), "mine");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SavedModels.save(small, dir.resolve("notes")));
    assertTrue(e.getMessage().contains("is not a SavedModel directory; refusing to replace it"), e.getMessage());
    assertEquals("mine", Files.readString(dir.resolve("notes/keep.txt")));
  }

  @Test
  void signaturesWithSeveralInputsAndOutputsArePickedByName(@TempDir Path dir) {
    Path target = dir.resolve("two");
    SavedModels.save(twoInTwoOut(), target);
    Tensor a = Tensor.ofFloats(Shape.of(2), 1f, 2f);
    Tensor b = Tensor.ofFloats(Shape.of(2), 3f, 4f);
    try (Runner all = TF.open(target, OPTIONS)) {
      assertEquals(List.of("a", "b"), all.signature().inputs().stream().map(ValueInfo::name).sorted().toList());
      assertEquals(List.of("product", "sum"), all.signature().outputs().stream().sorted().toList());
      Map<String, Tensor> out = all.run(Map.of("a", a, "b", b));
      assertEquals(Tensor.ofFloats(Shape.of(2), 4f, 6f), out.get("sum"));
      assertEquals(Tensor.ofFloats(Shape.of(2), 9f, 16f), out.get("product"));
      IllegalStateException several = assertThrows(IllegalStateException.class, () -> all.signature().input());
      assertTrue(several.getMessage().contains("name the one you mean"), several.getMessage());
    }
    SavedModelOptions pick = SavedModelOptions.builder().input("b").output("product").build();
    try (Runner one = SavedModels.open(target, OPTIONS, pick)) {
      assertEquals("b", one.signature().input().name());
      assertEquals("product", one.signature().output());
      assertEquals(Tensor.ofFloats(Shape.of(2), 9f, 16f), one.run(b));
    }
    ModelFormatException noOutput = assertThrows(ModelFormatException.class,
        () -> SavedModels.open(target, OPTIONS, SavedModelOptions.builder().output("difference").build()));
    assertEquals("signature 'serving_default' of SavedModel " + target + " has no output 'difference'; its outputs are "
        + List.of("product", "sum"), sortedNames(noOutput.getMessage()));
    ModelFormatException noInput = assertThrows(ModelFormatException.class,
        () -> SavedModels.open(target, OPTIONS, SavedModelOptions.builder().input("c").build()));
    assertTrue(noInput.getMessage().contains("has no input 'c'; its inputs are ["), noInput.getMessage());
  }

  @Test
  void aMissingSignatureNamesTheOnesThereAre() {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> SavedModels.open(savedModel, OPTIONS, SavedModelOptions.builder().signatureKey("classify").build()));
    assertEquals("SavedModel " + savedModel + " has no signature 'classify'; its signatures are [serving_default]",
        e.getMessage());
  }

  @Test
  void directoriesThatAreNotSavedModelsFailWithOneLine(@TempDir Path dir) throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Path file = Files.writeString(dir.resolve("model.pb"), "not a directory");
    Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
    Files.write(corrupt.resolve("saved_model.pb"), new byte[] {8, 1, 18, 3, 1, 2});
    assertFalse(TF.canOpen(empty));
    assertFalse(TF.canOpen(file));
    assertTrue(TF.canOpen(corrupt), "decided by the file being there; loading tells the rest");
    List<String> messages = new ArrayList<>();
    for (Path p : List.of(empty, file, dir.resolve("missing"), corrupt)) {
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> TF.open(p, OPTIONS));
      messages.add(e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }
    assertEquals(empty + " is not a TensorFlow SavedModel: it has no saved_model.pb", messages.get(0));
    assertEquals(file + " is not a TensorFlow SavedModel: a SavedModel is a directory", messages.get(1));
    assertEquals(dir.resolve("missing") + " is not a TensorFlow SavedModel: no such directory", messages.get(2));
    assertTrue(messages.get(3).startsWith("TensorFlow cannot load the SavedModel " + corrupt), messages.get(3));
  }

  @Test
  void aShapeMismatchFailsWithOneLine() {
    BackendException e = assertThrows(BackendException.class,
        () -> reloaded.run(Tensor.wrapFloats(Shape.of(2, 32, 32), new float[2048])));
    assertEquals("SavedModel " + savedModel + ": input 'input_1' expects FLOAT32 [?, 32, 32, 3], got FLOAT32 [2, 32, 32]",
        e.getMessage());
  }

  /** sum = a + b, product = b * b. */
  static Graph twoInTwoOut() {
    return Graph.builder("two")
        .input(new ValueInfo("a", DataType.FLOAT32, Shape.of(2)))
        .input(new ValueInfo("b", DataType.FLOAT32, Shape.of(2)))
        .node(Node.of("add", new Op.Add(), List.of("a", "b"), List.of("sum")))
        .node(Node.of("mul", new Op.Mul(), List.of("b", "b"), List.of("product")))
        .output("sum").output("product").build();
  }

  /** The message with its trailing name list sorted (signature maps keep no order). */
  private static String sortedNames(String message) {
    int open = message.lastIndexOf('[');
    List<String> names = new ArrayList<>(List.of(message.substring(open + 1, message.length() - 1).split(", ")));
    names.sort(null);
    return message.substring(0, open) + names;
  }
}
