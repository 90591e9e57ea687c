package io.quantkit.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;

/**
 * The conventions of every JSON file quantkit writes and reads (plans, accuracy and comparison
 * reports, inspection reports), in one place:
 *
 * <ul>
 *   <li>{@code save(Path)} writes atomically (temporary file in the target's folder, then a
 *       rename); a failure is a {@link QuantkitException} naming the file and leaves nothing
 *       behind.
 *   <li>{@code load(Path)} and {@code fromJson(String)} fail with a {@link ModelFormatException}
 *       naming the file (missing, unreadable, malformed, or of a format this version does not
 *       read). No checked exceptions.
 *   <li>Every artifact carries a {@code "format"} tag such as {@code "quantkit.accuracy-report/1"};
 *       readers accept the current tag, the previous one, and files without a tag (written before
 *       tags existed), and reject any other tag.
 * </ul>
 */
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
   * Checks a format tag read from a file: {@code null} (a file from before tags) or one of
   * {@code accepted}; anything else is a {@link ModelFormatException} saying what this version
   * reads. Called from the artifacts' JSON creators.
   */
  public static void checkFormat(String found, String what, Set<String> accepted) {
    if (found != null && !accepted.contains(found)) {
      throw new ModelFormatException(what + " has format '" + found + "'; this version reads " + accepted
          + " and files without a format");
    }
  }

  /** {@code value} as indented JSON. */
  public static String toJson(Object value, String what) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new QuantkitException("cannot write " + what + " as JSON: " + e.getMessage(), e);
    }
  }

  /** Parses {@code json}; {@link ModelFormatException} when it is not a valid {@code what}. */
  public static <T> T fromJson(String json, Class<T> type, String what) {
    try {
      return MAPPER.readValue(json, type);
    } catch (ModelFormatException e) {
      throw e;
    } catch (JsonProcessingException | IllegalArgumentException | NullPointerException | IllegalStateException e) {
      // a value-type constructor rejecting a field arrives wrapped; its message is the useful one
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof ModelFormatException)) {
        cause = cause.getCause();
      }
      if (cause instanceof ModelFormatException) {
        throw (ModelFormatException) cause;
      }
      throw new ModelFormatException("not a valid " + what + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code value} to {@code file} as JSON, atomically; {@link QuantkitException} naming the file on failure. */
  public static void save(Path file, Object value, String what) {
    String json = toJson(value, what);
    try {
      writeAtomically(file, json);
    } catch (IOException | UncheckedIOException e) {
      throw new QuantkitException("cannot write " + what + " " + file + ": " + e, e);
    }
  }

  /** Reads a {@code what} from {@code file}; {@link ModelFormatException} naming the file on any failure. */
  public static <T> T load(Path file, Class<T> type, String what) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(what + " file " + file + " does not exist", e);
    } catch (IOException | UncheckedIOException e) {
      throw new ModelFormatException("cannot read " + what + " file " + file + ": " + e, e);
    }
    try {
      return fromJson(json, type, what);
    } catch (ModelFormatException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
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
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
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
