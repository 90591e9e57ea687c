package io.quantkit.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.cli.Main;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.keras.KerasModel;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.quant.QuantPlan;
import io.quantkit.report.testing.HeadlessChromium;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The playground in headless Chromium: two tabs each click through a whole calibrate -> quantize ->
 * evaluate cycle with different settings; each shows the accuracy that {@code quantkit quantize}
 * followed by {@code quantkit eval} gives for its settings, and downloads its own files. Then an
 * upload, and a cancelled run. Nothing is requested outside 127.0.0.1.
 */
@Tag("integration")
@Tag("browser")
class PlaygroundBrowserTest {
  private static final Pattern COUNT = Pattern.compile("(\\d+) / (\\d+) images");
  private static PlaygroundServer server;
  private static HeadlessChromium browser;

  @BeforeAll
  static void start() throws Exception {
    server = PlaygroundServer.builder().port(0).parallelRuns(2).start();
    browser = HeadlessChromium.start(1400, 1100);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      server.close();
    }
  }

  private static WebDriver driver() {
    return browser.driver();
  }

  private static void open() {
    driver().get(server.uri().toString());
    new WebDriverWait(driver(), Duration.ofSeconds(30)).until(d -> "true".equals(
        d.findElement(By.tagName("body")).getAttribute("data-ready")));
  }

  private static void set(String id, String value) {
    WebElement e = driver().findElement(By.id(id));
    e.clear();
    e.sendKeys(value);
  }

  private static void configure(boolean perChannel, String method, int calib, int eval, String backend) {
    new Select(driver().findElement(By.id("method"))).selectByValue(method);
    new Select(driver().findElement(By.id("activations"))).selectByValue("uint8");
    new Select(driver().findElement(By.id("backend"))).selectByValue(backend);
    WebElement pc = driver().findElement(By.id("per-channel"));
    if (pc.isSelected() != perChannel) {
      pc.click();
    }
    set("calib-images", String.valueOf(calib));
    set("eval-images", String.valueOf(eval));
  }

  private static String waitForState(Duration timeout, String... states) {
    List<String> wanted = List.of(states);
    return new WebDriverWait(driver(), timeout).until(d -> {
      String s = d.findElement(By.tagName("body")).getAttribute("data-state");
      return wanted.contains(s) ? s : null;
    });
  }

  private static int[] shown(String id) {
    Matcher m = COUNT.matcher(driver().findElement(By.id(id)).getText());
    assertTrue(m.matches(), id + ": " + driver().findElement(By.id(id)).getText());
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
  }

  private static byte[] download(String linkId) throws Exception {
    String href = driver().findElement(By.id(linkId)).getAttribute("href");
    assertTrue(href.startsWith(server.uri().toString()), href);
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(href)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), href);
    return r.body();
  }

  /** {@code quantkit ARGS...} in this JVM; fails the test on a non-zero exit. */
  private static void cli(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      exit = Main.run(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    assertEquals(0, exit, "quantkit " + String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8));
  }

  /** Top-1 of {@code quantkit quantize} with these settings, then {@code quantkit eval} on ONNX Runtime. */
  private static AccuracyReport cliAccuracy(Path dir, String name, boolean perChannel, String method, int calib, int eval) {
    Path model = dir.resolve(name + ".qdq.onnx");
    Path report = dir.resolve(name + ".json");
    List<String> args = new java.util.ArrayList<>(List.of("quantize", "--method", method, "--activations", "uint8",
        "--calib-size", String.valueOf(calib), "--out", model.toString()));
    args.add(perChannel ? "--per-channel" : "--no-per-channel");
    cli(args.toArray(String[]::new));
    cli("eval", "--model", model.toString(), "--backend", "onnx", "--limit", String.valueOf(eval), "--report", report.toString());
    return AccuracyReport.readJson(report);
  }

  @Test
  void twoTabsRunWholeCyclesAndShowWhatTheCliGives(@TempDir Path dir) throws Exception {
    open();
    String first = driver().getWindowHandle();
    configure(true, "minmax", 50, 200, "onnx");
    driver().findElement(By.id("run")).click();
    waitForState(Duration.ofSeconds(30), "queued", "running", "done");

    driver().switchTo().newWindow(WindowType.TAB);
    String second = driver().getWindowHandle();
    open();
    configure(false, "percentile", 60, 150, "onnx");
    driver().findElement(By.id("run")).click();

    String state2 = waitForState(Duration.ofMinutes(3), "done", "failed", "cancelled");
    assertEquals("done", state2, driver().findElement(By.id("error")).getText());
    int[] int8Second = shown("int8-correct");
    byte[] planSecond = download("dl-plan");
    String idSecond = driver().findElement(By.id("run-id")).getText();

    driver().switchTo().window(first);
    String state1 = waitForState(Duration.ofMinutes(3), "done", "failed", "cancelled");
    assertEquals("done", state1, driver().findElement(By.id("error")).getText());
    int[] fp32First = shown("fp32-correct");
    int[] int8First = shown("int8-correct");
    assertNotEquals(idSecond, driver().findElement(By.id("run-id")).getText(), "each tab follows its own run");
    assertEquals(200, int8First[1]);
    assertEquals(150, int8Second[1]);

    // each tab's files are its own
    QuantPlan planFirst = QuantPlan.fromJson(new String(download("dl-plan"), StandardCharsets.UTF_8));
    assertTrue(planFirst.options().perChannelWeights());
    assertEquals(50, planFirst.calibration().samples());
    QuantPlan second2 = QuantPlan.fromJson(new String(planSecond, StandardCharsets.UTF_8));
    assertFalse(second2.options().perChannelWeights());
    assertEquals(60, second2.calibration().samples());
    Path model = dir.resolve("downloaded.qdq.onnx");
    Files.write(model, download("dl-model"));
    assertTrue(OnnxModel.load(model).nodes().size() > 50);
    assertTrue(new String(download("dl-report"), StandardCharsets.UTF_8).contains("report-data"));

    // the accuracy shown is what quantkit quantize + quantkit eval give for the same settings
    AccuracyReport cliFirst = cliAccuracy(dir, "first", true, "minmax", 50, 200);
    assertEquals(cliFirst.correct(), int8First[0], "INT8 images right: playground vs quantkit eval");
    AccuracyReport cliSecond = cliAccuracy(dir, "second", false, "percentile", 60, 150);
    assertEquals(cliSecond.correct(), int8Second[0]);
    Path fp32 = dir.resolve("fp32.json");
    cli("eval", "--backend", "onnx", "--limit", "200", "--report", fp32.toString());
    assertEquals(AccuracyReport.readJson(fp32).correct(), fp32First[0], "FP32 images right");

    // the per-layer SQNR chart was redrawn with this run's tensors
    Object bars = ((JavascriptExecutor) driver()).executeScript(
        "const c = Chart.getChart(document.getElementById('sqnr-chart')); return c.data.datasets[0].data.filter(v => v !== null).length");
    assertTrue(((Number) bars).intValue() >= 14, String.valueOf(bars));
    browser.screenshot("playground");
    driver().switchTo().window(second);
    driver().close();
    driver().switchTo().window(first);
  }

  @Test
  void uploadAModelAndCancelARun(@TempDir Path dir) throws Exception {
    open();
    Path onnx = dir.resolve("my-resnet8.onnx");
    OnnxModel.save(KerasModel.load(QuantkitHome.fromEnvironment().resnet8Model()), onnx);
    driver().findElement(By.id("upload")).sendKeys(onnx.toString());
    new WebDriverWait(driver(), Duration.ofSeconds(60)).until(d ->
        d.findElement(By.id("upload-status")).getText().startsWith("loaded my-resnet8.onnx"));
    assertEquals("my-resnet8.onnx", new Select(driver().findElement(By.id("model"))).getFirstSelectedOption().getText()
        .replace(" (uploaded)", ""));
    assertFalse(driver().findElements(By.cssSelector("#exclude input[value='conv2d_1']")).isEmpty());

    // a long run on the reference executor, cancelled from the page
    configure(true, "entropy", 2000, 1000, "reference");
    driver().findElement(By.id("run")).click();
    waitForState(Duration.ofSeconds(60), "running");
    driver().findElement(By.id("cancel")).click();
    assertEquals("cancelled", waitForState(Duration.ofSeconds(60), "cancelled", "done", "failed"));
    assertTrue(driver().findElement(By.id("run")).isEnabled());

    for (String url : browser.requestedUrls()) {
      assertTrue(HeadlessChromium.staysOnMachine(url), "request to " + url);
    }
    assertTrue(browser.severeConsoleMessages().isEmpty(), "console errors");
  }
}
