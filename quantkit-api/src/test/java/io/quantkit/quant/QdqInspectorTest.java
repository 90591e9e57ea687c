package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantkit.ModelFormatException;
import io.quantkit.ir.Graph;
import io.quantkit.quant.InspectionReport.AddScales;
import io.quantkit.quant.InspectionReport.TensorQuantization;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QdqInspectorTest {
  @Test
  void reportsCountsParamsAddRatiosAndWeightBytes() throws Exception {
    Graph g = QdqTest.convReluAddGemm(false);
    QuantPlan plan = QdqTest.handPlan(g, QuantOptions.defaults());
    Graph q = Qdq.quantize(g, plan).graph();
    InspectionReport r = QdqInspector.inspect(q);
    // structure: 6 Q + 13 DQ + conv1, conv2, add, gap, flatten, dense, softmax
    assertEquals(6, r.quantizeLinear());
    assertEquals(13, r.dequantizeLinear());
    assertEquals(26, r.nodes());
    assertEquals(6.0 / 26, r.quantizeShare(), 1e-12);
    assertEquals(2, r.opCounts().get("Conv"));
    // the Add of conv2's output and relu1's output, with their scales from the plan
    assertEquals(1, r.adds().size());
    AddScales add = r.adds().get(0);
    assertEquals("add", add.node());
    assertEquals("c2", add.inputA());
    assertEquals("r1", add.inputB());
    float sc2 = plan.params("c2").orElseThrow().scale();
    float sr1 = plan.params("r1").orElseThrow().scale();
    assertEquals(Math.max(sc2, sr1) / Math.min(sc2, sr1), add.ratio(), 1e-6);
    // per-tensor table
    TensorQuantization x = r.tensors().stream().filter(t -> t.tensor().equals("x")).findFirst().orElseThrow();
    assertEquals("ACTIVATION", x.role());
    assertEquals(plan.params("x").orElseThrow().scale(), x.scales()[0]);
    assertEquals(plan.params("x").orElseThrow().zeroPoint(), x.zeroPoints()[0]);
    TensorQuantization w1 = r.tensors().stream().filter(t -> t.tensor().equals("w1_quantized")).findFirst().orElseThrow();
    assertEquals("WEIGHT", w1.role());
    assertEquals(QuantType.INT8, w1.type());
    assertEquals(0, w1.axis());
    assertEquals(3, w1.scales().length);
    assertEquals(3, r.tensors().stream().filter(t -> t.role().equals("BIAS")).count());
    // weights: w1 3x2x3x3=54, w2 3x3x3x3=81, w3 3x5=15 INT8; biases 3+3+5=11 INT32
    long elements = 54 + 81 + 15 + 11;
    assertEquals(4 * elements, r.weights().fp32Bytes());
    assertEquals(54 + 81 + 15 + 4 * 11, r.weights().storedBytes());
    assertEquals(6, r.weights().quantizedTensors());
    assertEquals(0, r.weights().floatTensors());
    long fp32Original = g.initializers().values().stream().mapToLong(t -> 4L * t.size()).sum();
    assertEquals(fp32Original, r.weights().fp32Bytes());
    // text and JSON
    String text = r.toText();
    assertTrue(text.contains("6 QuantizeLinear") && text.contains("13 DequantizeLinear") && text.contains("w1_quantized"), text);
    JsonNode json = new ObjectMapper().readTree(r.toJson());
    assertEquals(6, json.get("quantizeLinear").asInt());
    assertEquals(add.ratio(), json.get("adds").get(0).get("ratio").asDouble(), 1e-9);
    assertEquals(4 * elements, json.get("weights").get("fp32Bytes").asLong());
    assertEquals(InspectionReport.FORMAT, json.get("format").asText());
  }

  @Test
  void savesAndLoadsTheJsonForm(@TempDir Path dir) throws Exception {
    Graph g = QdqTest.convReluAddGemm(false);
    InspectionReport r = QdqInspector.inspect(Qdq.quantize(g, QdqTest.handPlan(g, QuantOptions.defaults())).graph());
    Path file = dir.resolve("inspect.json");
    r.save(file);
    assertEquals(r, InspectionReport.load(file));
    // the form written before the format tag still loads
    ObjectNode tree = (ObjectNode) new ObjectMapper().readTree(r.toJson());
    tree.remove("format");
    assertEquals(r, InspectionReport.fromJson(tree.toString()));
    tree.put("format", "quantkit.inspection/7");
    assertThrows(ModelFormatException.class, () -> InspectionReport.fromJson(tree.toString()));
    // arrays are copies: changing one handed out changes nothing
    float[] scales = r.tensors().get(0).scales();
    scales[0] = -1;
    assertTrue(r.tensors().get(0).scales()[0] > 0);
  }

  @Test
  void fp32GraphHasNothingQuantized() {
    Graph g = QdqTest.convReluAddGemm(false);
    InspectionReport r = QdqInspector.inspect(g);
    assertEquals(0, r.quantizeLinear());
    assertEquals(0, r.dequantizeLinear());
    assertTrue(r.adds().isEmpty());
    long bytes = g.initializers().values().stream().mapToLong(Tensor::size).sum() * 4;
    assertEquals(bytes, r.weights().fp32Bytes());
    assertEquals(bytes, r.weights().storedBytes());
    assertEquals(1.0, r.weights().compression(), 1e-12);
  }
}
