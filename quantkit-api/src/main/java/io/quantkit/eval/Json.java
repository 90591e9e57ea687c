package io.quantkit.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantkit.QuantkitException;
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
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new QuantkitException("malformed " + what + " JSON: " + e.getMessage(), e);
    }
  }

  static <T> T read(Path file, Class<T> type, String what) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new QuantkitException("cannot read " + what + " " + file + ": " + e, e);
    }
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new QuantkitException("malformed " + what + " in " + file + ": " + e.getMessage(), e);
    }
  }

  /** Temporary file in the same folder, then an atomic rename: readers never see half a file. */
  static void writeAtomically(Path file, String content) {
    try {
      JsonFiles.writeAtomically(file, content);
    } catch (IOException e) {
      throw new QuantkitException("cannot write " + file + ": " + e, e);
    }
  }
}
