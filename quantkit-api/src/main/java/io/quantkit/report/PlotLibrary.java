package io.quantkit.report;

import io.quantkit.QuantkitException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The plotting library the report and the playground use: Chart.js from its WebJar
 * ({@code org.webjars.npm:chart.js}, MIT licence) on the classpath, read once. Served or inlined
 * from here, never fetched from a CDN. Thread-safe: the text is read once, on first use.
 */
public final class PlotLibrary {
  private static final String POM_PROPERTIES = "META-INF/maven/org.webjars.npm/chart.js/pom.properties";
  private static final Pattern SOURCE_MAP = Pattern.compile("(?m)^//# sourceMappingURL=.*$");

  private PlotLibrary() {}

  private static final class Holder {
    static final String VERSION = readVersion();
    static final String SOURCE = readSource(VERSION);
  }

  /** The Chart.js version on the classpath, e.g. "4.5.1". */
  public static String chartJsVersion() {
    return Holder.VERSION;
  }

  /**
   * The minified UMD build of Chart.js (it defines {@code window.Chart}), without its
   * source-map comment, so that even developer tools never ask for a file that is not there.
   */
  public static String chartJs() {
    return Holder.SOURCE;
  }

  private static String readVersion() {
    try (InputStream in = resource(POM_PROPERTIES)) {
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new QuantkitException("cannot read " + POM_PROPERTIES + ": " + e.getMessage(), e);
    }
  }

  private static String readSource(String version) {
    String path = "META-INF/resources/webjars/chart.js/" + version + "/dist/chart.umd.min.js";
    try (InputStream in = resource(path)) {
      return SOURCE_MAP.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8)).replaceAll("");
    } catch (IOException e) {
      throw new QuantkitException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static InputStream resource(String path) {
    InputStream in = PlotLibrary.class.getClassLoader().getResourceAsStream(path);
    if (in == null) {
      throw new QuantkitException(path + " is not on the classpath (the org.webjars.npm:chart.js WebJar is missing)");
    }
    return in;
  }
}
