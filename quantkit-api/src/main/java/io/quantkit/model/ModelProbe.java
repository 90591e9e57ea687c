package io.quantkit.model;

import io.quantkit.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What {@link ModelImporter#recognizes} looks at: a model path, whether it is a directory, and
 * the first bytes of a file (read once for every importer). Immutable.
 */
public final class ModelProbe {
  /** Enough for every signature quantkit checks: HDF5 may sit after a user block of up to 2 KiB here. */
  static final int HEAD_BYTES = 4096;
  private static final byte[] HDF5 = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  private static final byte[] ZIP = {'P', 'K', 3, 4};

  private final Path path;
  private final boolean directory;
  private final byte[] head;

  private ModelProbe(Path path, boolean directory, byte[] head) {
    this.path = path;
    this.directory = directory;
    this.head = head;
  }

  /**
   * Probes {@code path}: a directory, or a file whose first {@value #HEAD_BYTES} bytes are read.
   *
   * @throws ModelFormatException if it does not exist or cannot be read
   */
  public static ModelProbe of(Path path) {
    if (Files.isDirectory(path)) {
      return new ModelProbe(path, true, new byte[0]);
    }
    try (InputStream in = Files.newInputStream(path)) {
      return new ModelProbe(path, false, in.readNBytes(HEAD_BYTES));
    } catch (NoSuchFileException e) {
      throw new ModelFormatException("model file " + path + " does not exist", e);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read model file " + path + ": " + e.getMessage(), e);
    }
  }

  /** For tests and in-memory checks. */
  public static ModelProbe ofBytes(Path path, byte[] head) {
    return new ModelProbe(path, false, Arrays.copyOf(head, Math.min(head.length, HEAD_BYTES)));
  }

  public Path path() {
    return path;
  }

  public boolean isDirectory() {
    return directory;
  }

  /** Number of bytes read from the start of the file (fewer than {@value #HEAD_BYTES} for a short file). */
  public int headLength() {
    return head.length;
  }

  /** Byte {@code i} of the file ({@code 0 <= i < headLength()}), as 0..255. */
  public int head(int i) {
    return head[i] & 0xFF;
  }

  /** Whether the file holds {@code signature} at byte {@code offset}. */
  public boolean hasBytesAt(int offset, byte... signature) {
    if (offset < 0 || offset + signature.length > head.length) {
      return false;
    }
    for (int i = 0; i < signature.length; i++) {
      if (head[offset + i] != signature[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * An HDF5 file: its signature at byte 0, or after a user block (512, 1024 or 2048 bytes).
   */
  public boolean isHdf5() {
    for (int offset = 0; offset <= 2048; offset = offset == 0 ? 512 : offset * 2) {
      if (hasBytesAt(offset, HDF5)) {
        return true;
      }
    }
    return false;
  }

  /** A zip archive (TorchScript archives are zips). */
  public boolean isZip() {
    return hasBytesAt(0, ZIP);
  }

  /** A directory that holds {@code fileName} (a SavedModel directory holds saved_model.pb). */
  public boolean directoryHolds(String fileName) {
    return directory && Files.isRegularFile(path.resolve(fileName));
  }

  /** The file name's extension in lower case with the dot, or "" when it has none. */
  public String extension() {
    Path name = path.getFileName();
    String s = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
    int dot = s.lastIndexOf('.');
    return dot < 0 ? "" : s.substring(dot);
  }

  @Override
  public String toString() {
    return "ModelProbe(" + path + (directory ? ", directory" : ", " + head.length + " bytes read") + ")";
  }
}
