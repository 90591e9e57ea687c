package io.quantkit.cli;

import io.quantkit.QuantkitException;
import io.quantkit.internal.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** One line per failure on stderr, the stack trace only with --verbose. */
final class ErrorHandler implements IExecutionExceptionHandler {
  static final int EXIT_FAILURE = 1;

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
    boolean verbose = parsed.subcommand() != null
        ? parsed.subcommand().hasMatchedOption("--verbose")
        : parsed.hasMatchedOption("--verbose");
    cmd.getErr().println("quantkit: error: " + describe(ex));
    if (verbose) {
      ex.printStackTrace(cmd.getErr());
    } else if (!(ex instanceof QuantkitException) && !(ex instanceof IllegalArgumentException) && !(ex instanceof IOException) && !(ex instanceof UncheckedIOException)) {
      cmd.getErr().println("quantkit: (unexpected " + ex.getClass().getSimpleName() + "; rerun with --verbose for the stack trace)");
    }
    return EXIT_FAILURE;
  }

  private static String describe(Throwable ex) {
    if (ex instanceof NoSuchFileException) {
      return "no such file: " + ex.getMessage();
    }
    if (ex instanceof FileSystemException) {
      // Java puts only the path in the message of AccessDeniedException and friends.
      FileSystemException f = (FileSystemException) ex;
      return (f.getFile() == null ? "" : f.getFile() + ": ") + AtomicFiles.reason(f);
    }
    if (ex instanceof UncheckedIOException && ex.getCause() != null) {
      return describe(ex.getCause());
    }
    String msg = ex.getMessage();
    // One line, whatever the message: continuation lines would break the one-line contract.
    return msg == null || msg.isBlank() ? ex.getClass().getSimpleName() : msg.strip().replaceAll("\\s*\\R\\s*", "; ");
  }
}
