package io.quantkit.onnx;

import static io.quantkit.onnx.Protos.floatTensor;
import static io.quantkit.onnx.Protos.floats;
import static io.quantkit.onnx.Protos.model;
import static io.quantkit.onnx.Protos.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.quantkit.ModelFormatException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken or hostile files fail with typed exceptions whose messages say which file and what. */
class MalformedModelTest {
  @TempDir
  Path dir;

  /** x [1,2,2,2] -> Conv with a 1x1 weight "w" -> y. */
  private static GraphProto.Builder convGraph(TensorProto weight) {
    return GraphProto.newBuilder().setName("g")
        .addInput(floats("x", 1, 2, 2, 2))
        .addInitializer(weight)
        .addNode(node("Conv", List.of("x", "w"), List.of("y")))
        .addOutput(floats("y"));
  }

  private static TensorProto weight() {
    return floatTensor("w", new long[] {1, 2, 1, 1}, 1f, 2f);
  }

  private Path write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private Path write(String name, ModelProto m) throws Exception {
    return write(name, m.toByteArray());
  }

  @Test
  void validModelLoads() throws Exception {
    Graph g = OnnxModel.load(write("ok.onnx", model(13, convGraph(weight()).build())));
    assertEquals("Conv", g.nodes().get(0).op().type());
    assertEquals(Shape.of(1, 2, 2, 2), g.input().shape());
  }

  @Test
  void randomBytes() throws Exception {
    byte[] junk = new byte[4096];
    new Random(42).nextBytes(junk);
    Path p = write("junk.onnx", junk);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
  }

  @Test
  void textFile() throws Exception {
    Path p = write("readme.onnx", "this is not a model\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
  }

  @Test
  void truncatedFile() throws Exception {
    byte[] full = OnnxModel.toBytes(RoundTripTest.everyOp());
    Path p = write("cut.onnx", Arrays.copyOf(full, full.length / 2));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("cut.onnx") && e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void emptyAndMissingFiles() throws Exception {
    Path empty = write("empty.onnx", new byte[0]);
    assertTrue(assertThrows(ModelFormatException.class, () -> OnnxModel.load(empty)).getMessage().contains("empty.onnx"));
    Path missing = dir.resolve("missing.onnx");
    assertTrue(assertThrows(ModelFormatException.class, () -> OnnxModel.load(missing)).getMessage().contains("does not exist"));
  }

  @Test
  void modelWithoutGraph() throws Exception {
    Path p = write("nograph.onnx", ModelProto.newBuilder().setIrVersion(7).build());
    assertTrue(assertThrows(ModelFormatException.class, () -> OnnxModel.load(p)).getMessage().contains("no graph"));
  }

  @Test
  void unsupportedOpNamesNodeAndType() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Elu", List.of("x"), List.of("y"))).addOutput(floats("y")).build();
    Path p = write("elu.onnx", model(13, g));
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OnnxModel.load(p));
    assertEquals("Elu", e.opType());
    assertEquals("elu_y", e.nodeName());
    assertTrue(e.getMessage().contains("elu.onnx"), e.getMessage());
  }

  @Test
  void customDomainIsUnsupported() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Relu", List.of("x"), List.of("y")).toBuilder().setDomain("com.example")).addOutput(floats("y")).build();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OnnxModel.fromBytes(model(13, g).toByteArray(), "dom.onnx"));
    assertTrue(e.getMessage().contains("com.example"), e.getMessage());
  }

  @Test
  void unknownAttributeIsRejectedRatherThanIgnored() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Softmax", List.of("x"), List.of("y"), Protos.i("temperature", 2))).addOutput(floats("y")).build();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OnnxModel.fromBytes(model(13, g).toByteArray(), "attr.onnx"));
    assertTrue(e.getMessage().contains("temperature"), e.getMessage());
  }

  @Test
  void convWeightOfWrongElementType() throws Exception {
    TensorProto w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.INT64_VALUE)
        .addAllDims(List.of(1L, 2L, 1L, 1L)).addAllInt64Data(List.of(1L, 2L)).build();
    Path p = write("intweight.onnx", model(13, convGraph(w).build()));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("intweight.onnx") && e.getMessage().contains("'w' is INT64, expected FLOAT32"), e.getMessage());
  }

  @Test
  void stringTensorIsUnsupportedDataType() throws Exception {
    TensorProto w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.STRING_VALUE).addDims(1)
        .addStringData(ByteString.copyFromUtf8("hello")).build();
    Path p = write("strings.onnx", model(13, convGraph(w).build()));
    UnsupportedDataTypeException e = assertThrows(UnsupportedDataTypeException.class, () -> OnnxModel.load(p));
    assertEquals("w", e.tensorName());
    assertEquals(TensorProto.DataType.STRING_VALUE, e.onnxDataType());
    assertTrue(e.getMessage().contains("strings.onnx") && e.getMessage().contains("STRING"), e.getMessage());
  }

  @Test
  void doubleInputIsUnsupportedDataType() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(Protos.value("x", TensorProto.DataType.DOUBLE_VALUE, 2))
        .addNode(node("Relu", List.of("x"), List.of("y"))).addOutput(floats("y")).build();
    UnsupportedDataTypeException e = assertThrows(UnsupportedDataTypeException.class,
        () -> OnnxModel.fromBytes(model(13, g).toByteArray(), "double.onnx"));
    assertTrue(e.getMessage().contains("DOUBLE") && e.getMessage().contains("'x'"), e.getMessage());
  }

  @Test
  void missingDataType() throws Exception {
    TensorProto w = weight().toBuilder().clearDataType().build();
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.fromBytes(model(13, convGraph(w).build()).toByteArray(), "notype.onnx"));
    assertTrue(e.getMessage().contains("no data_type"), e.getMessage());
  }

  @Test
  void danglingTensorName() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Add", List.of("x", "nowhere"), List.of("y"))).addOutput(floats("y")).build();
    Path p = write("dangling.onnx", model(13, g));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("dangling.onnx") && e.getMessage().contains("'nowhere'"), e.getMessage());
  }

  @Test
  void outputNobodyProduces() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(floats("x", 1, 4))
        .addNode(node("Relu", List.of("x"), List.of("y"))).addOutput(floats("z")).build();
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(model(13, g).toByteArray(), "noout.onnx"));
    assertTrue(e.getMessage().contains("noout.onnx") && e.getMessage().contains("'z'"), e.getMessage());
  }

  @Test
  void rawDataSizeMismatch() throws Exception {
    TensorProto w = weight().toBuilder().setRawData(ByteString.copyFrom(new byte[7])).build();
    Path p = write("short.onnx", model(13, convGraph(w).build()));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("short.onnx") && e.getMessage().contains("raw_data holds 7 bytes")
        && e.getMessage().contains("needs 8"), e.getMessage());
  }

  @Test
  void typedDataCountMismatch() throws Exception {
    TensorProto w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addAllDims(List.of(1L, 2L, 1L, 1L)).addFloatData(1f).build();
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.fromBytes(model(13, convGraph(w).build()).toByteArray(), "few.onnx"));
    assertTrue(e.getMessage().contains("1 values in float_data") && e.getMessage().contains("needs 2"), e.getMessage());
  }

  @Test
  void negativeDimension() throws Exception {
    TensorProto w = weight().toBuilder().setDims(0, -1).build();
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.fromBytes(model(13, convGraph(w).build()).toByteArray(), "neg.onnx"));
    assertTrue(e.getMessage().contains("invalid dimension -1"), e.getMessage());
  }

  // ---- external data ----

  private static TensorProto external(String location, long offset, long length) {
    return TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addAllDims(List.of(1L, 2L, 1L, 1L))
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(String.valueOf(offset)))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(String.valueOf(length)))
        .build();
  }

  private static byte[] le(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  @Test
  void externalDataInsideTheModelFolderIsRead() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    byte[] data = new byte[16];
    System.arraycopy(le(3f, 4f), 0, data, 8, 8);
    Files.write(Files.createDirectories(models.resolve("data")).resolve("w.bin"), data);
    Path p = models.resolve("ext.onnx");
    Files.write(p, model(13, convGraph(external("data/w.bin", 8, 8)).build()).toByteArray());
    Graph g = OnnxModel.load(p);
    assertArrayEquals(new float[] {3f, 4f}, g.initializer("w").orElseThrow().toFloatArray());
  }

  @Test
  void externalDataEscapingTheFolderIsRejected() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    Files.write(dir.resolve("secret.bin"), le(1f, 2f));
    Path p = models.resolve("escape.onnx");
    Files.write(p, model(13, convGraph(external("../secret.bin", 0, 8)).build()).toByteArray());
    ExternalDataException e = assertThrows(ExternalDataException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("escape.onnx") && e.getMessage().contains("outside the model's folder"), e.getMessage());
  }

  @Test
  void externalDataWithAbsolutePathIsRejected() throws Exception {
    Path secret = dir.resolve("secret.bin");
    Files.write(secret, le(1f, 2f));
    Path p = dir.resolve("abs.onnx");
    Files.write(p, model(13, convGraph(external(secret.toAbsolutePath().toString(), 0, 8)).build()).toByteArray());
    ExternalDataException e = assertThrows(ExternalDataException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("abs.onnx") && e.getMessage().contains("absolute path"), e.getMessage());
  }

  @Test
  void externalDataThroughSymlinkOutOfTheFolderIsRejected() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    Path secret = dir.resolve("secret.bin");
    Files.write(secret, le(1f, 2f));
    Files.createSymbolicLink(models.resolve("link.bin"), secret);
    Path p = models.resolve("link.onnx");
    Files.write(p, model(13, convGraph(external("link.bin", 0, 8)).build()).toByteArray());
    ExternalDataException e = assertThrows(ExternalDataException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
  }

  @Test
  void externalDataProblems() throws Exception {
    Files.write(dir.resolve("w.bin"), le(1f, 2f));
    Path missing = dir.resolve("missing.onnx");
    Files.write(missing, model(13, convGraph(external("nothere.bin", 0, 8)).build()).toByteArray());
    assertTrue(assertThrows(ModelFormatException.class, () -> OnnxModel.load(missing)).getMessage().contains("does not exist"));

    Path tooLong = dir.resolve("long.onnx");
    Files.write(tooLong, model(13, convGraph(external("w.bin", 4, 8)).build()).toByteArray());
    String msg = assertThrows(ModelFormatException.class, () -> OnnxModel.load(tooLong)).getMessage();
    assertTrue(msg.contains("long.onnx") && msg.contains("holds only 8"), msg);

    Path wrongLength = dir.resolve("len.onnx");
    Files.write(wrongLength, model(13, convGraph(external("w.bin", 0, 4)).build()).toByteArray());
    msg = assertThrows(ModelFormatException.class, () -> OnnxModel.load(wrongLength)).getMessage();
    assertTrue(msg.contains("length 4 bytes") && msg.contains("needs 8"), msg);

    byte[] inMemory = model(13, convGraph(external("w.bin", 0, 8)).build()).toByteArray();
    msg = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(inMemory, "memory.onnx")).getMessage();
    assertTrue(msg.contains("memory.onnx") && msg.contains("external file 'w.bin'"), msg);
  }

  @Test
  void malformedAttributes() throws Exception {
    GraphProto g = convGraph(weight()).setNode(0, node("Conv", List.of("x", "w"), List.of("y"), Protos.s("auto_pad", "SIDEWAYS"))).build();
    String msg = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(model(13, g).toByteArray(), "pad.onnx")).getMessage();
    assertTrue(msg.contains("pad.onnx") && msg.contains("invalid auto_pad 'SIDEWAYS'"), msg);

    GraphProto g2 = convGraph(weight()).setNode(0, node("Conv", List.of("x", "w"), List.of("y"), Protos.f("group", 1f))).build();
    msg = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(model(13, g2).toByteArray(), "grp.onnx")).getMessage();
    assertTrue(msg.contains("'group' is FLOAT, expected INT"), msg);

    GraphProto g3 = convGraph(weight()).setNode(0, node("Conv", List.of("x", "w"), List.of("y"), Protos.ints("pads", 1, 1))).build();
    msg = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(model(13, g3).toByteArray(), "pads.onnx")).getMessage();
    assertTrue(msg.contains("does not have 4 values"), msg);
  }

  @Test
  void inconsistentShapesAreReported() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(floats("a", 2, 3)).addInput(floats("b", 4, 5))
        .addNode(node("MatMul", List.of("a", "b"), List.of("y"))).addOutput(floats("y")).build();
    String msg = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(model(13, g).toByteArray(), "mm.onnx")).getMessage();
    assertTrue(msg.contains("mm.onnx") && msg.contains("inner dimensions differ"), msg);
  }
}
