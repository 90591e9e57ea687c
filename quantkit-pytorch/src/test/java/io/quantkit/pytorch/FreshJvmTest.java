package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.quant.CalibrationMethod;
import io.quantkit.quant.Qdq;
import io.quantkit.quant.QuantPlan;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A .pt written by quantkit (FP32 and INT8 ResNet8) opened in a fresh JVM through DJL gives the
 * outputs of this JVM bit for bit, and that JVM gets PyTorch's natives from the jars with the
 * network unreachable: {@code ai.djl.offline=true}, every HTTP(S) connection sent to a proxy at
 * an unroutable address (192.0.2.1, RFC 5737 TEST-NET-1), and an empty DJL cache folder, which
 * DJL must fill from the pytorch-native-cpu jar.
 */
@Tag("integration")
class FreshJvmTest {

  @Test
  void quantkitTorchScriptLoadsInAFreshOfflineJvmAndGivesIdenticalOutputs(@TempDir Path work) throws Exception {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph fp32 = KerasModel.load(home.resnet8Model());
    QuantPlan plan = Calibration.builder().method(CalibrationMethod.MINMAX).perChannelWeights(true).build()
        .calibrate(fp32, Cifar10.train(home).limit(100), Backends.named("onnx"));
    Graph int8 = Qdq.quantize(fp32, plan).graph();
    Path fp32File = work.resolve("resnet8.pt");
    Path int8File = work.resolve("resnet8-int8.pt");
    TorchScriptModel.save(fp32, fp32File);
    TorchScriptModel.save(int8, int8File);
    Tensor images = Cifar10.test(home).batch(0, 16).images();
    ByteBuffer in = ByteBuffer.allocate(images.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
    in.asFloatBuffer().put(images.floatBuffer());
    Files.write(work.resolve("input.bin"), in.array());
    List<float[]> here = new ArrayList<>();
    for (Path f : List.of(fp32File, int8File)) {
      try (Runner r = new PyTorchBackend().open(f, RunnerOptions.defaults())) {
        here.add(r.run(images).toFloatArray());
      }
    }

    Path cache = Files.createDirectories(work.resolve("djl-cache"));
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true",
        "-DDJL_CACHE_DIR=" + cache,
        "-DENGINE_CACHE_DIR=" + cache,
        "-Djava.net.useSystemProxies=false",
        "-Dhttp.proxyHost=192.0.2.1", "-Dhttp.proxyPort=9",
        "-Dhttps.proxyHost=192.0.2.1", "-Dhttps.proxyPort=9",
        "-Dsun.net.client.defaultConnectTimeout=3000", "-Dsun.net.client.defaultReadTimeout=3000",
        "-cp", System.getProperty("java.class.path"),
        FreshJvmMain.class.getName(), work.toString(), fp32File.toString(), int8File.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeAll(List.of("DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "PYTORCH_LIBRARY_PATH",
        "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"));
    Process p = pb.start();
    assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the fresh JVM did not finish in 4 minutes");
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.println("fresh JVM: " + log.strip().replace('\n', ' '));
    assertEquals(0, p.exitValue(), log);
    assertTrue(log.contains("network unreachable"), log);

    try (Stream<Path> files = Files.walk(cache)) {
      Path lib = files.filter(f -> f.getFileName().toString().equals("libtorch_cpu.so")).findFirst()
          .orElseThrow(() -> new AssertionError("no libtorch_cpu.so extracted under " + cache));
      assertTrue(Files.size(lib) > 100_000_000L, "libtorch_cpu.so extracted from the jar: " + Files.size(lib) + " bytes");
    }
    assertArrayEquals(here.get(0), read(work.resolve("resnet8.pt.out")), "FP32 outputs differ between JVMs");
    assertArrayEquals(here.get(1), read(work.resolve("resnet8-int8.pt.out")), "INT8 outputs differ between JVMs");
  }

  private static float[] read(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    float[] out = new float[raw.length / 4];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
