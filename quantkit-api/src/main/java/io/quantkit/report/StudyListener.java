package io.quantkit.report;

/**
 * Told after each batch of every step of a {@link QuantizationStudy}, on the study's thread. May
 * throw {@link java.util.concurrent.CancellationException} to stop the study.
 */
@FunctionalInterface
public interface StudyListener {
  StudyListener NONE = p -> { };

  void onProgress(StudyProgress progress);
}
