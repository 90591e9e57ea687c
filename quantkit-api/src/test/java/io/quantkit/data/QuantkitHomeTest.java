package io.quantkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.quantkit.DatasetException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantkitHomeTest {
  private static final String ARCHIVE_URL = "https://example.invalid/cifar-10-binary.tar.gz";
  private static final String MODEL_URL = "https://example.invalid/pretrainedResnet.h5";

  private static byte[] records(int n, int seed) {
    byte[] b = new byte[n * 3073];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 3073 == 0 ? (i / 3073 + seed) % 10 : i * 13 + seed);
    }
    return b;
  }

  private static String hex(String algorithm, byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
  }

  /** Counts calls and serves fixed bytes per URI. */
  private static final class FakeDownloader implements Downloader {
    final Map<URI, byte[]> content = new LinkedHashMap<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public java.io.InputStream open(URI uri) throws IOException {
      calls.incrementAndGet();
      byte[] b = content.get(uri);
      if (b == null) {
        throw new IOException("404 " + uri);
      }
      return new ByteArrayInputStream(b);
    }
  }

  private static final Downloader NO_NETWORK = uri -> {
    throw new ConnectException("Connection refused: " + uri.getHost());
  };

  private static final Downloader MUST_NOT_DOWNLOAD = uri -> fail("unexpected download of " + uri);

  private static Map<String, byte[]> archiveMembers() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("cifar-10-batches-bin/data_batch_1.bin", records(3, 1));
    m.put("cifar-10-batches-bin/batches.meta.txt",
        "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n".getBytes(StandardCharsets.US_ASCII));
    m.put("cifar-10-batches-bin/readme.html", "<html/>".getBytes(StandardCharsets.US_ASCII));
    m.put("cifar-10-batches-bin/test_batch.bin", records(2, 5));
    m.put("cifar-10-batches-bin/data_batch_2.bin", records(1, 7));
    return m;
  }

  /** Every file below {@code dir} with its size and modification time. */
  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        out.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir"
            : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }

  private static List<String> list(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        s.forEach(p -> names.add(p.getFileName().toString()));
      }
    }
    names.sort(null);
    return names;
  }

  @Test
  void downloadsVerifiesAndExtractsTheArchive(@TempDir Path dir) throws Exception {
    Map<String, byte[]> members = archiveMembers();
    byte[] gz = TestTar.tarGz(members);
    FakeDownloader dl = new FakeDownloader();
    dl.content.put(URI.create(ARCHIVE_URL), gz);
    QuantkitHome home = QuantkitHome.builder().dir(dir).downloader(dl)
        .cifar10Archive(RemoteFile.md5(ARCHIVE_URL, hex("MD5", gz))).build();

    Path cifar = home.cifar10Dir();
    assertEquals(dir.resolve("datasets/cifar-10-batches-bin"), cifar);
    assertEquals(1, dl.calls.get());
    assertEquals(List.of("batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "test_batch.bin"), list(cifar));
    for (String f : List.of("data_batch_1.bin", "data_batch_2.bin", "test_batch.bin", "batches.meta.txt")) {
      assertArrayEquals(members.get("cifar-10-batches-bin/" + f), Files.readAllBytes(cifar.resolve(f)), f);
    }
    // Present now: no second download, and the readers see the extracted files.
    assertEquals(2, Cifar10.test(home).size());
    assertEquals(4, Cifar10.train(home).size());
    assertEquals(1, dl.calls.get());
  }

  @Test
  void checksumMismatchLeavesNothingBehind(@TempDir Path dir) throws Exception {
    byte[] gz = TestTar.tarGz(archiveMembers());
    FakeDownloader dl = new FakeDownloader();
    dl.content.put(URI.create(ARCHIVE_URL), gz);
    String wrong = "0123456789abcdef0123456789abcdef";
    QuantkitHome home = QuantkitHome.builder().dir(dir).downloader(dl)
        .cifar10Archive(RemoteFile.md5(ARCHIVE_URL, wrong)).build();

    DatasetException e = assertThrows(DatasetException.class, home::cifar10Dir);
    assertTrue(e.getMessage().contains(wrong), e.getMessage());
    assertTrue(e.getMessage().contains(hex("MD5", gz)), e.getMessage());
    assertEquals(List.of(), list(dir.resolve("datasets/cifar-10-batches-bin")));
  }

  @Test
  void truncatedArchiveWithMatchingDigestLeavesNoPartialFile(@TempDir Path dir) throws Exception {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("cifar-10-batches-bin/batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".getBytes(StandardCharsets.US_ASCII));
    m.put("cifar-10-batches-bin/test_batch.bin", records(40, 3));
    byte[] full = TestTar.tarGz(m);
    // Cut the gzip stream in the middle of test_batch.bin (its data is mostly incompressible-ish patterns).
    byte[] gz = java.util.Arrays.copyOf(full, full.length / 2);
    FakeDownloader dl = new FakeDownloader();
    dl.content.put(URI.create(ARCHIVE_URL), gz);
    QuantkitHome home = QuantkitHome.builder().dir(dir).downloader(dl)
        .cifar10Archive(RemoteFile.md5(ARCHIVE_URL, hex("MD5", gz))).build();

    assertThrows(DatasetException.class, () -> home.cifar10File("test_batch.bin"));
    List<String> left = list(dir.resolve("datasets/cifar-10-batches-bin"));
    assertFalse(left.contains("test_batch.bin"), left.toString());
    assertTrue(left.stream().noneMatch(n -> n.endsWith(".part")), left.toString());
  }

  @Test
  void wronglySizedBinFromTheArchiveIsRejectedByTheReader(@TempDir Path dir) throws Exception {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("cifar-10-batches-bin/test_batch.bin", new byte[3073 + 7]);
    m.put("cifar-10-batches-bin/data_batch_1.bin", records(1, 0));
    byte[] gz = TestTar.tarGz(m);
    FakeDownloader dl = new FakeDownloader();
    dl.content.put(URI.create(ARCHIVE_URL), gz);
    QuantkitHome home = QuantkitHome.builder().dir(dir).downloader(dl)
        .cifar10Archive(RemoteFile.md5(ARCHIVE_URL, hex("MD5", gz))).build();
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10.test(home));
    assertTrue(e.getMessage().contains("3080"), e.getMessage());
  }

  @Test
  void presentFilesAreUsedAsTheyAreInAReadOnlyFolder(@TempDir Path dir) throws Exception {
    Path cifar = Files.createDirectories(dir.resolve("datasets/cifar-10-batches-bin"));
    Files.write(cifar.resolve("test_batch.bin"), records(3, 2));
    Files.write(cifar.resolve("data_batch_1.bin"), records(5, 4));
    Path model = Files.createDirectories(dir.resolve("models/mlperf-tiny-resnet8")).resolve("pretrainedResnet.h5");
    // Deliberately not the published bytes: present files are trusted, never re-verified or replaced.
    Files.writeString(model, "not really hdf5");
    Map<String, String> before = snapshot(dir);
    for (Path p : List.of(cifar, model.getParent(), dir.resolve("datasets"), dir.resolve("models"), dir)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r-xr-xr-x"));
    }
    try {
      QuantkitHome home = QuantkitHome.builder().dir(dir).downloader(MUST_NOT_DOWNLOAD).build();
      assertEquals(cifar, home.cifar10Dir());
      assertEquals(model, home.resnet8Model());
      assertEquals(3, Cifar10.test(home).size());
      assertEquals(5, Cifar10.train(home).size());
      assertEquals(before, snapshot(dir));
    } finally {
      for (Path p : List.of(cifar, model.getParent(), dir.resolve("datasets"), dir.resolve("models"), dir)) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
  }

  @Test
  void sharedCacheNeedsNoDownload() throws IOException {
    Map<String, String> before = snapshot(SharedData.home());
    QuantkitHome home = QuantkitHome.builder().dir(SharedData.home()).downloader(MUST_NOT_DOWNLOAD).build();
    assertTrue(Files.isRegularFile(home.resnet8Model()));
    assertTrue(Files.isRegularFile(home.cifar10Dir().resolve("test_batch.bin")));
    assertEquals(10, list(home.cifar10JpegTestDir()).size());
    assertEquals(before, snapshot(SharedData.home()));
  }

  @Test
  void modelDownloadIsVerifiedBySha256(@TempDir Path dir) throws Exception {
    byte[] h5 = "pretend this is HDF5".getBytes(StandardCharsets.US_ASCII);
    FakeDownloader dl = new FakeDownloader();
    dl.content.put(URI.create(MODEL_URL), h5);
    QuantkitHome ok = QuantkitHome.builder().dir(dir.resolve("ok")).downloader(dl)
        .resnet8Model(RemoteFile.sha256(MODEL_URL, hex("SHA-256", h5))).build();
    Path model = ok.resnet8Model();
    assertEquals(dir.resolve("ok/models/mlperf-tiny-resnet8/pretrainedResnet.h5"), model);
    assertArrayEquals(h5, Files.readAllBytes(model));
    assertEquals(List.of("pretrainedResnet.h5"), list(model.getParent()));

    QuantkitHome bad = QuantkitHome.builder().dir(dir.resolve("bad")).downloader(dl)
        .resnet8Model(RemoteFile.sha256(MODEL_URL, hex("SHA-256", new byte[1]))).build();
    DatasetException e = assertThrows(DatasetException.class, bad::resnet8Model);
    assertTrue(e.getMessage().contains(hex("SHA-256", h5)) && e.getMessage().contains(hex("SHA-256", new byte[1])),
        e.getMessage());
    assertEquals(List.of(), list(dir.resolve("bad/models/mlperf-tiny-resnet8")));
  }

  @Test
  void withoutNetworkTheErrorSaysWhatToPutWhere(@TempDir Path dir) {
    QuantkitHome home = QuantkitHome.builder().dir(dir).downloader(NO_NETWORK).build();
    DatasetException e = assertThrows(DatasetException.class, home::resnet8Model);
    assertTrue(e.getMessage().contains(QuantkitHome.RESNET8_MODEL.uri().toString()), e.getMessage());
    assertTrue(e.getMessage().contains(dir.resolve(QuantkitHome.RESNET8_MODEL_PATH).toString()), e.getMessage());
    assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());

    DatasetException c = assertThrows(DatasetException.class, home::cifar10Dir);
    assertTrue(c.getMessage().contains("cifar-10-binary.tar.gz"), c.getMessage());
    assertTrue(c.getMessage().contains(dir.resolve(QuantkitHome.CIFAR10_PATH).toString()), c.getMessage());
    assertEquals(List.of(), assertDoesNotThrowList(dir.resolve(QuantkitHome.CIFAR10_PATH)));
  }

  private static List<String> assertDoesNotThrowList(Path p) {
    try {
      return list(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void homeComesFromEnvironmentThenProperty() {
    // Surefire sets QUANTKIT_HOME, which wins over the property.
    String env = System.getenv(QuantkitHome.ENV_VAR);
    assertTrue(env != null && !env.isEmpty(), "the build sets QUANTKIT_HOME");
    assertEquals(Path.of(env), QuantkitHome.fromEnvironment().dir());
  }
}
