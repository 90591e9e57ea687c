package io.quantkit.report;

/**
 * Where a {@link QuantizationStudy} is: the current step ("calibrate uint8-pertensor-minmax", ...),
 * images done in it out of its total, and the share of the whole study done (0..1, weighted by
 * images processed).
 */
public record StudyProgress(String step, int stepDone, int stepTotal, double fraction) {}
