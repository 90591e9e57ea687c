package io.quantkit.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.ValueInfo;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.QuantPlan;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The playground's HTTP API: refusals, uploads, separate runs, cancellation, cleanup. */
class PlaygroundServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static PlaygroundServer server;

  @BeforeAll
  static void start() throws IOException {
    server = PlaygroundServer.builder().port(0).maxUploadBytes(4 << 20).parallelRuns(2).start();
  }

  @AfterAll
  static void stop() {
    Path temp = server.tempDir();
    server.close();
    assertFalse(Files.exists(temp), "the temporary folder is deleted on close");
  }

  private record Answer(int status, JsonNode body) {}

  private static Answer call(String method, String path, byte[] body, boolean header) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path)).timeout(Duration.ofSeconds(60));
    if (header) {
      b.header("X-Quantkit", "1");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    String type = r.headers().firstValue("Content-Type").orElse("");
    return new Answer(r.statusCode(), type.startsWith("application/json") ? JSON.readTree(r.body()) : null);
  }

  private static Answer post(String path, Object json) throws Exception {
    return call("POST", path, JSON.writeValueAsBytes(json), true);
  }

  private static JsonNode settings(boolean perChannel, int calib, int eval, String backend) {
    return JSON.createObjectNode().put("model", "default").put("method", "minmax").put("activations", "uint8")
        .put("perChannel", perChannel).put("calibImages", calib).put("evalImages", eval).put("backend", backend);
  }

  private static JsonNode waitFor(String id, String... states) throws Exception {
    List<String> wanted = List.of(states);
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode run = call("GET", "/api/runs/" + id, null, false).body();
      if (wanted.contains(run.get("state").asText())) {
        return run;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("run " + id + " never reached " + wanted);
  }

  @Test
  void refusesForeignHostsAndHeaderlessPosts() throws Exception {
    try (Socket s = new Socket(server.uri().getHost(), server.uri().getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /api/config HTTP/1.1\r\nHost: attacker.example:" + server.uri().getPort()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(response.startsWith("HTTP/1.1 403"), response);
    }
    Answer a = call("POST", "/api/runs", JSON.writeValueAsBytes(settings(true, 10, 10, "onnx")), false);
    assertEquals(403, a.status());
    assertTrue(a.body().get("error").asText().contains("X-Quantkit"));
    assertEquals(200, call("GET", "/api/config", null, false).status());
    assertEquals(404, call("GET", "/nothing", null, false).status());
  }

  @Test
  void uploadsAreCheckedSizeLimitedAndNotKeptOnDisk() throws Exception {
    Path uploads = server.tempDir().resolve("uploads");
    // too large: refused while streaming, nothing left behind
    Answer big = call("POST", "/api/models?name=big.onnx", new byte[(4 << 20) + 10], true);
    assertEquals(413, big.status());
    // not a model file type
    assertEquals(400, call("POST", "/api/models?name=notes.txt", new byte[] {1, 2, 3}, true).status());
    // junk content with a model name: a one-line error naming the file, not the temporary path
    Answer junk = call("POST", "/api/models?name=" + "..%2F..%2Fjunk.onnx", new byte[] {1, 2, 3, 4}, true);
    assertEquals(400, junk.status());
    assertTrue(junk.body().get("error").asText().startsWith("junk.onnx"), junk.body().toString());
    assertFalse(junk.body().get("error").asText().contains(uploads.toString()));
    // a model that does not take CIFAR-10 images
    Graph.Builder b = Graph.builder("dense");
    b.input(new ValueInfo("x", DataType.FLOAT32, Shape.of(-1, 4)));
    b.initializer("w", Tensor.ofFloats(Shape.of(4, 2), 1, 2, 3, 4, 5, 6, 7, 8));
    b.node(Node.of("dense", new Op.Gemm(1, 1, false, false), List.of("x", "w"), List.of("y")));
    b.output("y");
    Answer wrong = call("POST", "/api/models?name=dense.onnx", OnnxModel.toBytes(b.build()), true);
    assertEquals(400, wrong.status());
    assertTrue(wrong.body().get("error").asText().contains("[N, 32, 32, 3]"), wrong.body().toString());
    // ResNet8 as ONNX: accepted, listed, its quantizable nodes offered
    Graph resnet8 = KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model());
    Answer ok = call("POST", "/api/models?name=resnet8.onnx", OnnxModel.toBytes(resnet8), true);
    assertEquals(200, ok.status(), String.valueOf(ok.body()));
    assertEquals("resnet8.onnx", ok.body().get("name").asText());
    assertTrue(ok.body().get("nodes").toString().contains("conv2d_1"));
    JsonNode list = call("GET", "/api/models", null, false).body();
    assertTrue(list.toString().contains(ok.body().get("id").asText()));
    try (Stream<Path> left = Files.list(uploads)) {
      assertEquals(0, left.count(), "uploads are deleted once loaded");
    }
  }

  @Test
  void badSettingsAreRefusedBeforeAnythingRuns() throws Exception {
    assertEquals(400, post("/api/runs", settings(true, 0, 10, "onnx")).status());
    assertEquals(400, post("/api/runs", settings(true, 10, 100_000, "onnx")).status());
    assertEquals(400, post("/api/runs", settings(true, 10, 10, "tpu")).status());
    JsonNode unknownNode = ((com.fasterxml.jackson.databind.node.ObjectNode) settings(true, 10, 10, "onnx"))
        .set("exclude", JSON.createArrayNode().add("no_such_layer"));
    Answer a = post("/api/runs", unknownNode);
    assertEquals(400, a.status());
    assertTrue(a.body().get("error").asText().contains("no_such_layer"));
    assertEquals(400, call("POST", "/api/runs", "{\"model\": \"default\", \"surprise\": 1}".getBytes(StandardCharsets.UTF_8), true).status());
    assertEquals(404, post("/api/runs", ((com.fasterxml.jackson.databind.node.ObjectNode) settings(true, 10, 10, "onnx"))
        .put("model", "upload-missing")).status());
  }

  @Test
  void concurrentRunsKeepTheirOwnSettingsAndResults() throws Exception {
    String a = post("/api/runs", settings(true, 30, 60, "onnx")).body().get("id").asText();
    JsonNode keepConv = ((com.fasterxml.jackson.databind.node.ObjectNode) settings(false, 40, 80, "onnx"))
        .set("exclude", JSON.createArrayNode().add("conv2d_1"));
    String b = post("/api/runs", keepConv).body().get("id").asText();
    assertNotEquals(a, b);
    JsonNode ra = waitFor(a, "done", "failed");
    JsonNode rb = waitFor(b, "done", "failed");
    assertEquals("done", ra.get("state").asText(), ra.toString());
    assertEquals("done", rb.get("state").asText(), rb.toString());
    assertEquals(60, ra.get("result").get("int8").get("samples").asInt());
    assertEquals(80, rb.get("result").get("int8").get("samples").asInt());
    QuantPlan pa = QuantPlan.fromJson(new String(download(a, "plan.json"), StandardCharsets.UTF_8));
    QuantPlan pb = QuantPlan.fromJson(new String(download(b, "plan.json"), StandardCharsets.UTF_8));
    assertTrue(pa.options().perChannelWeights());
    assertFalse(pb.options().perChannelWeights());
    assertEquals(30, pa.calibration().samples());
    assertEquals(40, pb.calibration().samples());
    assertEquals(java.util.Set.of("conv2d_1"), pb.options().excludeNodes());
    assertTrue(pa.options().excludeNodes().isEmpty());
    assertFalse(pb.contains("conv2d_1/kernel"), "the layer kept in FP32 has no quantized weight");
    assertTrue(OnnxModel.fromBytes(download(a, "model.qdq.onnx"), "a").nodes().size() > 50);
    assertTrue(new String(download(b, "report.html"), StandardCharsets.UTF_8).contains("Content-Security-Policy"));
  }

  @Test
  void cancellingStopsQueuedAndRunningRuns() throws Exception {
    // the reference executor calibrating 2,000 images takes long enough to be caught running
    String slow = post("/api/runs", settings(true, 2000, 1000, "reference")).body().get("id").asText();
    String slow2 = post("/api/runs", settings(true, 2000, 1000, "reference")).body().get("id").asText();
    String queued = post("/api/runs", settings(true, 10, 10, "onnx")).body().get("id").asText();
    waitFor(slow, "running");
    assertEquals("cancelled", post("/api/runs/" + queued + "/cancel", JSON.createObjectNode()).body().get("state").asText());
    post("/api/runs/" + slow + "/cancel", JSON.createObjectNode());
    post("/api/runs/" + slow2 + "/cancel", JSON.createObjectNode());
    assertEquals("cancelled", waitFor(slow, "cancelled", "done", "failed").get("state").asText());
    assertEquals("cancelled", waitFor(slow2, "cancelled", "done", "failed").get("state").asText());
    assertEquals(409, call("GET", "/api/runs/" + slow + "/model.qdq.onnx", null, false).status());
    Thread.sleep(300);
    assertEquals("cancelled", call("GET", "/api/runs/" + queued, null, false).body().get("state").asText(),
        "a run cancelled in the queue never starts");
  }

  private static byte[] download(String id, String file) throws Exception {
    HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("/api/runs/" + id + "/" + file)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), file);
    return r.body();
  }
}
