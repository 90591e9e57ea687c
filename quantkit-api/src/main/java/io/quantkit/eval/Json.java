package io.quantkit.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantkit.QuantkitException;
import io.quantkit.internal.AtomicFiles;
import io.quantkit.internal.JsonFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The JSON conventions of report files. */
final class Json {
  private static final ObjectMapper MAPPER = JsonFiles.mapper();

  private Json() {}

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new QuantkitException("cannot write " + value.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
    }
  }

  static <T> T read(String json, Class<T> type, String what) {
    return JsonFiles.parse(json, type, what, what + " JSON", QuantkitException::new);
  }

  /** One-line errors: file, JSON path, what is wrong ({@link JsonFiles#read}). */
  static <T> T read(Path file, Class<T> type, String what) {
    return JsonFiles.read(file, type, what, QuantkitException::new);
  }

  /** Temporary file in the same folder, then an atomic rename: readers never see half a file. */
  static void writeAtomically(Path file, String content) {
    try {
      JsonFiles.writeAtomically(file, content);
    } catch (IOException e) {
      throw new QuantkitException("cannot write " + file + ": " + AtomicFiles.reason(e), e);
    }
  }
}
