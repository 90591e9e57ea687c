package io.quantkit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a run as {@code bench-<profile>.md} (the report) and {@code bench-<profile>.json} (every
 * sample, for whoever wants other statistics), each through a temp file and a move. Stateless.
 */
public final class BenchOutput {
  private BenchOutput() {}

  /** Returns the Markdown file. */
  public static Path write(BenchResults results, Path outDir, String command) {
    Path md = outDir.resolve("bench-" + results.profile.id() + ".md");
    Path json = outDir.resolve("bench-" + results.profile.id() + ".json");
    try {
      BenchModels.writeAtomically(md, MarkdownReport.render(results, command).getBytes(StandardCharsets.UTF_8));
      BenchModels.writeAtomically(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsBytes(asJson(results, command)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the benchmark report to " + outDir, e);
    }
    return md;
  }

  private static Map<String, Object> asJson(BenchResults r, String command) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("profile", r.profile.id());
    m.put("command", command);
    m.put("started", r.started.toString());
    m.put("elapsedSeconds", r.elapsedSeconds);
    m.put("machine", r.machine);
    m.put("loadAverageAtEnd", r.loadAverageAtEnd);
    m.put("nativeOrt", r.nativeVersion.orElse(r.nativeOrt));
    m.put("backends", r.backends);
    m.put("samples", r.samples);
    List<Map<String, Object>> failures = new ArrayList<>();
    r.failures.forEach((k, v) -> failures.add(Map.of("key", k, "error", v)));
    m.put("failures", failures);
    m.put("opProfiles", r.opProfiles);
    m.put("calibration", r.calibration);
    m.put("calibrationFailures", r.calibrationFailures);
    m.put("notes", r.notes);
    return m;
  }
}
