package io.quantkit;

/**
 * A data file or folder is missing, malformed or fails its checksum.
 *
 * <p>Thread-safety: as {@link QuantkitException}.
 */
public class DatasetException extends QuantkitException {
  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
