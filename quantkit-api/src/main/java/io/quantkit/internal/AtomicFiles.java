package io.quantkit.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every file quantkit writes goes through here: written completely into a temporary file beside
 * the target, then renamed over it, so a reader never sees half a file and a failure leaves
 * nothing behind.
 *
 * <p>The result has the permissions a plain write would give it: an existing target keeps its
 * mode, a new one gets the process's default ({@code 0666 & ~umask} on POSIX), because the
 * temporary file is created with the default mode rather than with
 * {@link Files#createTempFile}'s owner-only 0600. A target that is a symbolic link is written
 * through, as a plain write would, instead of the link being replaced.
 *
 * <p>Stateless and thread-safe; two threads writing the same target at once each leave a whole
 * file (the last rename wins).
 */
public final class AtomicFiles {
  /** Below this many free bytes a destination is refused up front. */
  private static final long MIN_FREE_BYTES = 1L << 20;

  /** Writes the content of one file. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  public static void write(Path file, byte[] bytes) throws IOException {
    write(file, out -> out.write(bytes));
  }

  /**
   * Writes {@code content} into a temporary file in the target's folder (created if missing),
   * then renames it over {@code file}.
   */
  public static void write(Path file, Content content) throws IOException {
    Path target = resolveLink(file.toAbsolutePath());
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = createSibling(target, ".tmp");
    boolean moved = false;
    try {
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
        content.writeTo(out);
      }
      copyPermissions(target, tmp);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
    } finally {
      if (!moved) {
        deleteQuietly(tmp);
      }
    }
  }

  /**
   * A new empty file beside {@code target} (hidden, random name ending in {@code suffix}) with the
   * default permissions a plain file would get, for callers that fill it and move it into place
   * themselves.
   */
  public static Path createSibling(Path target, String suffix) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    for (int attempt = 0; ; attempt++) {
      String name = "." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
          + suffix;
      try {
        // CREATE_NEW with no attributes: the mode is 0666 & ~umask, as for any new file.
        Files.newOutputStream(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return dir.resolve(name);
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e;
        }
      }
    }
  }

  /**
   * Checks, before any long work, that {@code file} can be written: its folder exists (or can be
   * created under an existing, writable folder), is writable and has free space, and the target is
   * not a folder or a device. Throws {@link IOException} whose message says why not (permission
   * denied, read-only file system, no space, not a folder...).
   */
  public static void checkWritable(Path file) throws IOException {
    Path target = resolveLink(file.toAbsolutePath());
    if (Files.isDirectory(target)) {
      throw new FileSystemException(file.toString(), null, "is a folder");
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
      throw new FileSystemException(file.toString(), null, "exists and is not a regular file");
    }
    Path existing = target.getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      throw new FileSystemException(file.toString(), null, "no existing folder above it");
    }
    if (!Files.isDirectory(existing)) {
      throw new FileSystemException(file.toString(), null, existing + " is not a folder");
    }
    // A probe file, not Files.isWritable: access(2) says yes to root on a read-only mount's
    // folders only sometimes, and knows nothing of quotas or a full disk.
    Path probe;
    try {
      probe = createSibling(existing.resolve("quantkit-probe"), ".probe");
    } catch (IOException e) {
      throw new FileSystemException(file.toString(), null, "cannot create files in " + existing + ": " + reason(e));
    }
    deleteQuietly(probe);
    FileStore store = Files.getFileStore(existing);
    long free = store.getUsableSpace();
    if (free < MIN_FREE_BYTES) {
      throw new FileSystemException(file.toString(), null, "no space left on " + existing + " (" + free + " bytes free)");
    }
  }

  /**
   * Why an I/O operation failed, in words: Java's exceptions often carry only the path
   * ({@code AccessDeniedException: /x}), which says nothing to a user.
   */
  public static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or folder";
    }
    if (e instanceof NotDirectoryException) {
      return "not a folder";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "already exists";
    }
    if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      String r = ((FileSystemException) e).getReason();
      return r.isEmpty() ? r : Character.toLowerCase(r.charAt(0)) + r.substring(1);
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** "path: reason" for an I/O failure on a file quantkit was writing or reading. */
  public static String describe(Path file, IOException e) {
    return file + ": " + reason(e);
  }

  private static Path resolveLink(Path target) throws IOException {
    if (Files.isSymbolicLink(target) && Files.exists(target)) {
      return target.toRealPath();
    }
    return target;
  }

  private static void copyPermissions(Path from, Path to) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (view == null || !Files.exists(from)) {
      return;
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(from);
    view.setPermissions(mode);
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // Best effort: the error that brought us here is the one to report.
    }
  }
}
