package io.quantkit.bench;

import io.quantkit.bench.BenchResults.Key;
import io.quantkit.bench.BenchResults.Path;
import io.quantkit.onnx.OrtBackend;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Markdown page of one driver run: where and when, then one table per question (overhead, JVM vs
 * native, INT8 vs FP32, threads and spinning, per-call cost, per-op profile, calibration cost).
 * Every figure is a median with its range; every ratio is taken within a round first. Stateless
 * entry point ({@link #render}).
 */
public final class MarkdownReport {
  private final BenchResults r;
  private final StringBuilder md = new StringBuilder();

  private MarkdownReport(BenchResults r) {
    this.r = r;
  }

  public static String render(BenchResults results, String command) {
    return new MarkdownReport(results).build(command);
  }

  private String build(String command) {
    Machine m = r.machine;
    line("# quantkit benchmarks (" + r.profile.id() + " profile)");
    line("");
    line("- date: " + r.started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceFirst("\\.\\d+", "") + ", took "
        + String.format(Locale.ROOT, "%.0f s", r.elapsedSeconds));
    line("- command: `" + command + "`");
    line("- CPU: " + m.cpuModel() + ", " + m.cores() + " cores visible; flags: " + String.join(", ", m.cpuFlags()) + " (VNNI: "
        + (m.vnni() ? "yes" : "no") + ")");
    line("- load average (1/5/15 min) at start " + m.loadAverage() + ", at end " + r.loadAverageAtEnd
        + (loaded() ? " — **the machine was busy with other work: absolute figures are noisy, compare the interleaved ratios**" : ""));
    line("- JVM: " + m.jvm() + "; OS: " + m.os());
    line("- ONNX Runtime: " + m.ortJava() + " (Java, com.microsoft.onnxruntime), native: "
        + r.nativeVersion.map(v -> v + " (onnxruntime-node)").orElse(r.nativeOrt));
    line("- backends found: " + String.join(", ", r.backends));
    Profile.Timing t = r.profile.timing;
    line(String.format(Locale.ROOT, "- method: JMH, one fork per figure per round, %d x %d ms warm-up + %d x %d ms measured iterations; "
        + "%d interleaved rounds (raw ORT-Java, quantkit, native ORT per configuration, order reversed every other round). "
        + "Figures: median of all measured iterations (min–max). Ratios: median of the per-round ratios (min–max over rounds).",
        t.warmupIterations(), t.warmupMillis(), t.iterations(), t.iterationMillis(), r.profile.rounds));
    line("");
    hotPath();
    int8OverFp32();
    threads();
    otherBackends();
    probe();
    opProfile();
    calibration();
    problems();
    return md.toString();
  }

  private boolean loaded() {
    return load(r.machine.loadAverage()) > r.machine.cores() * 0.75 || load(r.loadAverageAtEnd) > r.machine.cores() * 0.75;
  }

  private static double load(String avg) {
    try {
      return Double.parseDouble(avg.split(" ")[0]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private List<Key> hotPathKeys() {
    return r.keys(k -> k.path() == Path.RUNNER && k.backend().equals(OrtBackend.NAME) && k.model().equals("resnet8"));
  }

  private void hotPath() {
    List<Key> keys = hotPathKeys();
    if (keys.isEmpty()) {
      return;
    }
    line("## ResNet8 on ONNX Runtime: quantkit's Runner, raw ORT-Java, native ORT (wall clock)");
    line("");
    line("images/s; ratios > 1 mean the first is faster.");
    line("");
    line("| precision | batch | threads | quantkit | ORT-Java raw | ORT native | quantkit / raw | ORT-Java / native | quantkit / native |");
    line("|---|---|---|---|---|---|---|---|---|");
    for (Key k : sorted(keys)) {
      Key raw = k.on(Path.RAW);
      Key nat = k.on(Path.NATIVE);
      line("| " + k.precision() + " | " + k.batch() + " | " + threadLabel(k) + " | " + ips(k) + " | " + ips(raw) + " | " + ips(nat)
          + " | " + ratio(r.speedup(k, raw)) + " | " + ratio(r.speedup(raw, nat)) + " | " + ratio(r.speedup(k, nat)) + " |");
    }
    line("");
    List<Key> single = sorted(keys).stream().filter(k -> k.threads() == 1 && r.cpuMicros(k).isPresent()).toList();
    if (single.isEmpty()) {
      return;
    }
    line("### The same at 1 thread in CPU time per call");
    line("");
    line("With one intra-op thread ORT computes on the calling thread, so that thread's CPU time per call (JMH aux counter; for "
        + "native ORT the Node process's) is the call's cost even when other processes take the CPU between calls. quantkit − raw: "
        + "what quantkit adds per call. B/call: bytes allocated on the Java heap per call (JMH gc profiler); both paths copy the "
        + "output to the heap.");
    line("");
    line("| precision | batch | quantkit CPU us/call | ORT-Java raw | ORT native | quantkit − raw (us) | quantkit / raw "
        + "| ORT-Java / native | quantkit / native | B/call quantkit / raw |");
    line("|---|---|---|---|---|---|---|---|---|---|");
    for (Key k : single) {
      Key raw = k.on(Path.RAW);
      Key nat = k.on(Path.NATIVE);
      line("| " + k.precision() + " | " + k.batch() + " | " + fmt(r.cpuMicros(k), "%,.1f") + " | " + fmt(r.cpuMicros(raw), "%,.1f") + " | "
          + fmt(r.cpuMicros(nat), "%,.1f") + " | " + fmt(r.perRound(k, raw, true, (a, b) -> a - b), "%+.1f") + " | "
          + ratio(r.cpuSpeedup(k, raw)) + " | " + ratio(r.cpuSpeedup(raw, nat)) + " | " + ratio(r.cpuSpeedup(k, nat)) + " | "
          + bytes(k) + " / " + bytes(raw) + " |");
    }
    line("");
  }

  private void int8OverFp32() {
    List<Key> fp32 = new ArrayList<>();
    for (Key k : sorted(r.keys(k -> k.precision().equals("fp32") && k.model().equals("resnet8")))) {
      if (!r.samples(k.withPrecision("int8")).isEmpty()) {
        fp32.add(k);
      }
    }
    if (fp32.isEmpty()) {
      return;
    }
    line("## INT8 / FP32 (ResNet8; INT8 = uint8 activations, per-tensor int8 weights, MinMax, QDQ)");
    line("");
    line("| path | batch | threads | FP32 images/s | INT8 images/s | INT8 / FP32 (wall) | INT8 / FP32 (CPU time, 1 thread) |");
    line("|---|---|---|---|---|---|---|");
    for (Key k : fp32) {
      Key q = k.withPrecision("int8");
      line("| " + pathLabel(k) + " | " + k.batch() + " | " + threadLabel(k) + " | " + ips(k) + " | " + ips(q) + " | "
          + ratio(r.speedup(q, k)) + " | " + (k.threads() == 1 ? ratio(r.cpuSpeedup(q, k)) : "") + " |");
    }
    line("");
    String pad = BenchModels.Precision.INT8_PAD4.id();
    List<Key> padded = fp32.stream().filter(k -> !r.samples(k.withPrecision(pad)).isEmpty()).toList();
    if (padded.isEmpty()) {
      return;
    }
    line("INT8 with the stem's 3 input channels zero-padded to " + BenchModels.STEM_CHANNEL_MULTIPLE
        + " (`ConvChannelPadding`, precision `" + pad + "`: same outputs; ONNX Runtime's direct integer convolution needs a multiple of 4):");
    line("");
    line("| path | batch | threads | INT8-pad4 images/s | INT8-pad4 / FP32 (wall) | INT8-pad4 / FP32 (CPU time) | INT8-pad4 / INT8 (CPU time) |");
    line("|---|---|---|---|---|---|---|");
    for (Key k : padded) {
      Key p = k.withPrecision(pad);
      Key q = k.withPrecision("int8");
      line("| " + pathLabel(k) + " | " + k.batch() + " | " + threadLabel(k) + " | " + ips(p) + " | " + ratio(r.speedup(p, k)) + " | "
          + (k.threads() == 1 ? ratio(r.cpuSpeedup(p, k)) : "") + " | " + (k.threads() == 1 ? ratio(r.cpuSpeedup(p, q)) : "") + " |");
    }
    line("");
  }

  private void threads() {
    List<Profile.Threads> settings = r.profile.threads;
    if (settings.size() < 2 || hotPathKeys().isEmpty()) {
      return;
    }
    line("## Threads and spinning (quantkit's Runner on ONNX Runtime, ResNet8)");
    line("");
    StringBuilder head = new StringBuilder("| precision | batch |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (Profile.Threads s : settings) {
      head.append(" threads ").append(s.label()).append(" |");
      rule.append("---|");
    }
    for (Profile.Threads s : settings.subList(1, settings.size())) {
      head.append(" ").append(s.label()).append(" / 1 |");
      rule.append("---|");
    }
    line(head.toString());
    line(rule.toString());
    Set<String> rows = new LinkedHashSet<>();
    for (Key k : sorted(hotPathKeys())) {
      if (!k.precision().equals(BenchModels.Precision.INT8_PAD4.id()) && rows.add(k.precision() + "/" + k.batch())) {
        Key one = k.withThreads(settings.get(0));
        StringBuilder row = new StringBuilder("| " + k.precision() + " | " + k.batch() + " |");
        for (Profile.Threads s : settings) {
          row.append(" ").append(ips(k.withThreads(s))).append(" |");
        }
        for (Profile.Threads s : settings.subList(1, settings.size())) {
          row.append(" ").append(ratio(r.speedup(k.withThreads(s), one))).append(" |");
        }
        line(row.toString());
      }
    }
    line("");
  }

  private void otherBackends() {
    List<Key> keys = r.keys(k -> k.path() == Path.RUNNER && !k.backend().equals(OrtBackend.NAME));
    List<Key> failed = r.failures.keySet().stream().filter(k -> k.path() == Path.RUNNER && !k.backend().equals(OrtBackend.NAME)).toList();
    if (keys.isEmpty() && failed.isEmpty()) {
      return;
    }
    line("## Other backends through quantkit's Runner (ResNet8)");
    line("");
    line("| backend | precision | batch | threads | images/s | B/call |");
    line("|---|---|---|---|---|---|");
    for (Key k : sorted(keys)) {
      line("| " + k.backend() + " | " + k.precision() + " | " + k.batch() + " | " + threadLabel(k) + " | " + ips(k) + " | " + bytes(k) + " |");
    }
    for (Key k : failed) {
      line("| " + k.backend() + " | " + k.precision() + " | " + k.batch() + " | " + threadLabel(k) + " | n/a: " + escape(r.failures.get(k))
          + " | |");
    }
    line("");
  }

  private void probe() {
    List<Key> keys = r.keys(k -> k.path() == Path.RUNNER && k.model().equals("probe"));
    if (keys.isEmpty()) {
      return;
    }
    line("## quantkit's own cost per call (probe model: Flatten -> Gemm 3072x10 -> Softmax, ResNet8's input and output, 1 thread)");
    line("");
    Profile.Timing pt = r.profile.probeTiming;
    line(String.format(Locale.ROOT, "%d x %d ms warm-up + %d x %d ms measured per fork.", pt.warmupIterations(), pt.warmupMillis(),
        pt.iterations(), pt.iterationMillis()));
    line("");
    line("| batch | ORT-Java raw us/call (wall) | quantkit (wall) | quantkit − raw (wall) | raw CPU us/call | quantkit CPU us/call "
        + "| quantkit − raw (CPU) | raw B/call | quantkit B/call | quantkit − raw B/call | output float[] B |");
    line("|---|---|---|---|---|---|---|---|---|---|---|");
    for (Key k : sorted(keys)) {
      Key raw = k.on(Path.RAW);
      line("| " + k.batch() + " | " + fmt(r.micros(raw), "%.1f") + " | " + fmt(r.micros(k), "%.1f") + " | "
          + fmt(r.perRound(k, raw, (a, b) -> a - b), "%+.1f") + " | " + fmt(r.cpuMicros(raw), "%.1f") + " | "
          + fmt(r.cpuMicros(k), "%.1f") + " | " + fmt(r.perRound(k, raw, true, (a, b) -> a - b), "%+.1f") + " | " + bytes(raw)
          + " | " + bytes(k) + " | " + bytesDiff(k, raw) + " | " + (16 + 4 * 10 * k.batch()) + " |");
    }
    line("");
    line("Output float[] B: the batch's 10 probabilities each (16 B array header + 4 B per value), which both paths allocate; "
        + "everything else either path allocates is per-call bookkeeping.");
    line("");
  }

  private void opProfile() {
    if (r.opProfiles.isEmpty()) {
      return;
    }
    for (int batch : BenchDriver.BATCHES) {
      OrtOpProfile fp32 = r.opProfiles.get("fp32 batch " + batch);
      OrtOpProfile int8 = r.opProfiles.get("int8 batch " + batch);
      if (fp32 == null || int8 == null) {
        continue;
      }
      line(String.format(Locale.ROOT, "## ONNX Runtime's per-op profile (ResNet8, batch %d, 1 thread, %d runs after as many warm-up runs)",
          batch, r.profile.opProfileRuns));
      line("");
      line(String.format(Locale.ROOT, "One run (median): FP32 %,.0f us, INT8 %,.0f us: INT8 / FP32 speed %.2fx. Summed kernel medians: "
          + "FP32 %,.0f us, INT8 %,.0f us (%.2fx); summed fastest runs of each kernel (the undisturbed cost on a busy machine): FP32 "
          + "%,.0f us, INT8 %,.0f us (%.2fx). Wall-clock times from ORT's profiler in the driver's process.",
          fp32.runMicros(), int8.runMicros(), fp32.runMicros() / int8.runMicros(), fp32.kernelMicros(), int8.kernelMicros(),
          fp32.kernelMicros() / int8.kernelMicros(), fp32.fastestKernelMicros(), int8.fastestKernelMicros(),
          fp32.fastestKernelMicros() / int8.fastestKernelMicros()));
      line("");
      line("| op (as ORT runs it) | FP32 kernels | FP32 us/run | FP32 share | INT8 kernels | INT8 us/run | INT8 share |");
      line("|---|---|---|---|---|---|---|");
      Set<String> ops = new LinkedHashSet<>(int8.microsPerOp().keySet());
      ops.addAll(fp32.microsPerOp().keySet());
      for (String op : ops) {
        line("| " + op + " | " + cell(fp32.kernelsPerOp().get(op)) + " | " + us(fp32.microsPerOp().get(op)) + " | "
            + share(fp32.microsPerOp().get(op), fp32.kernelMicros()) + " | " + cell(int8.kernelsPerOp().get(op)) + " | "
            + us(int8.microsPerOp().get(op)) + " | " + share(int8.microsPerOp().get(op), int8.kernelMicros()) + " |");
      }
      line("");
      List<OrtOpProfile.Kernel> fc = fp32.convolutions();
      List<OrtOpProfile.Kernel> qc = int8.convolutions();
      if (fc.size() == qc.size() && !fc.isEmpty()) {
        line("Convolution by convolution, in execution order (median us per run; fastest run in brackets):");
        line("");
        line("| # | FP32 node | output | FP32 us | INT8 node | output | INT8 us | INT8 / FP32 speed (median) | (fastest) |");
        line("|---|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < fc.size(); i++) {
          OrtOpProfile.Kernel f = fc.get(i);
          OrtOpProfile.Kernel q = qc.get(i);
          line(String.format(Locale.ROOT, "| %d | %s (%s) | %s | %,.0f [%,.0f] | %s (%s) | %s | %,.0f [%,.0f] | %.2fx | %.2fx |", i + 1, f.node(),
              f.op(), f.outputShape(), f.medianMicros(), f.minMicros(), q.node(), q.op(), q.outputShape(), q.medianMicros(),
              q.minMicros(), f.medianMicros() / q.medianMicros(), f.minMicros() / q.minMicros()));
        }
        line("");
      }
      OrtOpProfile pad4 = r.opProfiles.get(BenchModels.Precision.INT8_PAD4.id() + " batch " + batch);
      if (pad4 != null) {
        List<OrtOpProfile.Kernel> head = new ArrayList<>();
        for (OrtOpProfile.Kernel k : pad4.kernels()) {
          head.add(k);
          if (k.op().startsWith("QLinearConv")) {
            break;
          }
        }
        line(String.format(Locale.ROOT, "The same INT8 model with the stem's input channels zero-padded to %d (`ConvChannelPadding`): one run "
            + "%,.0f us, kernel medians %,.0f us, fastest %,.0f us: INT8 / FP32 %.2fx by kernel medians (unpadded: %.2fx), %.2fx by "
            + "fastest runs (unpadded: %.2fx). Its kernels up to and including the stem: %s.", BenchModels.STEM_CHANNEL_MULTIPLE,
            pad4.runMicros(), pad4.kernelMicros(), pad4.fastestKernelMicros(), fp32.kernelMicros() / pad4.kernelMicros(),
            fp32.kernelMicros() / int8.kernelMicros(), fp32.fastestKernelMicros() / pad4.fastestKernelMicros(),
            fp32.fastestKernelMicros() / int8.fastestKernelMicros(),
            String.join(", ", head.stream().map(k -> String.format(Locale.ROOT, "%s %,.0f us", k.op(), k.medianMicros())).toList())));
        line("");
      }
      OrtOpProfile stem = r.opProfiles.get(BenchDriver.STEM_FP32 + " batch " + batch);
      if (stem != null) {
        List<OrtOpProfile.Kernel> head = new ArrayList<>();
        for (OrtOpProfile.Kernel k : stem.kernels()) {
          if (k.op().startsWith("QLinearConv")) {
            break;
          }
          head.add(k);
        }
        line(String.format(Locale.ROOT, "The same INT8 model with its first convolution kept FP32 (excluded from quantization): one run "
            + "%,.0f us, kernel medians %,.0f us, fastest %,.0f us: INT8 / FP32 %.2fx by kernel medians (all-INT8: %.2fx). "
            + "Its kernels up to the first integer convolution: %s.", stem.runMicros(), stem.kernelMicros(), stem.fastestKernelMicros(),
            fp32.kernelMicros() / stem.kernelMicros(), fp32.kernelMicros() / int8.kernelMicros(),
            String.join(", ", head.stream().map(k -> String.format(Locale.ROOT, "%s %,.0f us", k.op(), k.medianMicros())).toList())));
        line("");
      }
    }
  }

  private void calibration() {
    if (r.calibration.isEmpty()) {
      return;
    }
    line("## Calibration cost (ResNet8, " + BenchModels.CALIBRATION_IMAGES + " training images, batch 50, ONNX Runtime, default RunnerOptions)");
    line("");
    List<Double> pass = new ArrayList<>();
    r.calibration.forEach(c -> pass.addAll(c.fp32PassMillis()));
    line("One FP32 pass over the same images (batch " + CalibrationBenchmark.FP32_PASS_BATCH + "): " + Stats.of(pass).format("%.1f")
        + " ms. Ratio: per round, the method's median over the FP32 pass's median of the fork just before it.");
    line("");
    line("| method | calibrate ms | x one FP32 pass |");
    line("|---|---|---|");
    Set<String> methods = new LinkedHashSet<>();
    r.calibration.forEach(c -> methods.addAll(c.methodMillis().keySet()));
    for (String method : methods) {
      List<Double> ms = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (BenchResults.CalibrationRound c : r.calibration) {
        List<Double> v = c.methodMillis().get(method);
        if (v != null) {
          ms.addAll(v);
          ratios.add(Stats.of(v).median() / Stats.of(c.fp32PassMillis()).median());
        }
      }
      line("| " + method + " | " + Stats.of(ms).format("%.1f") + " | " + Stats.of(ratios).format("%.2f") + "x |");
    }
    line("");
  }

  private void problems() {
    if (r.failures.isEmpty() && r.calibrationFailures.isEmpty() && r.notes.isEmpty() && !r.nativeOrt.startsWith("skipped")) {
      return;
    }
    line("## Not measured");
    line("");
    if (r.nativeOrt.startsWith("skipped")) {
      line("- native ONNX Runtime: " + r.nativeOrt);
    }
    for (Map.Entry<Key, String> e : r.failures.entrySet()) {
      if (!(e.getKey().path() == Path.RUNNER && !e.getKey().backend().equals(OrtBackend.NAME))) {
        line("- " + BenchDriver.describe(e.getKey()) + ": " + e.getValue());
      }
    }
    r.calibrationFailures.forEach((k, v) -> line("- calibration " + k + ": " + v));
    r.notes.forEach(n -> line("- " + n));
    line("");
  }

  private List<Key> sorted(List<Key> keys) {
    List<Key> s = new ArrayList<>(keys);
    s.sort((a, b) -> {
      int c = a.backend().compareTo(b.backend());
      c = c != 0 ? c : Integer.compare(a.path().ordinal(), b.path().ordinal());
      c = c != 0 ? c : a.precision().compareTo(b.precision());
      c = c != 0 ? c : Integer.compare(a.batch(), b.batch());
      c = c != 0 ? c : Integer.compare(a.threads(), b.threads());
      return c != 0 ? c : Boolean.compare(a.spin(), b.spin());
    });
    return s;
  }

  private static String pathLabel(Key k) {
    return switch (k.path()) {
      case RAW -> "ORT-Java raw";
      case NATIVE -> "ORT native (Node)";
      case RUNNER -> "quantkit / " + k.backend();
    };
  }

  private static String threadLabel(Key k) {
    return k.threads() == 1 ? "1" : k.threads() + (k.spin() ? " spin" : " no-spin");
  }

  private String ips(Key k) {
    return r.imagesPerSecond(k).map(s -> s.format("%,.0f")).orElse(r.failures.containsKey(k) ? "failed" : "—");
  }

  private String bytes(Key k) {
    return r.bytesPerCall(k).map(s -> String.format(Locale.ROOT, "%.0f", s.median())).orElse("—");
  }

  private String bytesDiff(Key a, Key b) {
    Optional<Stats> x = r.bytesPerCall(a);
    Optional<Stats> y = r.bytesPerCall(b);
    return x.isPresent() && y.isPresent() ? String.format(Locale.ROOT, "%+.0f", x.get().median() - y.get().median()) : "—";
  }

  /** e.g. {@code 1.73x (1.70–1.77)}: the median ratio and the range over rounds. */
  private static String ratio(Optional<Stats> s) {
    return s.map(v -> v.n() == 1 ? String.format(Locale.ROOT, "%.2fx", v.median())
        : String.format(Locale.ROOT, "%.2fx (%.2f–%.2f)", v.median(), v.min(), v.max())).orElse("—");
  }

  private static String fmt(Optional<Stats> s, String pattern) {
    return s.map(v -> v.format(pattern)).orElse("—");
  }

  private static String us(Double v) {
    return v == null ? "—" : String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String cell(Integer v) {
    return v == null ? "—" : v.toString();
  }

  private static String share(Double v, double total) {
    return v == null ? "—" : String.format(Locale.ROOT, "%.1f %%", 100 * v / total);
  }

  private static String escape(String s) {
    return s.replace("|", "\\|");
  }

  private void line(String s) {
    md.append(s).append('\n');
  }
}
