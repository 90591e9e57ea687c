package io.quantkit.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.base.Preconditions;
import com.google.common.html.HtmlEscapers;
import io.quantkit.QuantkitException;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.internal.JsonFiles;
import io.quantkit.quant.debug.QuantErrorReport;
import io.quantkit.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * The report of a {@link QuantizationStudy} as one self-contained HTML file: the data as JSON, the
 * plotting library (Chart.js, {@link PlotLibrary}) and the drawing script inlined, flipped images
 * as PNG {@code data:} URIs. It opens offline; its Content-Security-Policy forbids the page any
 * request (no connections, no external scripts, styles or images).
 *
 * <p>Contents: accuracy across configurations and backends; per-layer activation error (SQNR,
 * local SQNR, absolute error, share clipped); weight SQNR per layer and per output channel; scale
 * and zero point per tensor; residual-Add scale ratios; histograms of weights and activations with
 * the quantization grid and clipping range drawn over them; FP32 and INT8 confusion matrices; the
 * images whose prediction flips, with both predictions.
 *
 * <p>Text from the model or data (layer names, class names, warnings) reaches the page only as
 * JSON inside a {@code <script type="application/json">} element, escaped so that it cannot end
 * that element, and the script writes it with {@code textContent}: no markup is ever interpreted.
 *
 * <p>Immutable and thread-safe once built.
 */
public final class HtmlReport {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(\\w+)}}");
  private static final String RESOURCES = "/io/quantkit/report/";

  private final StudyResult result;
  private final String title;
  private final Dataset images;
  private final int maxThumbnails;

  private HtmlReport(Builder b) {
    this.result = b.result;
    this.title = b.title != null ? b.title : "quantkit report: " + b.result.model();
    this.images = b.images;
    this.maxThumbnails = b.maxThumbnails;
  }

  public static Builder builder(StudyResult result) {
    return new Builder(result);
  }

  /** The whole HTML document. */
  public String render() {
    Map<String, String> values = new HashMap<>();
    values.put("title", HtmlEscapers.htmlEscaper().escape(title));
    values.put("subtitle", HtmlEscapers.htmlEscaper().escape(subtitle()));
    values.put("style", resource("report.css"));
    values.put("data", scriptSafeJson(data()));
    values.put("chartjs", scriptSafe(PlotLibrary.chartJs()));
    values.put("script", scriptSafe(resource("report.js")));
    return fill(resource("report.html"), values);
  }

  /** Writes {@link #render()} atomically (temporary file in the same folder, then rename). */
  public void write(Path file) throws IOException {
    JsonFiles.writeAtomically(file, render());
  }

  private String subtitle() {
    StudyResult.Configuration p = result.primary();
    return p.description() + "; evaluated on " + result.fp32().values().iterator().next().samples() + " images of "
        + result.testSet() + " (" + String.join(", ", result.backends()) + ")";
  }

  /** Replaces each {{name}} of the template in one pass, so inserted text is never scanned again. */
  static String fill(String template, Map<String, String> values) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder sb = new StringBuilder(template.length() + (1 << 20));
    while (m.find()) {
      String v = values.get(m.group(1));
      if (v == null) {
        throw new IllegalStateException("report template has no value for {{" + m.group(1) + "}}");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(v));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /**
   * JSON that can sit inside a script element: '<', '>' and '&' (which appear only inside JSON
   * strings) and the two line separators JavaScript once rejected become \\u escapes.
   */
  static String scriptSafeJson(String json) {
    StringBuilder sb = new StringBuilder(json.length() + 64);
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      switch (c) {
        case '<': sb.append("\\u003c"); break;
        case '>': sb.append("\\u003e"); break;
        case '&': sb.append("\\u0026"); break;
        case '\u2028': sb.append("\\u2028"); break;
        case '\u2029': sb.append("\\u2029"); break;
        default: sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Script text that cannot close its element early ("</script" only ever occurs in strings). */
  static String scriptSafe(String js) {
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT");
  }

  static String resource(String name) {
    try (InputStream in = HtmlReport.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new QuantkitException("report resource " + RESOURCES + name + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String data() {
    ObjectMapper json = JsonFiles.mapper();
    ObjectNode root = json.createObjectNode();
    root.put("title", title);
    root.put("generated", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'",
        Locale.ROOT)));
    root.put("model", result.model());
    root.put("calibrationSet", result.calibrationSet());
    root.put("calibrationImages", result.calibrationImages());
    root.put("testSet", result.testSet());
    root.put("elapsedSeconds", result.elapsed().toMillis() / 1000.0);
    root.set("backends", json.valueToTree(result.backends()));
    root.put("primaryBackend", result.primaryBackend());
    AccuracyReport fp32 = result.fp32().get(result.primaryBackend());
    root.set("classNames", json.valueToTree(fp32.classNames()));
    root.put("testImages", fp32.samples());

    ArrayNode accuracy = root.putArray("accuracy");
    result.fp32().forEach((backend, r) -> accuracy.add(accuracyRow(json, "fp32", backend, r)));
    for (StudyResult.Configuration c : result.configurations()) {
      c.int8().forEach((backend, r) -> accuracy.add(accuracyRow(json, c.name(), backend, r)));
    }

    ArrayNode configs = root.putArray("configs");
    for (StudyResult.Configuration c : result.configurations()) {
      ObjectNode n = configs.addObject();
      n.put("name", c.name());
      n.put("description", c.description());
      QuantErrorReport e = c.error();
      n.put("debugBackend", e.backend());
      n.put("debugImages", e.images());
      n.set("activations", json.valueToTree(e.activations()));
      n.set("weights", json.valueToTree(e.weights()));
      n.set("adds", json.valueToTree(c.inspection().adds()));
      ObjectNode inspection = n.putObject("inspection");
      inspection.put("nodes", c.inspection().nodes());
      inspection.put("quantizeLinear", c.inspection().quantizeLinear());
      inspection.put("dequantizeLinear", c.inspection().dequantizeLinear());
      inspection.set("weightBytes", json.valueToTree(c.inspection().weights()));
      n.set("floatNodes", json.valueToTree(c.quantization().floatNodes()));
      ArrayNode warnings = n.putArray("warnings");
      c.quantization().warnings().forEach(warnings::add);
      e.warnings().forEach(warnings::add);
    }

    StudyResult.Configuration primary = result.primary();
    AccuracyReport int8 = primary.int8().get(result.primaryBackend());
    ObjectNode confusion = root.putObject("confusion");
    confusion.put("config", primary.name());
    confusion.put("backend", result.primaryBackend());
    confusion.set("fp32", json.valueToTree(fp32.confusion()));
    confusion.set("int8", json.valueToTree(int8.confusion()));
    confusion.set("fp32PerClass", json.valueToTree(fp32.perClassAccuracy()));
    confusion.set("int8PerClass", json.valueToTree(int8.perClassAccuracy()));

    root.set("flips", flips(json, primary, fp32, int8));
    try {
      return json.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the report data", e);
    }
  }

  private static ObjectNode accuracyRow(ObjectMapper json, String config, String backend, AccuracyReport r) {
    ObjectNode row = json.createObjectNode();
    row.put("config", config);
    row.put("backend", backend);
    row.put("top1", r.top1());
    row.put("top5", r.top5());
    row.put("correct", r.correct());
    row.put("samples", r.samples());
    if (r.hasBaseline()) {
      row.put("drop", r.dropPoints());
      row.put("flips", r.flips());
    }
    return row;
  }

  /** Flipped images of the primary configuration on the primary backend, as in the accuracy table. */
  private ObjectNode flips(ObjectMapper json, StudyResult.Configuration primary, AccuracyReport fp32, AccuracyReport int8) {
    ObjectNode out = json.createObjectNode();
    out.put("config", primary.name());
    out.put("backend", result.primaryBackend());
    Map<Integer, QuantErrorReport.Flip> scores = new HashMap<>();
    primary.error().flips().forEach(f -> scores.put(f.index(), f));
    ArrayNode items = out.putArray("items");
    int total = 0;
    int[] a = fp32.predictions();
    int[] b = int8.predictions();
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b[i]) {
        continue;
      }
      total++;
      if (items.size() >= maxThumbnails) {
        continue;
      }
      ObjectNode item = items.addObject();
      item.put("index", i);
      item.put("fp32", a[i]);
      item.put("int8", b[i]);
      QuantErrorReport.Flip f = scores.get(i);
      if (f != null) {
        item.put("fp32Score", f.fp32Score());
        item.put("int8Score", f.int8Score());
      }
      if (images != null && i < images.size()) {
        Batch one = images.batch(i, i + 1);
        item.put("label", one.labels()[0]);
        item.put("image", pngDataUri(one.images()));
      }
    }
    out.put("total", total);
    return out;
  }

  /** One NHWC image of 0..255 values (1 or 3 channels) as a PNG data: URI. */
  static String pngDataUri(Tensor nhwc) {
    int h = nhwc.shape().dim(1);
    int w = nhwc.shape().dim(2);
    int c = nhwc.shape().rank() > 3 ? nhwc.shape().dim(3) : 1;
    float[] v = nhwc.toFloatArray();
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int base = (y * w + x) * c;
        int r = pixel(v[base]);
        int g = c >= 3 ? pixel(v[base + 1]) : r;
        int bl = c >= 3 ? pixel(v[base + 2]) : r;
        img.setRGB(x, y, (r << 16) | (g << 8) | bl);
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
  }

  private static int pixel(float v) {
    return Math.max(0, Math.min(255, Math.round(v)));
  }

  /** Options; only the study result is required. */
  public static final class Builder {
    private final StudyResult result;
    private String title;
    private Dataset images;
    private int maxThumbnails = 200;

    private Builder(StudyResult result) {
      this.result = Preconditions.checkNotNull(result);
      Preconditions.checkArgument(!result.configurations().isEmpty(), "the study has no configuration");
    }

    public Builder title(String value) {
      this.title = value;
      return this;
    }

    /** The test set the study evaluated, to show flipped images (and their labels) as thumbnails. */
    public Builder thumbnails(Dataset value) {
      this.images = value;
      return this;
    }

    /** At most this many flipped images are embedded (default 200); the total is always reported. */
    public Builder maxThumbnails(int value) {
      Preconditions.checkArgument(value >= 0, "maxThumbnails must be >= 0, got %s", value);
      this.maxThumbnails = value;
      return this;
    }

    public HtmlReport build() {
      return new HtmlReport(this);
    }
  }
}
