package io.quantkit.bench;

import io.quantkit.QuantkitException;

/** A benchmark run that cannot go on (another JMH run holds the machine, the models cannot be written). */
public class BenchmarkException extends QuantkitException {
  private static final long serialVersionUID = 1L;

  public BenchmarkException(String message) {
    super(message);
  }
}
