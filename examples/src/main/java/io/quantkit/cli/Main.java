package io.quantkit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quantkit} command line. Library code never prints; everything a user sees is said here. */
@Command(
    name = "quantkit",
    mixinStandardHelpOptions = true,
    version = "quantkit 0.1.0",
    description = "Convert, verify, quantize and benchmark neural networks on the JVM.",
    subcommands = {
      EvalCommand.class,
      ConvertCommand.class,
      CompareCommand.class,
      BenchCommand.class,
      QuantizeCommand.class,
      InspectCommand.class,
      SweepCommand.class,
      DebugCommand.class, PlaygroundCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(new ErrorHandler());
    return cli.execute(args);
  }
}
