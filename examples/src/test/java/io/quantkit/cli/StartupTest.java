package io.quantkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What `quantkit eval --limit 1` loads on a warm cache, in a fresh JVM: no HTTP client (it cost
 * about a second of every start before it was built lazily). Counts classes, never time.
 */
class StartupTest {

  @Test
  void evalOnAWarmCacheBuildsNoHttpClient(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("classes.txt");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-Xlog:class+load=info:file=" + log, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "eval", "--limit", "1");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "eval --limit 1 finished");
    String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("top-1"), out);
    String classes = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(classes.contains("io.quantkit.keras.KerasModel"), "the log covers the run");
    assertFalse(classes.contains("jdk.internal.net.http.HttpClientImpl"), "an HTTP client was built on a warm cache");
  }
}
