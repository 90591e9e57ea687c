package io.quantkit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtOpProfileTest {
  @TempDir Path dir;

  /** Four runs of two kernels each, in ONNX Runtime's trace format; the first two are warm-up. */
  @Test
  void sumsKernelTimesOfTheMeasuredRunsByOperator() throws IOException {
    StringBuilder json = new StringBuilder("[");
    long ts = 1000;
    int[] convDur = {900, 800, 100, 120};
    for (int run = 0; run < 4; run++) {
      json.append(event("Session", "model_run", ts, 300 + run, "")).append(',');
      json.append(event("Node", "conv1_kernel_time", ts + 1, convDur[run], "QLinearConv")).append(',');
      json.append(event("Node", "add_kernel_time", ts + 2, 40, "QLinearAdd")).append(',');
      json.append(event("Node", "add_fence_before", ts + 2, 5, "QLinearAdd")).append(',');
      ts += 1000;
    }
    json.setLength(json.length() - 1);
    Path file = Files.writeString(dir.resolve("p.json"), json.append(']'));

    OrtOpProfile p = OrtOpProfile.parse(file, 2);

    assertEquals((302 + 303) / 2.0, p.runMicros(), 1e-9);
    assertEquals(List.of("QLinearConv", "QLinearAdd"), List.copyOf(p.microsPerOp().keySet()));
    assertEquals(110.0, p.microsPerOp().get("QLinearConv"), 1e-9);
    assertEquals(40.0, p.microsPerOp().get("QLinearAdd"), 1e-9);
    assertEquals(1, p.kernelsPerOp().get("QLinearConv"));
    assertEquals(150.0, p.kernelMicros(), 1e-9);
    OrtOpProfile.Kernel conv = p.convolutions().get(0);
    assertEquals("conv1", conv.node());
    assertEquals("uint8 [32, 32, 32, 16]", conv.outputShape());
    assertEquals(100.0, conv.minMicros(), 1e-9);
  }

  @Test
  void aProfileWithoutRunsIsAnError() throws IOException {
    Path file = Files.writeString(dir.resolve("empty.json"), "[]");
    assertThrows(IOException.class, () -> OrtOpProfile.parse(file, 1));
  }

  private static String event(String cat, String name, long ts, long dur, String op) {
    return "{\"cat\":\"" + cat + "\",\"name\":\"" + name + "\",\"ts\":" + ts + ",\"dur\":" + dur + ",\"ph\":\"X\",\"args\":"
        + (op.isEmpty() ? "{}" : "{\"op_name\":\"" + op + "\",\"output_type_shape\":[{\"uint8\":[32,32,32,16]}]}") + "}";
  }
}
