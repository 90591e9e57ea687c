package io.quantkit.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The op set is closed and every dispatcher is checked by the compiler: these tests run javac on
 * small sources against the compiled IR and show that a visitor lacking an op, which is what a
 * converter, executor or shape rule that forgot a new op is, does not compile, and that no class
 * outside the IR can pose as an op.
 */
class OpSetIsClosedTest {

  @Test
  void everyOpClassHasExactlyOneVisitorMethod() {
    Set<Class<?>> visited = new HashSet<>();
    for (Method m : Op.Visitor.class.getDeclaredMethods()) {
      assertEquals(1, m.getParameterCount(), m.toString());
      assertTrue(visited.add(m.getParameterTypes()[0]), "two visitor methods take " + m.getParameterTypes()[0]);
    }
    assertEquals(Set.copyOf(Op.classes()), visited, "Op.Visitor has one method per op class");
    assertTrue(Op.class.isSealed());
  }

  @Test
  void aVisitorMissingAnOpDoesNotCompile(@TempDir Path out) {
    Method dropped = Op.Visitor.class.getDeclaredMethods()[0];
    String source = visitorSource("Incomplete", dropped.getName());
    String errors = compile(out, "Incomplete", source);
    assertNotNull(errors, "a visitor without " + dropped.getName() + " compiled");
    assertTrue(errors.contains("does not override abstract method " + dropped.getName()), errors);
  }

  @Test
  void aCompleteVisitorCompiles(@TempDir Path out) {
    assertEquals(null, compile(out, "Complete", visitorSource("Complete", null)),
        "control: the same source with every method compiles");
  }

  @Test
  void noClassOutsideTheIrCanBeAnOp(@TempDir Path out) {
    String source = "package p; public record Mystery() implements io.quantkit.ir.Op {"
        + " public String type() { return \"Mystery\"; }"
        + " public <R> R accept(io.quantkit.ir.Op.Visitor<R> v) { throw new UnsupportedOperationException(); } }";
    String errors = compile(out, "Mystery", source);
    assertNotNull(errors);
    assertTrue(errors.contains("sealed"), errors);
  }

  /** A visitor of every op but {@code skip} (null: none) that returns the op's type. */
  private static String visitorSource(String className, String skip) {
    StringBuilder sb = new StringBuilder("package p; public class ").append(className)
        .append(" implements io.quantkit.ir.Op.Visitor<String> {");
    for (Method m : Op.Visitor.class.getDeclaredMethods()) {
      if (m.getName().equals(skip)) {
        continue;
      }
      sb.append(" public String ").append(m.getName()).append("(").append(m.getParameterTypes()[0].getCanonicalName())
          .append(" op) { return op.type(); }");
    }
    return sb.append(" }").toString();
  }

  /** Compiles one source file against the test class path; null on success, else the errors. */
  private static String compile(Path out, String className, String source) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "tests run on a JDK");
    JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///p/" + className + ".java"),
        JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return source;
      }
    };
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = new ArrayList<>(List.of("-classpath", System.getProperty("java.class.path"), "-d",
        out.toString(), "--release", "17"));
    boolean ok = javac.getTask(new StringWriter(), null, diagnostics, options, null, List.of(file)).call();
    if (ok) {
      assertFalse(diagnostics.getDiagnostics().stream().anyMatch(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR));
      return null;
    }
    StringBuilder sb = new StringBuilder();
    diagnostics.getDiagnostics().forEach(d -> sb.append(d.getMessage(Locale.ROOT)).append('\n'));
    return sb.toString();
  }
}
