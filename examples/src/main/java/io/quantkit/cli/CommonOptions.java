package io.quantkit.cli;

import picocli.CommandLine.Option;

/** Options every subcommand takes. */
final class CommonOptions {
  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads per backend (0 = all cores; default ${DEFAULT-VALUE}).")
  int threads;
}
