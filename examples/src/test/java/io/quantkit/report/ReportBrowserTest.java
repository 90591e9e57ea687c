package io.quantkit.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.backend.Backends;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.Calibration;
import io.quantkit.report.testing.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Opens a ResNet8 report (two configurations, ONNX Runtime and the reference executor) in headless
 * Chromium: every plot must be drawn, and the page must not ask for anything but itself.
 */
@Tag("integration")
@Tag("browser")
class ReportBrowserTest {
  private static StudyResult study;
  private static Path file;
  private static HeadlessChromium browser;

  @BeforeAll
  static void generateAndOpen() throws Exception {
    Path model = QuantkitHome.fromEnvironment().resnet8Model();
    Graph fp32 = KerasModel.load(model);
    Dataset test = Cifar10.test().limit(300);
    study = QuantizationStudy.builder()
        .model(fp32)
        .modelName(model.getFileName().toString())
        .calibrationSet(Cifar10.train())
        .testSet(test)
        .configuration(Calibration.builder().calibSize(100).perChannelWeights(false).build())
        .configuration(Calibration.builder().calibSize(100).perChannelWeights(true).build())
        .backend(Backends.named("onnx"))
        .backend(Backends.named("reference"))
        .build()
        .run();
    file = Path.of("target", "report-browser-test", "report.html").toAbsolutePath();
    HtmlReport.builder(study).thumbnails(test).build().write(file);
    browser = HeadlessChromium.start(1400, 1000);
    browser.driver().get(file.toUri().toString());
    new WebDriverWait(browser.driver(), Duration.ofSeconds(60))
        .until(d -> d.findElement(By.tagName("body")).getAttribute("data-report-ready") != null);
  }

  @AfterAll
  static void close() throws Exception {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void everyPlotIsDrawn() throws Exception {
    assertEquals("ok", browser.driver().findElement(By.tagName("body")).getAttribute("data-report-ready"));
    StudyResult.Configuration primary = study.primary();
    int weights = primary.error().weights().size();
    int activations = primary.error().activations().size();
    // accuracy, per-layer SQNR, weight SQNR, per-channel SQNR per weight, scales, Add ratios,
    // a histogram per activation and per weight, per-class accuracy
    int expected = 1 + 1 + 1 + weights + 1 + (primary.inspection().adds().isEmpty() ? 0 : 1) + activations + weights + 1;
    assertEquals(10, weights);
    assertTrue(activations >= 14, "activations " + activations);

    // Per canvas: a Chart.js chart with data points, a drawn size, and ink on a fair share of it.
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> canvases = (List<Map<String, Object>>) ((JavascriptExecutor) browser.driver()).executeScript(
        "return Array.from(document.querySelectorAll('canvas')).map(c => {"
            + "  const chart = Chart.getChart(c);"
            + "  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            + "  let ink = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) ink++;"
            + "  const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter(v => v !== null && v !== undefined).length, 0) : 0;"
            + "  return {chart: !!chart, width: c.width, height: c.height, ink: ink, points: points, id: c.parentElement.parentElement.id || c.closest('section').id};"
            + "});");
    assertEquals(expected, canvases.size(), "charts on the page");
    for (Map<String, Object> c : canvases) {
      assertEquals(Boolean.TRUE, c.get("chart"), c.toString());
      long w = ((Number) c.get("width")).longValue();
      long h = ((Number) c.get("height")).longValue();
      assertTrue(w >= 300 && h >= 150, c.toString());
      assertTrue(((Number) c.get("points")).longValue() > 0, c.toString());
      // axes and labels alone cover about 2 % of a chart; bars, steps and fills well above that
      assertTrue(((Number) c.get("ink")).longValue() > 0.04 * w * h, c.toString());
    }

    // three 10x10 confusion matrices, the flipped images as decoded thumbnails
    assertEquals(3, browser.driver().findElements(By.cssSelector("table.matrix")).size());
    assertEquals(300, browser.driver().findElements(By.cssSelector("table.matrix td")).size());
    int flips = study.primary().int8().get("onnx").flips();
    List<WebElement> thumbnails = browser.driver().findElements(By.cssSelector(".flip img"));
    assertEquals(flips, thumbnails.size());
    for (WebElement img : thumbnails) {
      assertEquals(32L, ((JavascriptExecutor) browser.driver()).executeScript("return arguments[0].naturalWidth", img));
    }
    assertTrue(browser.severeConsoleMessages().isEmpty(), "console errors");

    browser.screenshot("report-summary");
    for (String section : List.of("layers", "weights", "histograms", "confusion", "flips")) {
      ((JavascriptExecutor) browser.driver()).executeScript("document.getElementById(arguments[0]).scrollIntoView()", section);
      browser.screenshot("report-" + section);
    }
  }

  @Test
  void noRequestLeavesTheFile() throws Exception {
    List<String> urls = browser.requestedUrls();
    assertTrue(urls.contains(file.toUri().toString()), urls.toString());
    for (String url : urls) {
      assertTrue(HeadlessChromium.staysOnMachine(url), "request to " + url);
      assertTrue(!url.startsWith("http") && !url.startsWith("ws"), "a file report has no business with " + url);
    }
    // the page's own view agrees: every resource it loaded is inline
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) ((JavascriptExecutor) browser.driver()).executeScript(
        "return performance.getEntriesByType('resource').map(e => e.name)");
    for (String r : resources) {
      assertTrue(r.startsWith("data:") || r.startsWith("blob:"), "resource " + r);
    }
    String html = Files.readString(file);
    assertTrue(html.contains("Content-Security-Policy"), "the page forbids itself any request");
    assertTrue(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external src/href");
  }
}
