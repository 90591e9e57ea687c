package io.quantkit.pytorch;

import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by {@link FreshJvmTest} in a new JVM whose network is unreachable: first shows that DJL's
 * download host cannot be reached, then opens each TorchScript file given, runs the images in
 * {@code input.bin} (float32 little-endian, [n, 32, 32, 3]) and writes the outputs next to it.
 * Arguments: work folder, then .pt files.
 */
public final class FreshJvmMain {
  private FreshJvmMain() {}

  public static void main(String[] args) throws IOException {
    Path work = Path.of(args[0]);
    try (InputStream in = new URL("https://publish.djl.ai/pytorch/2.7.1/files.txt").openStream()) {
      System.out.println("NETWORK REACHABLE");
      in.read();
    } catch (IOException expected) {
      System.out.println("network unreachable: " + expected.getClass().getSimpleName());
    }
    byte[] raw = Files.readAllBytes(work.resolve("input.bin"));
    float[] pixels = new float[raw.length / 4];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(pixels);
    Tensor images = Tensor.wrapFloats(Shape.of(pixels.length / (32 * 32 * 3), 32, 32, 3), pixels);
    PyTorchBackend backend = new PyTorchBackend();
    for (int i = 1; i < args.length; i++) {
      Path file = Path.of(args[i]);
      try (Runner r = backend.open(file, RunnerOptions.defaults())) {
        float[] out = r.run(images).toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(out.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(out);
        Files.write(work.resolve(file.getFileName() + ".out"), b.array());
      }
    }
    System.out.println("torch " + PyTorchEngine.version() + ", quantized engine " + PyTorchEngine.quantizedEngine().orElse("?"));
  }
}
