package io.quantkit.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantkit.data.Dataset;
import io.quantkit.quant.Calibration;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  private static final String EVIL = "</script><img src=x onerror=alert(1)>";
  private static final List<String> CLASSES = List.of(EVIL, "b & <c>", "\u2028line");

  private static StudyResult study(Dataset test) {
    return QuantizationStudy.builder().model(TinyModel.graph(1)).modelName("<b>tiny</b> & \"co\"")
        .calibrationSet(TinyModel.images("calib", 20, 2, CLASSES)).testSet(test)
        .configuration(Calibration.builder().calibSize(20).build()).backend(new ReferenceBackend()).build().run();
  }

  @Test
  void textFromModelAndDataCannotBecomeMarkup(@TempDir Path dir) throws Exception {
    Dataset test = TinyModel.images("test", 30, 3, CLASSES);
    Path file = dir.resolve("sub/report.html");
    HtmlReport.builder(study(test)).thumbnails(test).build().write(file);
    String html = Files.readString(file);
    // only the three script elements of the template close, and no tag of the data appears
    assertEquals(3, html.split("</script>", -1).length - 1);
    assertFalse(html.contains("<img src=x"));
    assertFalse(html.contains("<b>tiny"));
    assertTrue(html.contains("<title>quantkit report: &lt;b&gt;tiny&lt;/b&gt; &amp; &quot;co&quot;</title>"));
    assertFalse(html.contains("sourceMappingURL"));
    assertFalse(html.contains("{{"), "every placeholder filled");
    // the data element holds JSON that gives back the exact names
    String open = "<script type=\"application/json\" id=\"report-data\">";
    int from = html.indexOf(open) + open.length();
    JsonNode data = new ObjectMapper().readTree(html.substring(from, html.indexOf("</script>", from)));
    assertEquals(CLASSES, new ObjectMapper().convertValue(data.get("classNames"), List.class));
    assertEquals("<b>tiny</b> & \"co\"", data.get("model").asText());
    assertEquals(1, data.get("configs").size());
    assertEquals(3, data.get("confusion").get("fp32").size());
    // every flipped image has its thumbnail and label
    for (JsonNode f : data.get("flips").get("items")) {
      assertTrue(f.get("image").asText().startsWith("data:image/png;base64,"));
      assertEquals(test.batch(f.get("index").asInt(), f.get("index").asInt() + 1).labels()[0], f.get("label").asInt());
    }
    assertEquals(0, Files.list(file.getParent()).filter(p -> !p.equals(file)).count(), "no temporary file left");
  }

  @Test
  void templateIsFilledInOnePass() {
    assertEquals("a {{b}} c", HtmlReport.fill("a {{x}} c", Map.of("x", "{{b}}")));
    assertThrows(IllegalStateException.class, () -> HtmlReport.fill("{{missing}}", Map.of()));
    assertEquals("\\u003c/script\\u003e \\u0026 \\u2028", HtmlReport.scriptSafeJson("</script> & \u2028"));
    assertEquals("x = '<\\/script>'", HtmlReport.scriptSafe("x = '</script>'"));
  }

  @Test
  void thumbnailsAreThePixels() throws Exception {
    // 2x1 image: a red pixel and a mid-grey one (values clamp to 0..255)
    Tensor img = Tensor.ofFloats(Shape.of(1, 1, 2, 3), 300f, 0f, -5f, 128f, 128f, 128f);
    String uri = HtmlReport.pngDataUri(img);
    BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(uri.substring(uri.indexOf(',') + 1))));
    assertEquals(2, png.getWidth());
    assertEquals(1, png.getHeight());
    assertEquals(0xFF0000, png.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(0x808080, png.getRGB(1, 0) & 0xFFFFFF);
  }

  @Test
  void chartJsComesFromTheWebJar() {
    assertTrue(PlotLibrary.chartJs().contains("Chart.js v" + PlotLibrary.chartJsVersion()));
    assertTrue(PlotLibrary.chartJs().length() > 100_000);
  }
}
