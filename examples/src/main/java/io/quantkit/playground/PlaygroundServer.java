package io.quantkit.playground;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.base.Preconditions;
import com.google.common.base.Suppliers;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Backends;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.onnx.OnnxModel;
import io.quantkit.report.HtmlReport;
import io.quantkit.report.PlotLibrary;
import io.quantkit.report.QuantizationStudy;
import io.quantkit.report.StudyResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The playground's HTTP server: static pages, a JSON API, and a pool that runs
 * {@link QuantizationStudy} jobs one (or a few) at a time.
 *
 * <p>API: {@code GET /api/config}, {@code GET /api/models}, {@code POST /api/models?name=F} (the
 * file as the body), {@code POST /api/runs} (settings as JSON), {@code GET /api/runs/ID} (state,
 * progress, results), {@code POST /api/runs/ID/cancel}, {@code GET /api/runs/ID/model.qdq.onnx},
 * {@code .../plan.json}, {@code .../report.html}.
 *
 * <p>Safety: bound to 127.0.0.1 unless told otherwise; requests whose Host header is not the
 * loopback address it listens on are refused (a web page cannot reach it through DNS rebinding);
 * every POST must carry the header {@code X-Quantkit: 1}, which a cross-site form or simple request
 * cannot send, so other sites cannot start runs or upload files; uploads are size-limited while they
 * stream and go only into this server's temporary folder, which {@link #close} deletes.
 *
 * <p>Thread-safe. Close it to stop the server, cancel the runs and delete the temporary folder.
 */
public final class PlaygroundServer implements AutoCloseable {
  private static final String STATIC = "/io/quantkit/playground/static/";
  private static final Pattern RUN = Pattern.compile("/api/runs/([0-9a-f-]{36})(?:/(cancel|model\\.qdq\\.onnx|plan\\.json|report\\.html))?");
  private static final String PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  /** A refused request body is read and dropped up to this size; a larger rest resets the connection. */
  private static final long DRAIN_LIMIT = 256L << 20;

  private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final HttpServer server;
  private final ExecutorService http;
  private final ExecutorService workers;
  private final Path temp;
  private final ModelStore models;
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  private final Deque<String> order = new ArrayDeque<>();
  private final int maxRuns;
  private final RunnerOptions runnerOptions;
  private final Supplier<Dataset> calib;
  private final Supplier<Dataset> test;
  private final Set<String> allowedHosts;

  private PlaygroundServer(Builder b) throws IOException {
    this.temp = Files.createTempDirectory("quantkit-playground-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.createDirectories(temp.resolve("uploads"));
    Files.createDirectories(temp.resolve("runs"));
    QuantkitHome home = b.home != null ? b.home : QuantkitHome.fromEnvironment();
    this.models = new ModelStore(temp.resolve("uploads"), b.maxUploadBytes,
        b.defaultModel != null ? () -> b.defaultModel : home::resnet8Model);
    this.calib = Suppliers.memoize(() -> Cifar10.train(home));
    this.test = Suppliers.memoize(() -> Cifar10.test(home));
    this.maxRuns = b.maxRuns;
    this.runnerOptions = b.runnerOptions;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(b.host), b.port), 0);
    this.http = Executors.newFixedThreadPool(4, new ThreadFactoryBuilder().setNameFormat("playground-http-%d").setDaemon(true).build());
    this.workers = Executors.newFixedThreadPool(b.parallelRuns,
        new ThreadFactoryBuilder().setNameFormat("playground-run-%d").setDaemon(true).build());
    int port = server.getAddress().getPort();
    InetAddress bound = server.getAddress().getAddress();
    this.allowedHosts = bound.isLoopbackAddress()
        ? Set.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port)
        : null; // bound to another interface on purpose: any Host
    server.setExecutor(http);
    server.createContext("/", this::handle);
    server.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The address to open in a browser, e.g. http://127.0.0.1:7878/. */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
  }

  /** The temporary folder that holds uploads and run outputs while the server lives. */
  public Path tempDir() {
    return temp;
  }

  @Override
  public void close() {
    server.stop(0);
    runs.values().forEach(Run::cancel);
    workers.shutdownNow();
    http.shutdownNow();
    try {
      workers.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteTree(temp);
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // a file still open by a finishing run; the OS temp cleaner takes the rest
        }
      });
    } catch (IOException ignored) {
      // best effort, as above
    }
  }

  // ---------------------------------------------------------------- routing

  private void handle(HttpExchange ex) {
    try {
      try {
        route(ex);
      } catch (PlaygroundException e) {
        error(ex, e.status, e.getMessage());
      } catch (QuantkitException | IllegalArgumentException | JsonProcessingException e) {
        error(ex, 400, e.getMessage());
      } catch (Exception e) {
        error(ex, 500, e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    } catch (IOException ignored) {
      // the browser went away
    } finally {
      ex.close();
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String host = ex.getRequestHeaders().getFirst("Host");
    if (allowedHosts != null && (host == null || !allowedHosts.contains(host.toLowerCase(java.util.Locale.ROOT)))) {
      throw new PlaygroundException(403, "requests must be addressed to this machine's loopback address, not '" + host + "'");
    }
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    boolean get = method.equals("GET");
    boolean post = method.equals("POST");
    if (post && !"1".equals(ex.getRequestHeaders().getFirst("X-Quantkit"))) {
      throw new PlaygroundException(403, "POST requests need the header X-Quantkit: 1 (cross-site requests are refused)");
    }
    if (get && (path.equals("/") || path.equals("/index.html"))) {
      send(ex, 200, "text/html; charset=utf-8", staticFile("index.html"), Map.of("Content-Security-Policy", PAGE_CSP));
    } else if (get && path.equals("/static/app.js")) {
      send(ex, 200, "text/javascript; charset=utf-8", staticFile("app.js"), Map.of());
    } else if (get && path.equals("/static/app.css")) {
      send(ex, 200, "text/css; charset=utf-8", staticFile("app.css"), Map.of());
    } else if (get && path.equals("/static/chart.umd.min.js")) {
      send(ex, 200, "text/javascript; charset=utf-8", PlotLibrary.chartJs().getBytes(StandardCharsets.UTF_8), Map.of());
    } else if (get && path.equals("/api/config")) {
      sendJson(ex, 200, config());
    } else if (get && path.equals("/api/models")) {
      ArrayNode list = json.createArrayNode();
      models.list().forEach(m -> list.add(model(m)));
      sendJson(ex, 200, list);
    } else if (post && path.equals("/api/models")) {
      String name = query(ex, "name");
      long length = ex.getRequestHeaders().getFirst("Content-Length") == null ? -1
          : Long.parseLong(ex.getRequestHeaders().getFirst("Content-Length"));
      // the body is not closed here: a refused upload is drained by error() so its answer arrives
      ModelStore.Entry e = models.upload(name, length, ex.getRequestBody());
      sendJson(ex, 200, model(e));
    } else if (post && path.equals("/api/runs")) {
      RunSettings s = json.readValue(ex.getRequestBody().readNBytes(1 << 16), RunSettings.class);
      sendJson(ex, 202, submit(s).toJson(json));
    } else {
      Matcher m = RUN.matcher(path);
      if (!m.matches()) {
        throw new PlaygroundException(404, "no such page: " + path);
      }
      Run run = runs.get(m.group(1));
      if (run == null) {
        throw new PlaygroundException(404, "no run " + m.group(1) + " (finished runs are kept for the last " + maxRuns + ")");
      }
      String what = m.group(2);
      if (what == null && get) {
        sendJson(ex, 200, run.toJson(json));
      } else if ("cancel".equals(what) && post) {
        run.cancel();
        sendJson(ex, 200, run.toJson(json));
      } else if (what != null && get && !what.equals("cancel")) {
        download(ex, run, what);
      } else {
        throw new PlaygroundException(405, method + " is not allowed on " + path);
      }
    }
  }

  private ObjectNode config() {
    ObjectNode c = json.createObjectNode();
    c.put("calibAvailable", calib.get().size());
    c.put("testAvailable", test.get().size());
    c.put("maxUploadBytes", models.maxUploadBytes());
    c.set("backends", json.valueToTree(Backends.available()));
    c.put("chartJs", PlotLibrary.chartJsVersion());
    return c;
  }

  private ObjectNode model(ModelStore.Entry m) {
    ObjectNode n = json.createObjectNode();
    n.put("id", m.id());
    n.put("name", m.name());
    n.put("source", m.source());
    n.put("bytes", m.bytes());
    n.set("nodes", json.valueToTree(m.nodes()));
    return n;
  }

  private Run submit(RunSettings s) throws IOException {
    ModelStore.Entry model = models.get(s.model() == null ? ModelStore.DEFAULT_ID : s.model());
    s.validate(model.nodes(), calib.get().size(), test.get().size(), Backends.available());
    String id = UUID.randomUUID().toString();
    Run run = new Run(id, s, model.name(), temp.resolve("runs").resolve(id));
    synchronized (order) {
      runs.put(id, run);
      order.addLast(id);
      evictFinishedRuns();
    }
    run.attach(workers.submit(() -> execute(run, model)));
    return run;
  }

  /** Keeps at most maxRuns runs: the oldest finished ones go first, with their files. */
  private void evictFinishedRuns() {
    for (java.util.Iterator<String> it = order.iterator(); it.hasNext() && runs.size() > maxRuns;) {
      Run r = runs.get(it.next());
      if (r != null && r.finished()) {
        it.remove();
        runs.remove(r.id);
        deleteTree(r.dir);
      }
    }
  }

  private void execute(Run run, ModelStore.Entry model) {
    if (!run.start()) {
      return;
    }
    try {
      Files.createDirectories(run.dir);
      RunSettings s = run.settings;
      Dataset testSet = test.get().limit(s.evalImages());
      StudyResult r = QuantizationStudy.builder()
          .model(model.graph())
          .modelName(model.name())
          .calibrationSet(calib.get())
          .testSet(testSet)
          .configuration(s.calibration())
          .backend(Backends.named(s.backend()))
          .runnerOptions(runnerOptions)
          .listener(run::progress)
          .cancelled(run::cancelRequested)
          .build()
          .run();
      run.step("writing the model, plan and report");
      StudyResult.Configuration c = r.primary();
      OnnxModel.save(c.quantization().graph(), run.dir.resolve("model.qdq.onnx"));
      c.quantization().plan().save(run.dir.resolve("plan.json"));
      HtmlReport.builder(r).thumbnails(testSet).title("quantkit playground: " + model.name()).build()
          .write(run.dir.resolve("report.html"));
      run.done(r);
    } catch (CancellationException e) {
      run.cancelled();
    } catch (Exception | LinkageError | OutOfMemoryError e) {
      run.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }

  private void download(HttpExchange ex, Run run, String file) throws IOException {
    if (run.state() != Run.State.DONE) {
      throw new PlaygroundException(409, "run " + run.id + " is " + run.state().name().toLowerCase(java.util.Locale.ROOT)
          + "; its files exist once it is done");
    }
    byte[] bytes = Files.readAllBytes(run.dir.resolve(file));
    String base = "quantkit-" + run.id.substring(0, 8);
    switch (file) {
      case "model.qdq.onnx":
        send(ex, 200, "application/octet-stream", bytes,
            Map.of("Content-Disposition", "attachment; filename=\"" + base + ".qdq.onnx\""));
        break;
      case "plan.json":
        send(ex, 200, "application/json", bytes, Map.of("Content-Disposition", "attachment; filename=\"" + base + ".plan.json\""));
        break;
      default:
        send(ex, 200, "text/html; charset=utf-8", bytes, Map.of());
    }
  }

  // ---------------------------------------------------------------- responses

  private static String query(HttpExchange ex, String key) {
    String q = ex.getRequestURI().getRawQuery();
    if (q != null) {
      for (String part : q.split("&")) {
        int eq = part.indexOf('=');
        if (eq > 0 && part.substring(0, eq).equals(key)) {
          return URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
    }
    throw new PlaygroundException(400, "missing query parameter '" + key + "'");
  }

  private static byte[] staticFile(String name) throws IOException {
    try (InputStream in = PlaygroundServer.class.getResourceAsStream(STATIC + name)) {
      if (in == null) {
        throw new PlaygroundException(404, "no static file " + name);
      }
      return in.readAllBytes();
    }
  }

  private void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json; charset=utf-8", json.writeValueAsBytes(body), Map.of());
  }

  private void error(HttpExchange ex, int status, String message) throws IOException {
    ObjectNode n = json.createObjectNode();
    n.put("error", message == null ? "error" : message);
    // The request body may be unread (a refused upload). Read and drop it, up to DRAIN_LIMIT, so
    // the answer reaches the client: closing a connection with unread data resets it, and the
    // client then never sees the answer. Not InputStream.skip: the server's body stream inherits
    // FilterInputStream's, which skips on the socket past the end of the body.
    try (InputStream in = ex.getRequestBody()) {
      byte[] buf = new byte[1 << 16];
      long total = 0;
      for (int r = in.read(buf); r >= 0 && total < DRAIN_LIMIT; r = in.read(buf)) {
        total += r;
      }
    } catch (IOException ignored) {
      // nothing to drain
    }
    sendJson(ex, status, n);
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body, Map<String, String> headers)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** Options of a playground server. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 7878;
    private long maxUploadBytes = 64L << 20;
    private int parallelRuns = 1;
    private int maxRuns = 20;
    private QuantkitHome home;
    private Path defaultModel;
    private RunnerOptions runnerOptions = RunnerOptions.defaults();

    private Builder() {}

    /** Address to bind; default 127.0.0.1 (this machine only). */
    public Builder host(String value) {
      this.host = Preconditions.checkNotNull(value);
      return this;
    }

    /** Port; 0 picks a free one; default 7878. */
    public Builder port(int value) {
      Preconditions.checkArgument(value >= 0 && value <= 65535, "port must be 0..65535, got %s", value);
      this.port = value;
      return this;
    }

    /** Largest accepted upload; default 64 MiB. */
    public Builder maxUploadBytes(long value) {
      Preconditions.checkArgument(value > 0, "maxUploadBytes must be positive, got %s", value);
      this.maxUploadBytes = value;
      return this;
    }

    /** Runs executed at the same time (the others wait, shown as queued); default 1. */
    public Builder parallelRuns(int value) {
      Preconditions.checkArgument(value >= 1, "parallelRuns must be >= 1, got %s", value);
      this.parallelRuns = value;
      return this;
    }

    /** Runs kept (finished ones beyond this are forgotten and their files deleted); default 20. */
    public Builder maxRuns(int value) {
      Preconditions.checkArgument(value >= 1, "maxRuns must be >= 1, got %s", value);
      this.maxRuns = value;
      return this;
    }

    /** Where the default model and CIFAR-10 come from; default {@link QuantkitHome#fromEnvironment()}. */
    public Builder home(QuantkitHome value) {
      this.home = value;
      return this;
    }

    /** The embedded default model; default ResNet8 in the home. */
    public Builder defaultModel(Path value) {
      this.defaultModel = value;
      return this;
    }

    public Builder runnerOptions(RunnerOptions value) {
      this.runnerOptions = Preconditions.checkNotNull(value);
      return this;
    }

    /** Binds and starts serving. */
    public PlaygroundServer start() throws IOException {
      return new PlaygroundServer(this);
    }
  }

  /** For tests: the ids of the runs the server holds. */
  List<String> runIds() {
    synchronized (order) {
      return List.copyOf(order);
    }
  }
}
