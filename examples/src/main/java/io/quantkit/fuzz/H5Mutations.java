package io.quantkit.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mutations of a Keras HDF5 model. Half edit the {@code model_config} JSON inside the file in
 * place, keeping its length so the HDF5 structure stays valid and the damage reaches the importer:
 * numbers (dimensions, filters, strides) turned huge, zero or negative, layer classes and dtypes
 * swapped, layer names exchanged (dangling references, cycles), a layer config replaced by deep
 * nesting, a broken bracket. The other half damage the HDF5 bytes (headers, sizes, data).
 */
final class H5Mutations {
  private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])-?\\d+(\\.\\d+)?");
  private static final Pattern STRING_VALUE = Pattern.compile("\"([A-Za-z_][A-Za-z0-9_]*)\"");
  private static final String[] CLASSES = {"Conv2D", "Dense", "Add", "ReLU", "Conv3D", "Lambda", "LSTM", "Concatenate",
    "InputLayer", "Activation", "Flatten", "MaxPooling2D", "AveragePooling2D", "BatchNormalization", "Softmax", "Reshape"};

  private H5Mutations() {}

  static ByteMutations.Mutant mutate(byte[] seed, Random r) {
    int[] region = configRegion(seed);
    if (region == null || r.nextBoolean()) {
      return ByteMutations.mutate(seed, r);
    }
    byte[] out = seed.clone();
    String json = new String(seed, region[0], region[1] - region[0], StandardCharsets.ISO_8859_1);
    String edited;
    String what;
    switch (r.nextInt(7)) {
      case 0: {
        Replacement rep = replaceNumber(json, r);
        edited = rep.text;
        what = "model_config " + rep.what;
        break;
      }
      case 1: {
        Replacement rep = replaceClassName(json, r);
        edited = rep.text;
        what = "model_config " + rep.what;
        break;
      }
      case 2: {
        Replacement rep = swapName(json, r);
        edited = rep.text;
        what = "model_config " + rep.what;
        break;
      }
      case 3: {
        String[] types = {"float64", "float16", "int32xx", "uint8xx", "bfloat1", "string_"};
        String t = types[r.nextInt(types.length)];
        edited = json.replace("\"float32\"", "\"" + t + "\"");
        what = "model_config dtype float32 := " + t;
        break;
      }
      case 4: {
        Replacement rep = deepNesting(json, r);
        edited = rep.text;
        what = "model_config " + rep.what;
        break;
      }
      case 5: {
        List<Integer> structural = new ArrayList<>();
        for (int i = 0; i < json.length(); i++) {
          if ("{}[]:,\"".indexOf(json.charAt(i)) >= 0) {
            structural.add(i);
          }
        }
        int at = structural.get(r.nextInt(structural.size()));
        char c = " x}]0\"".charAt(r.nextInt(6));
        edited = json.substring(0, at) + c + json.substring(at + 1);
        what = "model_config char " + at + " '" + json.charAt(at) + "' := '" + c + "'";
        break;
      }
      default: {
        // Several numbers at once, as a converter with a unit mix-up would write them.
        String t = json;
        int n = 2 + r.nextInt(6);
        for (int i = 0; i < n; i++) {
          t = replaceNumber(t, r).text;
        }
        edited = t;
        what = "model_config " + n + " numbers changed";
        break;
      }
    }
    byte[] e = edited.getBytes(StandardCharsets.ISO_8859_1);
    if (e.length != region[1] - region[0]) {
      return ByteMutations.mutate(seed, r);
    }
    System.arraycopy(e, 0, out, region[0], e.length);
    return new ByteMutations.Mutant(out, what);
  }

  private record Replacement(String text, String what) {}

  private static Replacement replaceNumber(String json, Random r) {
    List<int[]> spans = spans(NUMBER, json);
    if (spans.isEmpty()) {
      return new Replacement(json, "(no number)");
    }
    int[] s = spans.get(r.nextInt(spans.size()));
    int len = s[1] - s[0];
    String old = json.substring(s[0], s[1]);
    String v;
    switch (r.nextInt(5)) {
      case 0: v = "9".repeat(len); break;
      case 1: v = len >= 2 ? "-" + "9".repeat(len - 1) : "0"; break;
      case 2: v = "0".repeat(len); break;
      case 3: v = len >= 2 ? "-1" + " ".repeat(len - 2) : "1"; break;
      default: {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < len; i++) {
          b.append((char) ('0' + r.nextInt(10)));
        }
        v = b.toString();
      }
    }
    return new Replacement(json.substring(0, s[0]) + v + json.substring(s[1]), "number " + old + " := " + v.strip());
  }

  private static Replacement replaceClassName(String json, Random r) {
    List<int[]> spans = new ArrayList<>();
    Matcher m = Pattern.compile("\"class_name\": \"([A-Za-z0-9_]+)\"").matcher(json);
    while (m.find()) {
      spans.add(new int[] {m.start(1), m.end(1)});
    }
    if (spans.isEmpty()) {
      return new Replacement(json, "(no class_name)");
    }
    int[] s = spans.get(r.nextInt(spans.size()));
    int len = s[1] - s[0];
    List<String> same = new ArrayList<>();
    for (String c : CLASSES) {
      if (c.length() == len) {
        same.add(c);
      }
    }
    String v = !same.isEmpty() && r.nextBoolean() ? same.get(r.nextInt(same.size())) : "X".repeat(len);
    return new Replacement(json.substring(0, s[0]) + v + json.substring(s[1]),
        "class " + json.substring(s[0], s[1]) + " := " + v);
  }

  /** One occurrence of a name replaced by another name of the same length: dangling or cyclic references. */
  private static Replacement swapName(String json, Random r) {
    List<int[]> spans = spans(STRING_VALUE, json);
    if (spans.size() < 2) {
      return new Replacement(json, "(no names)");
    }
    int[] s = spans.get(r.nextInt(spans.size()));
    List<int[]> same = new ArrayList<>();
    for (int[] o : spans) {
      if (o[1] - o[0] == s[1] - s[0] && !json.substring(o[0], o[1]).equals(json.substring(s[0], s[1]))) {
        same.add(o);
      }
    }
    if (same.isEmpty()) {
      return new Replacement(json, "(no name of the same length)");
    }
    int[] o = same.get(r.nextInt(same.size()));
    String v = json.substring(o[0], o[1]);
    return new Replacement(json.substring(0, s[0]) + v + json.substring(s[1]), "name " + json.substring(s[0], s[1]) + " := " + v);
  }

  /** A whole {...} value replaced by [[[...]]] of the same length: nesting thousands deep. */
  private static Replacement deepNesting(String json, Random r) {
    List<Integer> opens = new ArrayList<>();
    for (int i = 1; i < json.length(); i++) {
      if (json.charAt(i) == '{') {
        opens.add(i);
      }
    }
    if (opens.isEmpty()) {
      return new Replacement(json, "(no object)");
    }
    int start = opens.get(r.nextInt(opens.size()));
    int end = matching(json, start);
    if (end < 0) {
      return new Replacement(json, "(unbalanced)");
    }
    int len = end + 1 - start;
    int half = len / 2;
    String v = "[".repeat(half) + (len % 2 == 1 ? " " : "") + "]".repeat(half);
    return new Replacement(json.substring(0, start) + v + json.substring(end + 1), "object at " + start + " := " + half
        + " nested arrays");
  }

  private static List<int[]> spans(Pattern p, String s) {
    List<int[]> out = new ArrayList<>();
    Matcher m = p.matcher(s);
    while (m.find()) {
      if (p == STRING_VALUE) {
        out.add(new int[] {m.start(1), m.end(1)});
      } else {
        out.add(new int[] {m.start(), m.end()});
      }
    }
    return out;
  }

  /** Where the model_config JSON sits in the file: [start, end) of its outermost object. */
  static int[] configRegion(byte[] b) {
    String text = new String(b, StandardCharsets.ISO_8859_1);
    int start = text.indexOf("{\"class_name\"");
    if (start < 0) {
      return null;
    }
    int end = matching(text, start);
    return end < 0 ? null : new int[] {start, end + 1};
  }

  /** Index of the bracket closing the one at {@code open}, skipping strings; -1 if none. */
  private static int matching(String s, int open) {
    int depth = 0;
    boolean inString = false;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    return -1;
  }
}
