package io.quantkit.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The interleaved driver from a plain command line, for the benchmarks jar:
 * {@code java -cp quantkit-bench/target/benchmarks.jar io.quantkit.bench.BenchMain --profile short}.
 * Options: {@code --profile short|full}, {@code --out-dir DIR} (default out/bench),
 * {@code --native-dir DIR} (default OUT/node) or {@code --no-native}, {@code --backends a,b},
 * {@code --sections hot_path,other_backends,probe,op_profile,calibration}. {@code ./quantkit bench --jmh}
 * takes the same options.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) {
    Profile profile = Profile.SHORT;
    Path out = Path.of("out/bench");
    Optional<Path> nativeDir = null;
    List<String> backends = List.of();
    EnumSet<BenchDriver.Section> sections = EnumSet.allOf(BenchDriver.Section.class);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--profile" -> profile = Profile.parse(value(args, ++i, a));
        case "--out-dir" -> out = Path.of(value(args, ++i, a));
        case "--native-dir" -> nativeDir = Optional.of(Path.of(value(args, ++i, a)));
        case "--no-native" -> nativeDir = Optional.empty();
        case "--backends" -> backends = Arrays.asList(value(args, ++i, a).split(","));
        case "--sections" -> {
          sections = EnumSet.noneOf(BenchDriver.Section.class);
          for (String s : value(args, ++i, a).split(",")) {
            sections.add(BenchDriver.Section.valueOf(s.trim().toUpperCase(Locale.ROOT)));
          }
        }
        default -> {
          System.err.println("quantkit-bench: unknown option " + a + " (see the javadoc of io.quantkit.bench.BenchMain)");
          System.exit(2);
        }
      }
    }
    BenchDriver.Options options = BenchDriver.Options.of(profile, out).withBackends(backends).withSections(sections);
    if (nativeDir != null) {
      options = options.withNativeDir(nativeDir);
    }
    BenchResults results = BenchDriver.run(options, System.out::println);
    List<String> command = new ArrayList<>(List.of("java", "-cp", "benchmarks.jar", BenchMain.class.getName()));
    command.addAll(Arrays.asList(args));
    Path md = BenchOutput.write(results, out, String.join(" ", command));
    System.out.println("wrote " + md);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      System.err.println("quantkit-bench: " + option + " needs a value");
      System.exit(2);
    }
    return args[i];
  }
}
