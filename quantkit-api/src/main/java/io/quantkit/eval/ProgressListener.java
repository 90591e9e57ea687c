package io.quantkit.eval;

/**
 * Told after each batch how many samples are done out of how many. Called on the evaluating thread.
 *
 * <p>Thread-safety: called on the evaluating thread only; a listener shared by concurrent evaluations
 * must be thread-safe itself.
 */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (done, total) -> { };

  void onProgress(int done, int total);
}
