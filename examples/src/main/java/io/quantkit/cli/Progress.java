package io.quantkit.cli;

import java.io.PrintWriter;

/** A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal-ish stream. */
final class Progress {
  private final PrintWriter err;
  private final String label;
  private final long startNanos = System.nanoTime();
  /** Without a terminal (logs, CI) a line per 10 % instead of an in-place redraw per percent. */
  private final boolean terminal = System.console() != null;
  private int lastPercent = -1;

  Progress(PrintWriter err, String label) {
    this.err = err;
    this.label = label;
  }

  void update(int done, int total) {
    int percent = total == 0 ? 100 : (int) (100L * done / total);
    if (!terminal && done < total) {
      percent -= percent % 10;
    }
    if (percent == lastPercent) {
      return;
    }
    lastPercent = percent;
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double rate = seconds > 0 ? done / seconds : 0;
    err.printf("%s%s %3d%% (%d/%d, %.0f images/s)", terminal ? "\r" : "", label, percent, done, total, rate);
    if (!terminal || done >= total) {
      err.println();
    }
    err.flush();
  }
}
