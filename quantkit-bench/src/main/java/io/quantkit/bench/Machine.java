package io.quantkit.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** What the figures were measured on: CPU model and the flags ORT's kernels choose by, JVM, ORT. */
record Machine(String cpuModel, ImmutableList<String> cpuFlags, int cores, String os, String jvm, String ortJava,
    String loadAverage) {
  /** The instruction-set extensions that pick ONNX Runtime's FP32 and INT8 kernels on x86. */
  static final List<String> FLAGS = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8");

  static Machine describe() {
    String model = "unknown";
    Set<String> flags = new TreeSet<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name") && model.equals("unknown")) {
          model = line.substring(line.indexOf(':') + 1).trim();
        } else if (line.startsWith("flags") && flags.isEmpty()) {
          for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
            if (FLAGS.contains(f)) {
              flags.add(f);
            }
          }
        }
      }
    } catch (IOException e) {
      model = System.getProperty("os.arch") + " (no /proc/cpuinfo)";
    }
    List<String> ordered = new ArrayList<>();
    FLAGS.stream().filter(flags::contains).forEach(ordered::add);
    String jvm = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    String ort = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "quantkit").getVersion();
    return new Machine(model, ImmutableList.copyOf(ordered), Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"), jvm, ort,
        currentLoadAverage());
  }

  boolean vnni() {
    return cpuFlags.contains("avx512_vnni") || cpuFlags.contains("avx_vnni");
  }

  /** The 1, 5 and 15 minute load averages; above the core count, other work competed for the CPU. */
  static String currentLoadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return String.format(Locale.ROOT, "%s %s %s", f[0], f[1], f[2]);
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      return "n/a";
    }
  }
}
