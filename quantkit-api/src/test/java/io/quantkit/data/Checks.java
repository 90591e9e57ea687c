package io.quantkit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The few fluent checks the data and eval tests read best with, on plain JUnit (the project has
 * no assertion library): {@code assertThat(x).isEqualTo(y)}, {@code containsExactly},
 * {@code isCloseTo(v, within(d))}, {@code assertThatThrownBy(...).hasMessageContaining(...)}.
 */
public final class Checks {
  private Checks() {}

  /** A tolerance for {@link That#isCloseTo}. */
  public record Within(double delta) {}

  public static Within within(double delta) {
    return new Within(delta);
  }

  public static That assertThat(Object actual) {
    return new That(actual);
  }

  /** Runs {@code code}; fails unless it throws. */
  public static Thrown assertThatThrownBy(ThrowingRunnable code) {
    try {
      code.run();
    } catch (Throwable t) {
      return new Thrown(t);
    }
    return fail("expected an exception");
  }

  /** Code that may throw anything. */
  public interface ThrowingRunnable {
    void run() throws Throwable;
  }

  /** Checks on a value. */
  public static final class That {
    private final Object actual;

    That(Object actual) {
      this.actual = actual;
    }

    public That isEqualTo(Object expected) {
      assertEquals(expected, actual);
      return this;
    }

    public That isTrue() {
      assertEquals(Boolean.TRUE, actual);
      return this;
    }

    public That isFalse() {
      assertEquals(Boolean.FALSE, actual);
      return this;
    }

    public That isNull() {
      assertNull(actual);
      return this;
    }

    public That isEmpty() {
      if (actual instanceof Optional<?> o) {
        assertTrue(o.isEmpty(), "expected empty, got " + o);
      } else {
        assertTrue(elements().isEmpty(), "expected empty, got " + elements());
      }
      return this;
    }

    public That hasSize(int n) {
      assertEquals(n, elements().size(), "size of " + elements());
      return this;
    }

    /** The elements (array, collection) are exactly these, in order; numbers compare by value. */
    public That containsExactly(Object... expected) {
      List<Object> got = elements();
      assertEquals(normalize(Arrays.asList(expected)), normalize(got), "elements");
      return this;
    }

    /** Every element is one of these. */
    public That containsOnly(Object... allowed) {
      List<Object> ok = normalize(Arrays.asList(allowed));
      for (Object e : normalize(elements())) {
        assertTrue(ok.contains(e), e + " is not one of " + ok);
      }
      return this;
    }

    public That contains(String part) {
      assertNotNull(actual);
      assertTrue(actual.toString().contains(part), "'" + actual + "' does not contain '" + part + "'");
      return this;
    }

    public That isCloseTo(double expected, Within within) {
      assertEquals(expected, ((Number) actual).doubleValue(), within.delta());
      return this;
    }

    public That hasValueSatisfying(Consumer<Object> check) {
      Optional<?> o = (Optional<?>) actual;
      assertTrue(o.isPresent(), "expected a value");
      check.accept(o.get());
      return this;
    }

    /** Message checks on a throwable. */
    public That hasMessageContaining(String part) {
      new Thrown((Throwable) actual).hasMessageContaining(part);
      return this;
    }

    private List<Object> elements() {
      Object a = actual;
      List<Object> out = new ArrayList<>();
      if (a instanceof Collection<?> c) {
        out.addAll(c);
      } else if (a instanceof float[] f) {
        for (float x : f) {
          out.add(x);
        }
      } else if (a instanceof int[] f) {
        for (int x : f) {
          out.add(x);
        }
      } else if (a instanceof byte[] f) {
        for (byte x : f) {
          out.add(x);
        }
      } else if (a instanceof Object[] f) {
        out.addAll(Arrays.asList(f));
      } else {
        fail("not a collection or array: " + a);
      }
      return out;
    }

    private static List<Object> normalize(List<?> in) {
      List<Object> out = new ArrayList<>();
      for (Object o : in) {
        out.add(o instanceof Number n && !(o instanceof Double d && d.isNaN()) ? (Object) n.doubleValue() : o);
      }
      return out;
    }
  }

  /** Checks on what was thrown. */
  public static final class Thrown {
    private final Throwable t;

    Thrown(Throwable t) {
      this.t = t;
    }

    public Thrown isInstanceOf(Class<?> type) {
      assertTrue(type.isInstance(t), "expected " + type.getSimpleName() + ", got " + t);
      return this;
    }

    public Thrown hasMessageContaining(String part) {
      assertTrue(t.getMessage() != null && t.getMessage().contains(part), "message '" + t.getMessage() + "' lacks '" + part + "'");
      return this;
    }
  }
}
