package io.quantkit.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.collect.ImmutableList;
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
 * Where ONNX Runtime spends a run, from its own profiler ({@code SessionOptions.enableProfiling}):
 * each kernel's time over the measured runs (warm-up runs excluded), in execution order, and the
 * sum per operator type ({@code op_name}: the kernel ORT executes after its graph rewrites, e.g.
 * {@code QLinearConv}, not the QDQ model's Conv). Every figure is a median over the runs, so a run
 * that the scheduler interrupted does not move it.
 */
record OrtOpProfile(double runMicros, ImmutableList<Kernel> kernels) {

  /** One node as ORT ran it: name, operator, output shape, median and fastest microseconds per run. */
  record Kernel(String node, String op, String outputShape, double medianMicros, double minMicros) {}

  /** Median microseconds per run by operator type, largest first. */
  ImmutableMap<String, Double> microsPerOp() {
    Map<String, Double> m = new LinkedHashMap<>();
    kernels.forEach(k -> m.merge(k.op(), k.medianMicros(), Double::sum));
    Map<String, Double> sorted = new LinkedHashMap<>();
    m.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return ImmutableMap.copyOf(sorted);
  }

  ImmutableMap<String, Integer> kernelsPerOp() {
    Map<String, Integer> m = new LinkedHashMap<>();
    kernels.forEach(k -> m.merge(k.op(), 1, Integer::sum));
    return ImmutableMap.copyOf(m);
  }

  /** The convolution kernels (Conv, QLinearConv, ...) in execution order. */
  List<Kernel> convolutions() {
    return kernels.stream().filter(k -> k.op().contains("Conv")).toList();
  }

  /** Microseconds per run spent in kernels (the rest of {@link #runMicros} is the executor's own work). */
  double kernelMicros() {
    return kernels.stream().mapToDouble(Kernel::medianMicros).sum();
  }

  /**
   * Each kernel's fastest run, summed: on a busy machine the closest estimate of what an undisturbed
   * run costs (a kernel the scheduler never interrupted).
   */
  double fastestKernelMicros() {
    return kernels.stream().mapToDouble(Kernel::minMicros).sum();
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

  /** Reads a profile of {@code 2 * measured} runs and keeps the last {@code measured}. */
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
    Map<String, List<Double>> times = new LinkedHashMap<>();
    Map<String, JsonNode> first = new LinkedHashMap<>();
    List<JsonNode> nodes = new ArrayList<>();
    for (JsonNode e : events) {
      if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time") && e.path("ts").asLong() >= from) {
        nodes.add(e);
      }
    }
    nodes.sort(Comparator.comparingLong(e -> e.path("ts").asLong()));
    for (JsonNode e : nodes) {
      String name = e.path("name").asText();
      first.putIfAbsent(name, e);
      times.computeIfAbsent(name, n -> new ArrayList<>()).add(e.path("dur").asDouble());
    }
    ImmutableList.Builder<Kernel> kernels = ImmutableList.builder();
    first.forEach((name, e) -> {
      Stats s = Stats.of(times.get(name));
      String node = name.substring(0, name.length() - "_kernel_time".length());
      kernels.add(new Kernel(node, e.path("args").path("op_name").asText("?"), shape(e.path("args").path("output_type_shape")), s.median(),
          s.min()));
    });
    List<Double> runTimes = kept.stream().map(e -> e.path("dur").asDouble()).toList();
    return new OrtOpProfile(Stats.of(runTimes).median(), kernels.build());
  }

  /** {@code [{"uint8": [32, 32, 32, 16]}]} -> {@code uint8 [32, 32, 32, 16]}. */
  private static String shape(JsonNode outputs) {
    List<String> parts = new ArrayList<>();
    for (JsonNode o : outputs) {
      o.fields().forEachRemaining(f -> parts.add(f.getKey() + " " + f.getValue().toString().replace(",", ", ")));
    }
    return String.join("; ", parts);
  }
}
