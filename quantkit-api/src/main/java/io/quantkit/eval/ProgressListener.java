package io.quantkit.eval;

/** Told after each batch how many samples are done out of how many. Called on the evaluating thread. */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (done, total) -> { };

  void onProgress(int done, int total);
}
