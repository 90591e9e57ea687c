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
    cli.setParameterExceptionHandler(Main::usageError);
    return cli.execute(args);
  }

  /**
   * A mistyped flag or value: one line and where to look, not the whole usage text (which
   * scrolls the actual problem off the screen).
   */
  private static int usageError(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    StringBuilder line = new StringBuilder("quantkit: error: ")
        .append(ex.getMessage() == null ? "invalid arguments" : ex.getMessage().strip().replaceAll("\\s*\\R\\s*", "; "));
    if (ex instanceof CommandLine.UnmatchedArgumentException) {
      java.util.List<String> suggestions = ((CommandLine.UnmatchedArgumentException) ex).getSuggestions();
      if (!suggestions.isEmpty()) {
        line.append(" (did you mean ").append(String.join(", ", suggestions.subList(0, Math.min(3, suggestions.size()))))
            .append("?)");
      }
    }
    line.append("; see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help'");
    cmd.getErr().println(line);
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }
}
