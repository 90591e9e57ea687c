package io.quantkit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.collect.ImmutableList;
import com.google.common.io.ByteStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * ONNX Runtime's native build outside the JVM, through {@code onnxruntime-node} (its package holds
 * the CPU binaries for linux-x64, so {@code npm install --ignore-scripts} is enough: the install
 * script would only try to fetch GPU binaries). Installed once into a folder of the caller's choice;
 * every measurement is one {@code node} process running {@code ort-native-bench.cjs} (a resource of
 * this jar, copied next to the installed package).
 */
final class NativeOrt {
  static final String PACKAGE = "onnxruntime-node";
  static final String VERSION = "1.23.2";
  private static final String SCRIPT = "ort-native-bench.cjs";

  private final Path dir;
  private final String node;

  private NativeOrt(Path dir, String node) {
    this.dir = dir;
    this.node = node;
  }

  /**
   * Finds node, installs {@code onnxruntime-node@1.23.2} into {@code dir} when it is not there yet
   * and checks that it loads. Returns why not when any step fails: the native baseline is optional.
   */
  static Result<NativeOrt> setUp(Path folder) {
    // node runs in this folder: a relative script path would be resolved twice
    Path dir = folder.toAbsolutePath();
    Optional<String> node = firstWorking("node", "--version");
    if (node.isEmpty()) {
      return Result.failed("node is not on the PATH (install Node.js 18+ for the native ONNX Runtime baseline)");
    }
    try {
      Files.createDirectories(dir);
      Path installed = dir.resolve("node_modules").resolve(PACKAGE).resolve("package.json");
      if (!Files.exists(installed) || !Files.readString(installed).contains("\"version\": \"" + VERSION + "\"")) {
        if (firstWorking("npm", "--version").isEmpty()) {
          return Result.failed("npm is not on the PATH, and " + PACKAGE + "@" + VERSION + " is not installed in " + dir);
        }
        if (!Files.exists(dir.resolve("package.json"))) {
          Files.writeString(dir.resolve("package.json"), "{\"private\": true, \"description\": \"quantkit native ONNX Runtime baseline\"}\n");
        }
        Exec r = exec(dir, 600, "npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--no-save",
            PACKAGE + "@" + VERSION);
        if (r.status != 0) {
          return Result.failed("npm install --ignore-scripts " + PACKAGE + "@" + VERSION + " failed in " + dir + ": " + r.lastLine());
        }
      }
      try (InputStream in = NativeOrt.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          return Result.failed(SCRIPT + " is missing from the benchmarks jar");
        }
        Files.write(dir.resolve(SCRIPT), ByteStreams.toByteArray(in));
      }
      Exec check = exec(dir, 120, node.get(), "-e", "require('" + PACKAGE + "'); process.stdout.write('ok')");
      if (check.status != 0 || !check.stdout.equals("ok")) {
        return Result.failed(PACKAGE + " does not load in " + dir + ": " + check.lastLine());
      }
    } catch (IOException e) {
      return Result.failed("cannot set up " + PACKAGE + " in " + dir + ": " + e.getMessage());
    }
    return Result.ok(new NativeOrt(dir, node.get()));
  }

  /**
   * Wall-clock and process CPU microseconds per call, one sample per measured iteration, and the
   * ONNX Runtime version that ran.
   */
  record Measured(ImmutableList<Double> samples, ImmutableList<Double> cpuSamples, String ortVersion) {}

  Result<Measured> run(Path model, Path input, int batch, int threads, boolean spin, Profile.Timing t) {
    List<String> cmd = List.of(node, dir.resolve(SCRIPT).toString(), "--model", model.toString(), "--input", input.toString(),
        "--batch", Integer.toString(batch), "--threads", Integer.toString(threads), "--spin", spin ? "1" : "0",
        "--warmup-iterations", Integer.toString(t.warmupIterations()), "--warmup-ms", Integer.toString(t.warmupMillis()),
        "--iterations", Integer.toString(t.iterations()), "--iteration-ms", Integer.toString(t.iterationMillis()));
    try {
      long limit = 120 + (long) (t.warmupIterations() * t.warmupMillis() + t.iterations() * t.iterationMillis()) / 100;
      Exec r = exec(dir, limit, cmd.toArray(String[]::new));
      if (r.status != 0) {
        return Result.failed("native run failed: " + r.lastLine());
      }
      JsonNode json = new ObjectMapper().readTree(r.stdout);
      List<Double> samples = new ArrayList<>();
      json.get("samples").forEach(n -> samples.add(n.asDouble()));
      List<Double> cpu = new ArrayList<>();
      json.path("cpuSamples").forEach(n -> cpu.add(n.asDouble()));
      return Result.ok(new Measured(ImmutableList.copyOf(samples), ImmutableList.copyOf(cpu), json.get("ortVersion").asText()));
    } catch (IOException e) {
      return Result.failed("native run failed: " + e.getMessage());
    }
  }

  /** A value or the reason there is none. */
  record Result<T>(Optional<T> value, String why) {
    static <T> Result<T> ok(T value) {
      return new Result<>(Optional.of(value), "");
    }

    static <T> Result<T> failed(String why) {
      return new Result<>(Optional.empty(), why);
    }
  }

  private record Exec(int status, String stdout, String stderr) {
    /** The error line of a failed command (Node ends its report with its version, npm with a log path). */
    String lastLine() {
      String text = (stderr.isBlank() ? stdout : stderr).strip();
      if (text.isEmpty()) {
        return "exit status " + status;
      }
      String[] lines = text.split("\\R");
      for (String line : lines) {
        if (line.contains("Error") || line.contains("ERR!") || line.startsWith("ort-native-bench:")) {
          return line.strip();
        }
      }
      return lines[lines.length - 1].strip();
    }
  }

  private static Optional<String> firstWorking(String program, String arg) {
    try {
      return exec(Path.of("."), 30, program, arg).status == 0 ? Optional.of(program) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Exec exec(Path cwd, long timeoutSeconds, String... command) throws IOException {
    Path out = Files.createTempFile("quantkit-native", ".out");
    Path err = Files.createTempFile("quantkit-native", ".err");
    try {
      Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Exec(-1, "", String.join(" ", command[0], "timed out after " + timeoutSeconds + " s"));
      }
      return new Exec(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8).strip(),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command[0], e);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }
}
