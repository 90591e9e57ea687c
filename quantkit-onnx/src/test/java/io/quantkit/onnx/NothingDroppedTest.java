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
import com.google.protobuf.UnknownFieldSet;
import io.quantkit.ModelFormatException;
import io.quantkit.UnsupportedOpsException;
import io.quantkit.ir.Graph;
import io.quantkit.onnx.proto.Onnx.FunctionProto;
import io.quantkit.onnx.proto.Onnx.GraphProto;
import io.quantkit.onnx.proto.Onnx.ModelProto;
import io.quantkit.onnx.proto.Onnx.NodeProto;
import io.quantkit.onnx.proto.Onnx.SparseTensorProto;
import io.quantkit.onnx.proto.Onnx.StringStringEntryProto;
import io.quantkit.onnx.proto.Onnx.TensorAnnotation;
import io.quantkit.onnx.proto.Onnx.TensorProto;
import io.quantkit.onnx.proto.Onnx.TrainingInfoProto;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every part of a ModelProto the IR does not model is carried or refused by name: nothing is
 * dropped so that the model fails later with a misleading message, or worse, runs differently.
 */
class NothingDroppedTest {

  /** y = x + b, b [4]. */
  private static GraphProto.Builder addGraph() {
    return GraphProto.newBuilder().setName("g")
        .addInput(floats("x", 1, 4))
        .addNode(node("Add", List.of("x", "b"), List.of("y")))
        .addOutput(floats("y"));
  }

  private static Graph load(ModelProto m) {
    return OnnxModel.fromBytes(m.toByteArray(), "m.onnx");
  }

  private static String refusal(ModelProto m) {
    return assertThrows(ModelFormatException.class, () -> load(m)).getMessage();
  }

  @Test
  void sparseInitializersAreDensified() {
    // b = [0, 5, 0, 7] stored as values [5, 7] at linear indices [1, 3]
    SparseTensorProto sparse = SparseTensorProto.newBuilder()
        .setValues(floatTensor("b", new long[] {2}, 5f, 7f))
        .setIndices(Protos.longTensor("b_idx", 1, 3))
        .addDims(4).build();
    Graph g = load(model(13, addGraph().addSparseInitializer(sparse).build()));
    assertArrayEquals(new float[] {0, 5, 0, 7}, g.initializers().get("b").toFloatArray());
    Map<String, Tensor> out = ReferenceBackend.execute(g, Map.of("x", Tensor.ofFloats(Shape.of(1, 4), 1, 1, 1, 1)), List.of("y"));
    assertArrayEquals(new float[] {1, 6, 1, 8}, out.get("y").toFloatArray());
  }

  @Test
  void sparseInitializersWithCoordinateIndices() {
    // [2, 2] with values at (0, 1) and (1, 0): indices [NNZ, rank]
    TensorProto idx = TensorProto.newBuilder().setName("i").setDataType(TensorProto.DataType.INT64_VALUE).addDims(2).addDims(2)
        .addAllInt64Data(List.of(0L, 1L, 1L, 0L)).build();
    SparseTensorProto sparse = SparseTensorProto.newBuilder().setValues(floatTensor("b", new long[] {2}, 3f, 4f))
        .setIndices(idx).addDims(2).addDims(2).build();
    GraphProto g = GraphProto.newBuilder().setName("g").addInput(floats("x", 2, 2))
        .addNode(node("Add", List.of("x", "b"), List.of("y"))).addOutput(floats("y")).addSparseInitializer(sparse).build();
    assertArrayEquals(new float[] {0, 3, 4, 0}, load(model(13, g)).initializers().get("b").toFloatArray());
  }

  @Test
  void sparseIndexOutsideTheShapeIsRefused() {
    SparseTensorProto sparse = SparseTensorProto.newBuilder().setValues(floatTensor("b", new long[] {1}, 5f))
        .setIndices(Protos.longTensor("b_idx", 4)).addDims(4).build();
    String msg = refusal(model(13, addGraph().addSparseInitializer(sparse).build()));
    assertTrue(msg.contains("sparse_initializer 'b'") && msg.contains("outside"), msg);
  }

  @Test
  void metadataIsCarried() {
    ModelProto m = model(13, addGraph().addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4))
        .setDocString("graph doc").addMetadataProps(entry("owner", "team")).build()).toBuilder()
        .setDocString("model doc").setDomain("org.example").setModelVersion(3)
        .addMetadataProps(entry("license", "MIT"))
        .addOpsetImport(io.quantkit.onnx.proto.Onnx.OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(3))
        .build();
    Map<String, String> md = load(m).metadata();
    assertEquals("model doc", md.get("onnx.doc_string"));
    assertEquals("graph doc", md.get("onnx.graph.doc_string"));
    assertEquals("team", md.get("onnx.graph.owner"));
    assertEquals("MIT", md.get("license"));
    assertEquals("org.example", md.get("onnx.domain"));
    assertEquals("3", md.get("onnx.model_version"));
    assertEquals("3", md.get("onnx.opset.ai.onnx.ml"));
  }

  @Test
  void functionsAreRefusedByName() {
    ModelProto m = model(13, addGraph().addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4)).build()).toBuilder()
        .addFunctions(FunctionProto.newBuilder().setDomain("custom").setName("Gelu")).build();
    String msg = refusal(m);
    assertTrue(msg.contains("ModelProto.functions") && msg.contains("custom.Gelu"), msg);
  }

  @Test
  void trainingInfoIsRefusedByName() {
    ModelProto m = model(13, addGraph().addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4)).build()).toBuilder()
        .addTrainingInfo(TrainingInfoProto.newBuilder().setAlgorithm(GraphProto.newBuilder().setName("step"))).build();
    assertTrue(refusal(m).contains("ModelProto.training_info"), refusal(m));
  }

  @Test
  void quantizationAnnotationsAreRefusedByName() {
    GraphProto g = addGraph().addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4))
        .addQuantizationAnnotation(TensorAnnotation.newBuilder().setTensorName("y")
            .addQuantParameterTensorNames(entry("SCALE_TENSOR", "y_scale")))
        .build();
    String msg = refusal(model(13, g));
    assertTrue(msg.contains("quantization_annotation") && msg.contains("[y]"), msg);
  }

  @Test
  void unknownFieldsAreRefusedNamingTheField() {
    // NodeProto field 8 is ONNX's "overload", which quantkit's schema leaves out
    NodeProto add = node("Add", List.of("x", "b"), List.of("y")).toBuilder()
        .setUnknownFields(UnknownFieldSet.newBuilder().addField(8, UnknownFieldSet.Field.newBuilder()
            .addLengthDelimited(ByteString.copyFromUtf8("v2")).build()).build())
        .build();
    GraphProto g = GraphProto.newBuilder().setName("g").addInput(floats("x", 1, 4)).addNode(add).addOutput(floats("y"))
        .addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4)).build();
    String msg = refusal(model(13, g));
    assertTrue(msg.contains("ModelProto.graph.node[0]") && msg.contains("'overload' (8)"), msg);
  }

  @Test
  void valueInfoThatContradictsTheModelIsRefused() {
    GraphProto g = addGraph().addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4))
        .addValueInfo(floats("y", 1, 5)).build();
    String msg = refusal(model(13, g));
    assertTrue(msg.contains("value_info") && msg.contains("'y'") && msg.contains("[1, 4]"), msg);
    // an agreeing (or partly unknown) declaration is fine
    load(model(13, addGraph().addInitializer(floatTensor("b", new long[] {4}, 1, 2, 3, 4)).addValueInfo(floats("y", -1, 4)).build()));
  }

  @Test
  void everyUnsupportedNodeIsReportedAtOnceWithCounts() {
    GraphProto g = GraphProto.newBuilder().setName("g").addInput(floats("x", 1, 4))
        .addNode(node("Elu", List.of("x"), List.of("a")))
        .addNode(node("Relu", List.of("a"), List.of("b")))          // reads an unsupported output: skipped, not judged
        .addNode(node("Softplus", List.of("x"), List.of("c")))
        .addNode(node("Elu", List.of("c"), List.of("d")))
        .addNode(node("Relu", List.of("x"), List.of("e"), Protos.i("bogus", 1)))  // supported op, unsupported attribute
        .addNode(node("Elu", List.of("x"), List.of("f")))
        .addOutput(floats("b")).addOutput(floats("d")).addOutput(floats("e")).addOutput(floats("f"))
        .build();
    UnsupportedOpsException e = assertThrows(UnsupportedOpsException.class, () -> load(model(13, g)));
    assertEquals(Map.of("Elu", 3, "Softplus", 1, "Relu", 1), e.countsByOpType());
    assertEquals(List.of("elu_a", "softplus_c", "elu_d", "relu_e", "elu_f"),
        e.nodes().stream().map(n -> n.nodeName()).toList());
    assertTrue(e.getMessage().startsWith("m.onnx: 5 unsupported nodes of 3 op types: Elu x3"), e.getMessage());
    assertEquals("elu_a", e.nodeName(), "the first node, as UnsupportedOpException callers expect");
    assertTrue(!e.getMessage().contains("\n"), "one line");
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }
}
