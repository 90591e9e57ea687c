package io.quantkit.fuzz;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Mutations of a JSON document that keep it JSON (wrong types, extreme and absurd numbers,
 * deleted and unknown fields, resized arrays, deep nesting, long strings), plus byte-level damage
 * of its text (bad UTF-8, truncation, a stray byte).
 */
final class JsonMutations {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final String DEEP = "__quantkit_fuzz_deep__";

  private JsonMutations() {}

  static ByteMutations.Mutant mutate(byte[] seed, Random r) {
    int kind = r.nextInt(10);
    if (kind >= 8) {
      return ByteMutations.mutate(seed, r);
    }
    if (kind == 7) {
      return textDamage(seed, r);
    }
    JsonNode root;
    try {
      root = JSON.readTree(seed);
    } catch (java.io.IOException e) {
      return ByteMutations.mutate(seed, r);
    }
    int n = 1 + (r.nextInt(3) == 0 ? r.nextInt(3) : 0);
    StringBuilder what = new StringBuilder();
    for (int i = 0; i < n; i++) {
      what.append(i == 0 ? "" : " + ").append(mutateTree(root, r));
    }
    String text;
    try {
      text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + DEEP + "(\\d+)\"").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int depth = Integer.parseInt(m.group(1));
      m.appendReplacement(out, "[".repeat(depth) + "1" + "]".repeat(depth));
    }
    m.appendTail(out);
    return new ByteMutations.Mutant(out.toString().getBytes(StandardCharsets.UTF_8), what.toString());
  }

  /** A location in the tree: a field of an object or an element of an array. */
  private record Slot(JsonNode parent, String field, int index, String path) {
    JsonNode get() {
      return field != null ? parent.get(field) : parent.get(index);
    }

    void set(JsonNode value) {
      if (field != null) {
        ((ObjectNode) parent).set(field, value);
      } else {
        ((ArrayNode) parent).set(index, value);
      }
    }

    void remove() {
      if (field != null) {
        ((ObjectNode) parent).remove(field);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static String mutateTree(JsonNode root, Random r) {
    List<Slot> slots = new ArrayList<>();
    collect(root, "$", slots, 0);
    if (slots.isEmpty()) {
      return "empty document left as it is";
    }
    Slot s = slots.get(r.nextInt(slots.size()));
    JsonNode old = s.get();
    switch (r.nextInt(9)) {
      case 0:
        s.set(F.textNode(new String[] {"abc", "", "NaN", "-Infinity", "1e999", "\u0000", "../../etc/passwd"}[r.nextInt(7)]));
        return s.path() + " := a string";
      case 1: {
        double[] numbers = {0, -1, -0.03, 1e-45, 1.4e-45, 1e-39, 3.4e38, 1e308, -1e308, 0.5, 255.5, 1e10, -2147483649.0};
        s.set(F.numberNode(numbers[r.nextInt(numbers.length)]));
        return s.path() + " := " + s.get();
      }
      case 2: {
        long[] ints = {0, -1, 1, 255, 256, -129, 2147483647L, -2147483648L, 2147483648L, Long.MAX_VALUE, Long.MIN_VALUE, 1000000};
        s.set(F.numberNode(ints[r.nextInt(ints.length)]));
        return s.path() + " := " + s.get();
      }
      case 3:
        s.set(new JsonNode[] {F.nullNode(), F.booleanNode(true), F.arrayNode(), F.objectNode()}[r.nextInt(4)]);
        return s.path() + " := " + s.get();
      case 4:
        s.remove();
        return "removed " + s.path();
      case 5: {
        // Deep nesting: the value wrapped in hundreds to thousands of arrays. Spliced into the text
        // after writing, because JSON writers refuse to write what this tests readers with.
        int depth = new int[] {50, 400, 999, 1500, 5000}[r.nextInt(5)];
        s.set(F.textNode(DEEP + depth));
        return s.path() + " nested " + depth + " arrays deep";
      }
      case 6: {
        if (old.isArray() && old.size() > 0) {
          ArrayNode a = (ArrayNode) old;
          if (r.nextBoolean()) {
            int extra = 1 + r.nextInt(Math.max(1, a.size()));
            for (int i = 0; i < extra; i++) {
              a.add(a.get(r.nextInt(a.size())).deepCopy());
            }
            return s.path() + " grew by " + extra + " elements";
          }
          int keep = r.nextInt(a.size());
          while (a.size() > keep) {
            a.remove(a.size() - 1);
          }
          return s.path() + " cut to " + keep + " elements";
        }
        if (old.isObject()) {
          ((ObjectNode) old).put("unexpected_" + r.nextInt(100), r.nextInt());
          return s.path() + " got an unknown field";
        }
        s.set(F.textNode("x".repeat(1 << (10 + r.nextInt(11)))));
        return s.path() + " := a long string";
      }
      case 7: {
        // A sibling's value in its place: right JSON kind, wrong meaning (names swapped, shapes mixed).
        Slot other = slots.get(r.nextInt(slots.size()));
        s.set(other.get() == null ? F.nullNode() : other.get().deepCopy());
        return s.path() + " := the value of " + other.path();
      }
      default: {
        if (old.isNumber()) {
          s.set(F.numberNode(old.asDouble() * (r.nextBoolean() ? -1 : 1e6)));
          return s.path() + " scaled to " + s.get();
        }
        if (old.isTextual()) {
          s.set(F.textNode(old.asText() + "_x"));
          return s.path() + " renamed";
        }
        s.set(F.numberNode(r.nextInt()));
        return s.path() + " := an integer";
      }
    }
  }

  private static void collect(JsonNode node, String path, List<Slot> out, int depth) {
    if (depth > 20) {
      return;
    }
    if (node.isObject()) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        String p = path + "." + f;
        out.add(new Slot(node, f, -1, p));
        collect(node.get(f), p, out, depth + 1);
      }
    } else if (node.isArray()) {
      // Long arrays (predictions, scales): a few elements stand for all.
      int n = node.size();
      for (int i = 0; i < n; i += n > 8 ? 1 + n / 8 : 1) {
        String p = path + "[" + i + "]";
        out.add(new Slot(node, null, i, p));
        collect(node.get(i), p, out, depth + 1);
      }
    }
  }

  /** Damage a JSON text keeps no JSON tool from seeing: encodings, a BOM, non-standard tokens. */
  private static ByteMutations.Mutant textDamage(byte[] seed, Random r) {
    String text = new String(seed, StandardCharsets.UTF_8);
    switch (r.nextInt(6)) {
      case 0: {
        // A Latin-1 byte inside a string: not UTF-8.
        int at = text.indexOf('"', r.nextInt(Math.max(1, text.length())));
        byte[] b = seed.clone();
        if (at >= 0 && at + 1 < b.length) {
          b[at + 1] = (byte) 0xE9;
        } else {
          b[r.nextInt(b.length)] = (byte) 0xFF;
        }
        return new ByteMutations.Mutant(b, "invalid UTF-8 byte");
      }
      case 1: {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] b = new byte[seed.length + 3];
        System.arraycopy(bom, 0, b, 0, 3);
        System.arraycopy(seed, 0, b, 3, seed.length);
        return new ByteMutations.Mutant(b, "UTF-8 byte order mark");
      }
      case 2:
        return new ByteMutations.Mutant(text.replaceFirst("(-?\\d+\\.\\d+)", "NaN").getBytes(StandardCharsets.UTF_8),
            "NaN token for a number");
      case 3:
        return new ByteMutations.Mutant(text.getBytes(StandardCharsets.UTF_16LE), "UTF-16 encoded");
      case 4: {
        int cut = r.nextInt(Math.max(1, text.length()));
        return new ByteMutations.Mutant(text.substring(0, cut).getBytes(StandardCharsets.UTF_8), "text cut at " + cut);
      }
      default: {
        // A duplicated key: the second value silently wins in most JSON readers.
        int brace = text.indexOf('{');
        String dup = text.substring(0, brace + 1) + "\"graph\": 42, " + text.substring(brace + 1);
        return new ByteMutations.Mutant(dup.getBytes(StandardCharsets.UTF_8), "duplicated/added key");
      }
    }
  }
}
