package io.quantkit.cli;

import io.quantkit.fuzz.Fuzzer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fuzz", mixinStandardHelpOptions = true,
    description = "Seeded mutation fuzzing of the input formats: every case must end in a valid result or a typed "
        + "one-line error within the time bound, leaving no partial output. Exit 1 if any case did not.")
final class FuzzCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--format", defaultValue = "all", split = ",",
      description = "h5, onnx, plan, report, cifar, images or all (default ${DEFAULT-VALUE}).")
  List<String> formats;

  @Option(names = "--count", defaultValue = "1000", description = "Cases per format (default ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--seed", defaultValue = "1", description = "Seed; with --first it reproduces any case (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--first", defaultValue = "0", description = "Number of the first case (default ${DEFAULT-VALUE}).")
  int first;

  @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS", description = "Time bound per case (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--keep", paramLabel = "DIR", description = "Copy the inputs of failing cases here.")
  Path keep;

  @Option(names = "--list", description = "Print every case: outcome, mutation and message.")
  boolean list;

  @Override
  public Integer call() throws Exception {
    if (count < 1 || first < 0 || timeoutSeconds < 1) {
      throw new IllegalArgumentException("--count and --timeout must be at least 1 and --first at least 0");
    }
    List<Fuzzer.Format> selected = new ArrayList<>();
    for (String f : formats) {
      if (f.equalsIgnoreCase("all")) {
        selected.addAll(List.of(Fuzzer.Format.values()));
      } else {
        selected.add(Fuzzer.Format.parse(f));
      }
    }
    Fuzzer fuzzer = Fuzzer.builder().seed(seed).cases(first, count).timeout(Duration.ofSeconds(timeoutSeconds))
        .keepFailures(keep).build();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    boolean passed = true;
    List<String> summary = new ArrayList<>();
    for (Fuzzer.Format format : selected) {
      err.printf("fuzz %s: %d cases from %d, seed %d...%n", format.cliName(), count, first, seed);
      err.flush();
      Fuzzer.Report r = fuzzer.run(format);
      passed &= r.passed();
      out.printf(Locale.ROOT, "%s (%s): %d cases, seed %d, cases %d..%d, %.1f s, slowest case %.1f s%n", format.cliName(),
          format.description(), r.count(), r.seed(), r.first(), r.first() + r.count() - 1, r.millis() / 1000.0,
          r.slowestCaseMillis() / 1000.0);
      for (Map.Entry<String, Integer> e : r.outcomes().entrySet()) {
        out.printf(Locale.ROOT, "  %6d  %s%n", e.getValue(), e.getKey());
      }
      for (Fuzzer.Failure f : list ? r.cases() : r.failures().subList(0, Math.min(20, r.failures().size()))) {
        out.printf("  case %d: %s | mutation: %s | %s%n", f.index(), f.outcome(), f.mutation(), f.message());
      }
      summary.add(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %d |", format.cliName(), r.count(), r.valid(),
          r.rejected(), r.failures().size()));
      out.flush();
    }
    out.println();
    out.println("| format | cases | valid result | typed rejection | failures |");
    out.println("|---|---|---|---|---|");
    summary.forEach(out::println);
    return passed ? 0 : ErrorHandler.EXIT_FAILURE;
  }
}
