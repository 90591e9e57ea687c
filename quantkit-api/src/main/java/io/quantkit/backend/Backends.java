package io.quantkit.backend;

import com.google.common.collect.ImmutableList;
import io.quantkit.BackendException;
import java.util.ServiceLoader;

/**
 * Finds {@link Backend} implementations on the class path.
 *
 * <p>Thread-safety: thread-safe; each call asks a fresh {@link ServiceLoader}. Backends are
 * instantiated on every lookup, so their constructors must stay cheap (no native loading before
 * {@code compile}).
 */
public final class Backends {
  private Backends() {}

  public static Backend named(String name) {
    for (Backend b : ServiceLoader.load(Backend.class)) {
      if (b.name().equalsIgnoreCase(name)) {
        return b;
      }
    }
    throw new BackendException("no backend named '" + name + "' on the class path; available: " + available());
  }

  public static ImmutableList<String> available() {
    ImmutableList.Builder<String> names = ImmutableList.builder();
    for (Backend b : ServiceLoader.load(Backend.class)) {
      names.add(b.name());
    }
    return names.build();
  }
}
