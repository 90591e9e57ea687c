package io.quantkit.playground;

import io.quantkit.QuantkitException;

/** A request the playground refuses, with the HTTP status to answer and a message for the user. */
final class PlaygroundException extends QuantkitException {
  private static final long serialVersionUID = 1L;
  final int status;

  PlaygroundException(int status, String message) {
    super(message);
    this.status = status;
  }
}
