package io.quantkit.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The JSON conventions of every file quantkit writes (plans, reports). */
public final class JsonFiles {
  /**
   * Indented output; unknown properties are ignored on reading so that files written by a newer
   * version with extra fields still load. Configured once here and never changed afterwards,
   * which is what makes sharing one instance thread-safe.
   */
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private JsonFiles() {}

  /** The shared mapper; callers must not reconfigure it. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Writes {@code content} as UTF-8 into a temporary file in the target's folder (created if
   * missing), then renames it over {@code file} atomically: readers never see half a file, and a
   * failure leaves no temporary file behind.
   */
  public static void writeAtomically(Path file, String content) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    boolean moved = false;
    try {
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } finally {
      if (!moved) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Best effort; the original error is what matters.
        }
      }
    }
  }
}
