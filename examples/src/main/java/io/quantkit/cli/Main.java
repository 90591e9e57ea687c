package io.quantkit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

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
      SensitivityCommand.class,
      DebugCommand.class, PlaygroundCommand.class,
      FuzzCommand.class,
      SoakCommand.class,
      CommandLine.HelpCommand.class
    })
/**
 * Thread-safety: {@link #run} builds its own command objects per call, but commands print to {@code
 * System.out}/{@code System.err}: run one CLI invocation at a time per JVM.
 */
public final class Main {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
  public static int run(String... args) {
    CommandLine cli = args.length > 0 ? onlySubcommand(args[0]) : null;
    if (cli == null) {
      cli = new CommandLine(new Main());
    }
    cli.setExecutionExceptionHandler(new ErrorHandler());
    cli.setParameterExceptionHandler(Main::usageError);
    return cli.execute(args);
  }

  /**
   * The top-level command with just the subcommand {@code name} (null if there is none by that
   * name). Building picocli's model of every subcommand costs about 0.3 s of CPU at each start,
   * and a run needs only the one it runs; help and unknown names get the full model. The
   * {@code subcommands} list of {@link Main}'s annotation stays the one registry.
   */
  private static CommandLine onlySubcommand(String name) {
    Command top = Main.class.getAnnotation(Command.class);
    for (Class<?> c : top.subcommands()) {
      Command sub = c.getAnnotation(Command.class);
      if (sub == null || c == CommandLine.HelpCommand.class
          || !(sub.name().equals(name) || java.util.Arrays.asList(sub.aliases()).contains(name))) {
        continue;
      }
      CommandSpec spec = CommandSpec.create().name(top.name()).version(top.version());
      spec.mixinStandardHelpOptions(top.mixinStandardHelpOptions());
      spec.usageMessage().description(top.description());
      CommandLine cli = new CommandLine(spec);
      cli.addSubcommand(sub.name(), new CommandLine(c));
      return cli;
    }
    return null;
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
