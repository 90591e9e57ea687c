package io.quantkit.internal;

import java.util.Set;

/**
 * Fresh tensor and node names for graph rewrites.
 *
 * <p>Thread-safety: stateless; the {@code used} set is the caller's and must not be shared between
 * threads.
 */
public final class Names {
  private Names() {}

  /**
   * {@code base} if unused, else the first of {@code base_2}, {@code base_3}, ... not in
   * {@code used}; the name returned is added to {@code used}.
   */
  public static String unique(Set<String> used, String base) {
    String name = base;
    int i = 2;
    while (used.contains(name)) {
      name = base + "_" + i++;
    }
    used.add(name);
    return name;
  }
}
