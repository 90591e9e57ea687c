package io.quantkit.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;

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

  /** Plans and reports are kilobytes to a few megabytes; this bounds what a wrong file can cost. */
  private static final long MAX_JSON_BYTES = 256L << 20;

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

  /** Parses {@code json}; a one-line {@link ModelFormatException} (JSON path, what is wrong) when it is not a valid {@code what}. */
  public static <T> T fromJson(String json, Class<T> type, String what) {
    return parse(json, type, what, "the JSON", ModelFormatException::new);
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

  /** Reads a {@code what} from {@code file}; a one-line {@link ModelFormatException} naming the file on any failure. */
  public static <T> T load(Path file, Class<T> type, String what) {
    if (!Files.exists(file)) {
      throw new ModelFormatException(what + " file " + file + " does not exist");
    }
    return read(file, type, what, ModelFormatException::new);
  }

  /**
   * Reads a JSON file of {@code type}. Every failure becomes one line made by {@code error}:
   * the file, where in the JSON (a path such as {@code $.tensors.conv1.scales}) and what is wrong,
   * without the parser's internals; a file that is not UTF-8 says so and where.
   *
   * @param what what the file should be, for messages ("quantization plan")
   * @param error makes the exception to throw from a message and its cause
   */
  public static <T> T read(Path file, Class<T> type, String what, BiFunction<String, Throwable, RuntimeException> error) {
    byte[] bytes;
    try {
      if (Files.exists(file) && !Files.isRegularFile(file)) {
        throw error.apply(file + " is not a " + what + ": not a regular file", null);
      }
      if (Files.size(file) > MAX_JSON_BYTES) {
        throw error.apply(file + " is not a " + what + ": " + Files.size(file) + " bytes, over the " + MAX_JSON_BYTES
            + "-byte limit of quantkit's JSON files", null);
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw error.apply("cannot read " + what + " " + file + ": " + AtomicFiles.reason(e), e);
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw error.apply(file + " is not a " + what + ": not UTF-8 text (invalid byte 0x"
          + String.format(Locale.ROOT, "%02x", bytes[firstInvalidUtf8(bytes)] & 0xFF) + " at offset "
          + firstInvalidUtf8(bytes) + ")", e);
    }
    return parse(text, type, what, file.toString(), error);
  }

  /** Parses {@code json} like {@link #read}; {@code source} names it in messages. */
  public static <T> T parse(String json, Class<T> type, String what, String source,
      BiFunction<String, Throwable, RuntimeException> error) {
    try {
      T value = MAPPER.readValue(json, type);
      if (value == null) {
        throw error.apply(source + " is not a " + what + ": the JSON is null", null);
      }
      return value;
    } catch (JsonProcessingException e) {
      throw error.apply(source + " is not a valid " + what + ": " + describe(e), e);
    } catch (RuntimeException e) {
      if (e instanceof io.quantkit.QuantkitException) {
        throw e;
      }
      // A creator's own checks surface as JsonProcessingException; anything else is a gap there.
      throw error.apply(source + " is not a valid " + what + ": " + e, e);
    }
  }

  /**
   * "at PATH: what is wrong" for a Jackson failure, in one line and in the file's terms (JSON path,
   * expected kind of value), not Jackson's (Java classes, reference chains).
   */
  public static String describe(JsonProcessingException e) {
    String path = path(e);
    String where = path.equals("$") ? "" : "at " + path + ": ";
    String reason;
    if (e instanceof StreamConstraintsException) {
      reason = "the JSON is nested or sized beyond the reader's limits (" + firstClause(e.getOriginalMessage()) + ")";
    } else if (e instanceof StreamReadException) {
      JsonLocation loc = ((StreamReadException) e).getLocation();
      reason = "invalid JSON" + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": "
          + firstLine(e.getOriginalMessage());
    } else if (e instanceof InvalidFormatException) {
      InvalidFormatException f = (InvalidFormatException) e;
      reason = quote(f.getValue()) + " is not " + kind(f.getTargetType());
    } else if (e instanceof ValueInstantiationException && e.getCause() != null) {
      reason = firstLine(e.getCause().getMessage() == null ? e.getCause().toString() : e.getCause().getMessage());
    } else if (e instanceof MismatchedInputException) {
      MismatchedInputException m = (MismatchedInputException) e;
      reason = m.getTargetType() == null ? firstLine(e.getOriginalMessage()) : "expected " + kind(m.getTargetType());
    } else if (e.getCause() != null && e.getCause().getMessage() != null && !(e.getCause() instanceof JsonProcessingException)) {
      reason = firstLine(e.getCause().getMessage());
    } else {
      reason = firstLine(e.getOriginalMessage());
    }
    return where + reason;
  }

  private static String path(JsonProcessingException e) {
    StringBuilder sb = new StringBuilder("$");
    if (e instanceof JsonMappingException) {
      for (JsonMappingException.Reference r : ((JsonMappingException) e).getPath()) {
        if (r.getFieldName() != null) {
          appendField(sb, r.getFieldName());
        } else if (r.getIndex() >= 0) {
          sb.append('[').append(r.getIndex()).append(']');
        }
      }
      return sb.toString();
    }
    if (e.getProcessor() instanceof JsonParser) {
      JsonStreamContext ctx = ((JsonParser) e.getProcessor()).getParsingContext();
      List<String> parts = new ArrayList<>();
      for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
        if (c.inObject() && c.getCurrentName() != null) {
          StringBuilder f = new StringBuilder();
          appendField(f, c.getCurrentName());
          parts.add(f.toString());
        } else if (c.inArray()) {
          parts.add("[" + Math.max(0, c.getCurrentIndex()) + "]");
        }
      }
      Collections.reverse(parts);
      parts.forEach(sb::append);
    }
    return sb.toString();
  }

  private static void appendField(StringBuilder sb, String name) {
    if (name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      sb.append('.').append(name);
    } else {
      sb.append("[\"").append(name.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"]");
    }
  }

  /** How a JSON value of a Java type is described to someone editing the file. */
  private static String kind(Class<?> t) {
    if (t == null) {
      return "a value of the expected kind";
    }
    if (t.isEnum()) {
      List<String> names = new ArrayList<>();
      for (Object c : t.getEnumConstants()) {
        names.add(((Enum<?>) c).name());
      }
      return "one of " + names;
    }
    if (t == float.class || t == Float.class || t == double.class || t == Double.class) {
      return "a number";
    }
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class || t == short.class) {
      return "an integer";
    }
    if (t == boolean.class || t == Boolean.class) {
      return "true or false";
    }
    if (t == String.class) {
      return "a string";
    }
    if (t.isArray() || Collection.class.isAssignableFrom(t)) {
      return "an array";
    }
    return "an object";
  }

  private static String quote(Object v) {
    String s = String.valueOf(v);
    if (s.length() > 40) {
      s = s.substring(0, 40) + "...";
    }
    return v instanceof String ? "\"" + s + "\"" : s;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "malformed";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /** Jackson's limit messages name its own classes in a trailing parenthesis; keep what precedes it. */
  private static String firstClause(String s) {
    String line = firstLine(s);
    int paren = line.indexOf(" (");
    return paren < 0 ? line : line.substring(0, paren);
  }

  private static int firstInvalidUtf8(byte[] bytes) {
    java.nio.charset.CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
    d.decode(in, out, true);
    return Math.min(in.position(), bytes.length - 1);
  }

  /**
   * Writes {@code content} as UTF-8 through {@link AtomicFiles#write}: readers never see half a
   * file, a failure leaves no temporary file behind, and the file gets the permissions a plain
   * write would give it.
   */
  public static void writeAtomically(Path file, String content) throws IOException {
    AtomicFiles.write(file, content.getBytes(StandardCharsets.UTF_8));
  }
}
