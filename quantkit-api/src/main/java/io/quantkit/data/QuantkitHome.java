package io.quantkit.data;

import com.google.common.base.Preconditions;
import com.google.common.base.Strings;
import com.google.common.collect.ImmutableSet;
import com.google.common.io.BaseEncoding;
import com.google.common.io.ByteStreams;
import io.quantkit.DatasetException;
import io.quantkit.internal.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The SDK's cache folder of models and datasets: {@code $QUANTKIT_HOME}, else the system property
 * {@code quantkit.home}, else {@code ~/.quantkit}. Layout:
 *
 * <pre>
 * models/mlperf-tiny-resnet8/pretrainedResnet.h5
 * datasets/cifar-10-batches-bin/{test_batch,data_batch_1..5}.bin, batches.meta.txt
 * datasets/cifar-10-jpeg-q75-test/&lt;class&gt;/*.jpg
 * </pre>
 *
 * <p>Files already present are used as they are, and nothing is written then, so the folder may
 * be read-only (CI mounts a prepared one). Missing files are downloaded into a temporary file in
 * the target folder, checked against their published digest and moved into place atomically, so
 * an interrupted or corrupted download never leaves a file that looks complete.
 *
 * <p>Thread-safety: thread-safe; downloads are serialised within the JVM, and across processes the
 * atomic moves keep every file whole.
 */
public final class QuantkitHome {
  public static final String ENV_VAR = "QUANTKIT_HOME";
  public static final String PROPERTY = "quantkit.home";

  public static final String RESNET8_MODEL_PATH = "models/mlperf-tiny-resnet8/pretrainedResnet.h5";
  public static final String CIFAR10_PATH = "datasets/cifar-10-batches-bin";
  public static final String CIFAR10_JPEG_TEST_PATH = "datasets/cifar-10-jpeg-q75-test";

  /** The official CIFAR-10 binary archive (162 MiB). */
  public static final RemoteFile CIFAR10_ARCHIVE = RemoteFile.md5(
      "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530");
  /** MLPerf Tiny's reference ResNet8 (Keras HDF5). */
  public static final RemoteFile RESNET8_MODEL = RemoteFile.sha256(
      "https://github.com/mlcommons/tiny/raw/master/benchmark/training/image_classification/trained_models/pretrainedResnet.h5",
      "5f938a8eea605438cc7360aa13c987bc6d7bd0c8d931b2917361ae7ae4eeda2f");

  /** The members of the CIFAR-10 archive the SDK keeps. */
  public static final ImmutableSet<String> CIFAR10_FILES = ImmutableSet.of(
      "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
      "test_batch.bin", "batches.meta.txt");

  /** Serialises downloads within this JVM; across processes the atomic moves keep files whole. */
  private static final Object DOWNLOAD_LOCK = new Object();

  private final Path dir;
  private final Downloader downloader;
  private final RemoteFile cifar10Archive;
  private final RemoteFile resnet8Model;

  private QuantkitHome(Builder b) {
    this.dir = b.dir;
    this.downloader = b.downloader;
    this.cifar10Archive = b.cifar10Archive;
    this.resnet8Model = b.resnet8Model;
  }

  /** The folder named by {@code $QUANTKIT_HOME}, else {@code -Dquantkit.home}, else {@code ~/.quantkit}. */
  public static QuantkitHome fromEnvironment() {
    return at(defaultDir());
  }

  /** A cache in {@code dir} with the standard sources and HTTP downloads. */
  public static QuantkitHome at(Path dir) {
    return builder().dir(dir).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Where {@link #fromEnvironment()} looks. */
  public static Path defaultDir() {
    String env = System.getenv(ENV_VAR);
    if (!Strings.isNullOrEmpty(env)) {
      return Paths.get(env);
    }
    String prop = System.getProperty(PROPERTY);
    if (!Strings.isNullOrEmpty(prop)) {
      return Paths.get(prop);
    }
    return Paths.get(System.getProperty("user.home"), ".quantkit");
  }

  public Path dir() {
    return dir;
  }

  /** The ResNet8 Keras model, downloaded and verified (SHA-256) if missing. */
  public Path resnet8Model() {
    Path target = dir.resolve(RESNET8_MODEL_PATH);
    if (Files.isRegularFile(target)) {
      return target;
    }
    synchronized (DOWNLOAD_LOCK) {
      if (!Files.isRegularFile(target)) {
        Path tmp = download(resnet8Model, target.getParent(), target, "put it at " + target);
        move(tmp, target);
      }
    }
    return target;
  }

  /**
   * The CIFAR-10 binary folder, guaranteed to hold at least {@code test_batch.bin} and
   * {@code data_batch_1.bin}; when either is missing the archive is downloaded and every missing
   * member extracted (present files are left alone).
   */
  public Path cifar10Dir() {
    cifar10File("test_batch.bin");
    cifar10File("data_batch_1.bin");
    return dir.resolve(CIFAR10_PATH);
  }

  /**
   * One member of the CIFAR-10 archive ({@link #CIFAR10_FILES}), downloading the archive when it is
   * missing.
   */
  public Path cifar10File(String fileName) {
    Preconditions.checkArgument(CIFAR10_FILES.contains(fileName), "%s is not one of %s", fileName, CIFAR10_FILES);
    Path folder = dir.resolve(CIFAR10_PATH);
    Path target = folder.resolve(fileName);
    if (Files.isRegularFile(target)) {
      return target;
    }
    synchronized (DOWNLOAD_LOCK) {
      if (!Files.isRegularFile(target)) {
        Path archive = download(cifar10Archive, folder, target,
            "extract its cifar-10-batches-bin/*.bin and batches.meta.txt into " + folder);
        try {
          extractMissing(archive, folder);
        } finally {
          deleteQuietly(archive);
        }
        if (!Files.isRegularFile(target)) {
          throw new DatasetException("the archive " + cifar10Archive.uri() + " has no member cifar-10-batches-bin/" + fileName);
        }
      }
    }
    return target;
  }

  /**
   * The CIFAR-10 test set as JPEG image folder. It has no canonical download, so it must be
   * present.
   */
  public Path cifar10JpegTestDir() {
    Path folder = dir.resolve(CIFAR10_JPEG_TEST_PATH);
    if (!Files.isDirectory(folder)) {
      throw new DatasetException("no CIFAR-10 JPEG test folder at " + folder
          + " (expected <class>/<image>.jpg, one sub-folder per class)");
    }
    return folder;
  }

  /**
   * Fetches {@code source} into a temporary file in {@code folder} and verifies its digest. The
   * caller moves or deletes the returned file; on any failure nothing is left behind.
   */
  private Path download(RemoteFile source, Path folder, Path wanted, String placement) {
    String advice = "Without network access, download " + source.uri() + " elsewhere (" + source.algorithm() + " "
        + source.hexDigest() + ") and " + placement + ", or point " + ENV_VAR + " at a cache that has it.";
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new DatasetException(wanted + " is missing and " + folder + " cannot be created (" + e + "). " + advice, e);
    }
    Path tmp;
    try {
      tmp = AtomicFiles.createSibling(wanted, ".part");
    } catch (IOException e) {
      throw new DatasetException(wanted + " is missing and " + folder + " is not writable (" + e + "). " + advice, e);
    }
    boolean ok = false;
    try {
      MessageDigest digest = source.newDigest();
      try (InputStream in = new DigestInputStream(downloader.open(source.uri()), digest);
           OutputStream out = Files.newOutputStream(tmp)) {
        in.transferTo(out);
      } catch (IOException e) {
        throw new DatasetException("could not download " + source.uri() + " (" + e + "). " + advice, e);
      }
      String actual = BaseEncoding.base16().lowerCase().encode(digest.digest());
      if (!actual.equals(source.hexDigest())) {
        throw new DatasetException("checksum mismatch for " + source.uri() + ": expected " + source.algorithm() + " "
            + source.hexDigest() + ", actual " + actual + " (download corrupted or the file changed upstream)");
      }
      ok = true;
      return tmp;
    } finally {
      if (!ok) {
        deleteQuietly(tmp);
      }
    }
  }

  private static void extractMissing(Path archive, Path folder) {
    try (InputStream gz = new GZIPInputStream(Files.newInputStream(archive), 1 << 16);
         TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = e.getName();
        int slash = name.lastIndexOf('/');
        String base = name.substring(slash + 1);
        String parent = slash < 0 ? "" : name.substring(0, slash);
        if (!e.isFile() || !parent.endsWith("cifar-10-batches-bin") || !CIFAR10_FILES.contains(base)) {
          continue;
        }
        Path target = folder.resolve(base);
        if (Files.exists(target)) {
          continue;
        }
        Path tmp = AtomicFiles.createSibling(target, ".part");
        try {
          try (OutputStream out = Files.newOutputStream(tmp)) {
            // the stream ends with the member; a short member is a truncated archive
            long n = ByteStreams.copy(tar, out);
            if (n != e.getSize()) {
              throw new IOException("member " + name + " has " + n + " of " + e.getSize() + " bytes");
            }
          }
          move(tmp, target);
        } finally {
          deleteQuietly(tmp);
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // Commons Compress reports some malformed headers as IllegalArgumentException
      throw new DatasetException("cannot extract the CIFAR-10 archive into " + folder + ": " + e, e);
    }
  }

  private static void move(Path tmp, Path target) {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new DatasetException("cannot move the downloaded file into place at " + target + ": " + e, e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // Best effort: a leftover ".part" file is harmless and never mistaken for the real one.
    }
  }

  @Override
  public String toString() {
    return "QuantkitHome(" + dir + ")";
  }

  /** Options for tests and air-gapped mirrors; defaults are the public sources over HTTP. */
  public static final class Builder {
    private Path dir = defaultDir();
    private Downloader downloader = Downloader.http();
    private RemoteFile cifar10Archive = CIFAR10_ARCHIVE;
    private RemoteFile resnet8Model = RESNET8_MODEL;

    private Builder() {}

    public Builder dir(Path value) {
      this.dir = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder downloader(Downloader value) {
      this.downloader = Preconditions.checkNotNull(value);
      return this;
    }

    /** Where the CIFAR-10 binary archive (a .tar.gz) comes from. */
    public Builder cifar10Archive(RemoteFile value) {
      this.cifar10Archive = Preconditions.checkNotNull(value);
      return this;
    }

    public Builder resnet8Model(RemoteFile value) {
      this.resnet8Model = Preconditions.checkNotNull(value);
      return this;
    }

    public QuantkitHome build() {
      return new QuantkitHome(this);
    }
  }
}
