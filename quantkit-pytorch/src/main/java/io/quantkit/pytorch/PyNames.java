package io.quantkit.pytorch;

import java.util.HashSet;
import java.util.Set;

/**
 * Python identifiers for IR names (tensor, node and graph names may hold '/', ':', '.'), unique
 * within one scope. Not thread-safe.
 */
final class PyNames {
  /** Python keywords and names TorchScript's serialized-code environment binds. */
  private static final Set<String> RESERVED = Set.of(
      "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
      "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
      "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
      "self", "torch", "ops", "annotate", "Tensor", "List", "Tuple", "Optional", "Dict", "NoneType", "Module", "int",
      "float", "bool", "str", "CONSTANTS", "uninitialized", "unchecked_cast", "isinstance", "getattr", "range", "len",
      "math", "print", "fork", "wait", "inf", "nan", "training", "forward", "quantkit");

  private final Set<String> used = new HashSet<>();

  PyNames(String... taken) {
    for (String t : taken) {
      used.add(t);
    }
  }

  /** A fresh identifier derived from {@code name}. */
  String fresh(String name) {
    String base = sanitize(name);
    String id = base;
    int i = 2;
    while (used.contains(id)) {
      id = base + "_" + i++;
    }
    used.add(id);
    return id;
  }

  static String sanitize(String name) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      sb.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    if (sb.length() == 0 || Character.isDigit(sb.charAt(0))) {
      sb.insert(0, 'v');
    }
    String s = sb.toString();
    return RESERVED.contains(s) ? s + "_" : s;
  }

  /** A class name: the identifier with its first letter upper-cased. */
  static String className(String name) {
    String s = sanitize(name);
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
