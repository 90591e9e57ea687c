package io.quantkit.playground;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.quant.debug.QuantErrorReport;
import io.quantkit.report.StudyProgress;
import io.quantkit.report.StudyResult;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Future;

/**
 * One calibrate -> quantize -> evaluate run: its settings, where it is, and what it produced. Each
 * run has its own id, folder and state, so runs started from different browser tabs never share
 * anything. Thread-safe: the worker updates it, HTTP threads read snapshots.
 */
final class Run {
  enum State { QUEUED, RUNNING, DONE, FAILED, CANCELLED }

  final String id;
  final RunSettings settings;
  final String modelName;
  final Path dir;
  final Instant created = Instant.now();
  private State state = State.QUEUED;
  private String step = "queued";
  private int stepDone;
  private int stepTotal;
  private double fraction;
  private String error;
  private volatile boolean cancelRequested;
  private Future<?> future;
  private StudyResult result;

  Run(String id, RunSettings settings, String modelName, Path dir) {
    this.id = id;
    this.settings = settings;
    this.modelName = modelName;
    this.dir = dir;
  }

  synchronized void attach(Future<?> f) {
    this.future = f;
  }

  boolean cancelRequested() {
    return cancelRequested;
  }

  /** Asks the run to stop: a queued run never starts, a running one stops after its current batch. */
  synchronized void cancel() {
    cancelRequested = true;
    if (state == State.QUEUED) {
      state = State.CANCELLED;
      step = "cancelled before it started";
      if (future != null) {
        future.cancel(false);
      }
    }
  }

  /** Called by the worker when it picks the run up; false when it was cancelled while queued. */
  synchronized boolean start() {
    if (state != State.QUEUED) {
      return false;
    }
    state = State.RUNNING;
    step = "starting";
    return true;
  }

  synchronized void progress(StudyProgress p) {
    step = p.step();
    stepDone = p.stepDone();
    stepTotal = p.stepTotal();
    fraction = p.fraction();
  }

  synchronized void step(String name) {
    step = name;
  }

  synchronized void done(StudyResult r) {
    result = r;
    state = State.DONE;
    step = "done";
    fraction = 1;
  }

  synchronized void cancelled() {
    state = State.CANCELLED;
    step = "cancelled";
  }

  synchronized void failed(String message) {
    state = State.FAILED;
    error = message;
  }

  synchronized State state() {
    return state;
  }

  synchronized boolean finished() {
    return state == State.DONE || state == State.FAILED || state == State.CANCELLED;
  }

  /** The run as the browser sees it. */
  synchronized ObjectNode toJson(ObjectMapper json) {
    ObjectNode n = json.createObjectNode();
    n.put("id", id);
    n.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
    n.put("step", step);
    n.put("stepDone", stepDone);
    n.put("stepTotal", stepTotal);
    n.put("fraction", fraction);
    n.put("model", modelName);
    n.put("created", created.toString());
    n.set("settings", json.valueToTree(settings));
    if (error != null) {
      n.put("error", error);
    }
    if (result != null) {
      n.set("result", summary(json));
    }
    return n;
  }

  private ObjectNode summary(ObjectMapper json) {
    ObjectNode s = json.createObjectNode();
    String backend = result.primaryBackend();
    StudyResult.Configuration c = result.primary();
    AccuracyReport fp32 = result.fp32().get(backend);
    AccuracyReport int8 = c.int8().get(backend);
    s.put("backend", backend);
    s.put("configuration", c.name());
    s.put("description", c.description());
    s.put("elapsedSeconds", result.elapsed().toMillis() / 1000.0);
    s.set("fp32", accuracy(json, fp32));
    ObjectNode q = accuracy(json, int8);
    q.put("flips", int8.flips());
    q.put("drop", int8.dropPoints());
    s.set("int8", q);
    QuantErrorReport e = c.error();
    ArrayNode layers = s.putArray("layers");
    for (QuantErrorReport.ActivationError a : e.activations()) {
      ObjectNode l = layers.addObject();
      l.put("tensor", a.tensor());
      l.put("opType", a.opType());
      putDb(l, "sqnrDb", a.sqnrDb());
      putDb(l, "localSqnrDb", a.localSqnrDb());
      l.put("clippedShare", a.clippedShare());
    }
    ArrayNode weights = s.putArray("weights");
    for (QuantErrorReport.WeightError w : e.weights()) {
      ObjectNode l = weights.addObject();
      l.put("tensor", w.tensor());
      putDb(l, "sqnrDb", w.sqnrDb());
    }
    ArrayNode warnings = s.putArray("warnings");
    c.quantization().warnings().forEach(warnings::add);
    ObjectNode downloads = s.putObject("downloads");
    downloads.put("model", "/api/runs/" + id + "/model.qdq.onnx");
    downloads.put("plan", "/api/runs/" + id + "/plan.json");
    downloads.put("report", "/api/runs/" + id + "/report.html");
    return s;
  }

  private static ObjectNode accuracy(ObjectMapper json, AccuracyReport r) {
    ObjectNode n = json.createObjectNode();
    n.put("top1", r.top1());
    n.put("correct", r.correct());
    n.put("samples", r.samples());
    return n;
  }

  private static void putDb(ObjectNode n, String key, Double v) {
    if (v == null) {
      n.putNull(key);
    } else {
      n.put(key, v);
    }
  }
}
