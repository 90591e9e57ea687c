package io.quantkit.report.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium driven by its chromedriver through Selenium, with a fresh profile,
 * no background traffic of its own, and the DevTools network log recorded so that a test can list
 * every URL the page asked for. One per test class: starting Chromium costs about a second.
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final Path CHROMIUM = Path.of(System.getProperty("quantkit.chromium", "/usr/bin/chromium"));
  public static final Path CHROMEDRIVER = Path.of(System.getProperty("quantkit.chromedriver", "/usr/bin/chromedriver"));

  private static final ObjectMapper JSON = new ObjectMapper();
  private final ChromeDriver driver;
  private final Path profile;
  private final List<String> requested = new ArrayList<>();

  private HeadlessChromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts Chromium with a {@code width} x {@code height} window. */
  public static HeadlessChromium start(int width, int height) throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException("browser tests need Debian's chromium and chromium-driver (" + CHROMIUM + ", "
          + CHROMEDRIVER + "): apt-get install -y chromium chromium-driver (.ci/run installs them when missing), or "
          + "leave these tests out with -Dquantkit.excludedGroups=browser");
    }
    Path profile = Files.createTempDirectory("quantkit-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
        "--user-data-dir=" + profile, "--window-size=" + width + "," + height);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.PERFORMANCE, Level.ALL);
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    return new HeadlessChromium(new ChromeDriver(service, options), profile);
  }

  public ChromeDriver driver() {
    return driver;
  }

  /**
   * Every URL the browser was asked to load since the start (documents, scripts, images,
   * fetches, WebSockets), from the DevTools network events: unlike the page's own resource timing,
   * this also lists requests that failed or were blocked.
   */
  public List<String> requestedUrls() {
    for (LogEntry e : driver.manage().logs().get(LogType.PERFORMANCE)) {
      try {
        JsonNode message = JSON.readTree(e.getMessage()).path("message");
        String method = message.path("method").asText();
        if (method.equals("Network.requestWillBeSent")) {
          requested.add(message.path("params").path("request").path("url").asText());
        } else if (method.equals("Network.webSocketCreated")) {
          requested.add(message.path("params").path("url").asText());
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    return List.copyOf(requested);
  }

  /**
   * Whether loading {@code url} stays on this machine: the page itself and inline data (file:,
   * data:, blob:, about:), Chromium's own built-in pages (chrome:, chrome-untrusted:, served from
   * the binary, e.g. the new-tab page a new tab shows first), or HTTP/WebSocket to the loopback
   * interface.
   */
  public static boolean staysOnMachine(String url) {
    java.net.URI u = java.net.URI.create(url);
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    switch (scheme) {
      case "file": case "data": case "blob": case "about": case "chrome": case "chrome-untrusted":
        return true;
      case "http": case "https": case "ws": case "wss":
        String host = u.getHost();
        return host != null && (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]"));
      default:
        return false;
    }
  }

  /** Console messages at level SEVERE (uncaught errors, console.error) since the last call. */
  public List<String> severeConsoleMessages() {
    List<String> out = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
        out.add(e.getMessage());
      }
    }
    return out;
  }

  /** Saves a screenshot of the window as target/screenshots/NAME.png (a test artifact) and returns its path. */
  public Path screenshot(String name) throws IOException {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
    Path target = dir.resolve(name + ".png");
    Files.move(shot, target, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
