package io.quantkit.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.collect.ImmutableMap;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where ONNX Runtime spends a run, per operator type, from its own profiler
 * ({@code SessionOptions.enableProfiling}): the kernel times of the measured runs (warm-up runs
 * excluded), summed by {@code op_name} (the kernel ORT executes after its graph rewrites, e.g.
 * {@code QLinearConv}, not the QDQ model's Conv).
 */
record OrtOpProfile(double runMicros, ImmutableMap<String, Double> microsPerOp, ImmutableMap<String, Integer> kernelsPerOp) {

  /** Microseconds per run spent in kernels (the rest of {@link #runMicros} is the executor's own work). */
  double kernelMicros() {
    return microsPerOp.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  static OrtOpProfile measure(byte[] model, Tensor input, int threads, int runs, Path folder) throws OrtException, IOException {
    Files.createDirectories(folder);
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit");
    String file;
    try (OrtSession.SessionOptions so = OrtRawBenchmark.sessionOptions(threads, false)) {
      so.enableProfiling(folder.resolve("ort-profile").toString());
      FloatBuffer direct = ByteBuffer.allocateDirect(input.size() * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
      direct.put(input.floatBuffer()).rewind();
      try (OrtSession session = env.createSession(model, so);
          OnnxTensor tensor = OnnxTensor.createTensor(env, direct, input.shape().toLongArray())) {
        Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), tensor);
        for (int i = 0; i < 2 * runs; i++) {
          session.run(feed).close();
        }
        file = session.endProfiling();
      }
    }
    return parse(Path.of(file), runs);
  }

  /** Reads the profile of {@code 2 * measured} runs and keeps the last {@code measured}. */
  static OrtOpProfile parse(Path file, int measured) throws IOException {
    JsonNode events = new ObjectMapper().readTree(file.toFile());
    List<JsonNode> runs = new ArrayList<>();
    for (JsonNode e : events) {
      if ("Session".equals(e.path("cat").asText()) && "model_run".equals(e.path("name").asText())) {
        runs.add(e);
      }
    }
    runs.sort(Comparator.comparingLong(e -> e.path("ts").asLong()));
    List<JsonNode> kept = runs.subList(Math.max(0, runs.size() - measured), runs.size());
    if (kept.isEmpty()) {
      throw new IOException("ONNX Runtime's profile " + file + " holds no model_run event");
    }
    long from = kept.get(0).path("ts").asLong();
    double runTotal = kept.stream().mapToDouble(e -> e.path("dur").asDouble()).sum();
    Map<String, Double> perOp = new LinkedHashMap<>();
    Map<String, Integer> kernels = new LinkedHashMap<>();
    for (JsonNode e : events) {
      if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time") && e.path("ts").asLong() >= from) {
        String op = e.path("args").path("op_name").asText("?");
        perOp.merge(op, e.path("dur").asDouble(), Double::sum);
        kernels.merge(op, 1, Integer::sum);
      }
    }
    Map<String, Double> perRun = new LinkedHashMap<>();
    Map<String, Integer> kernelsPerRun = new LinkedHashMap<>();
    perOp.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).forEach(e -> {
      perRun.put(e.getKey(), e.getValue() / kept.size());
      kernelsPerRun.put(e.getKey(), kernels.get(e.getKey()) / kept.size());
    });
    return new OrtOpProfile(runTotal / kept.size(), ImmutableMap.copyOf(perRun), ImmutableMap.copyOf(kernelsPerRun));
  }
}
