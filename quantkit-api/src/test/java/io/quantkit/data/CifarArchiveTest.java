package io.quantkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.DatasetException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CIFAR-10 archive reaches the cache through Commons Compress: archives written by GNU tar
 * (GNU and pax long names), and damaged ones, through {@link QuantkitHome}'s download path.
 */
class CifarArchiveTest {
  private static final String URL = "https://example.invalid/cifar-10-binary.tar.gz";

  private static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((7 * i + 3) % 256);
    }
    return b;
  }

  private static QuantkitHome serving(Path dir, byte[] gz) throws Exception {
    String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(gz));
    Downloader dl = uri -> {
      assertEquals(URI.create(URL), uri);
      return new ByteArrayInputStream(gz);
    };
    return QuantkitHome.builder().dir(dir).downloader(dl).cifar10Archive(RemoteFile.md5(URL, md5)).build();
  }

  private static List<String> files(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Fixtures written by GNU tar 1.34 (see README.md beside them): a 6,146-byte test_batch.bin and a long-named member. */
  private void extractsFixture(String resource, Path dir) throws Exception {
    byte[] gz;
    try (InputStream in = getClass().getResourceAsStream(resource)) {
      gz = in.readAllBytes();
    }
    QuantkitHome home = serving(dir, gz);
    Path test = home.cifar10File("test_batch.bin");
    assertArrayEquals(pattern(6146), Files.readAllBytes(test));
    // the long-named member is not a CIFAR-10 file and is skipped; nothing else is left behind
    assertEquals(List.of("test_batch.bin"), files(test.getParent()));
  }

  @Test
  void extractsGnuTarArchiveWithLongName(@TempDir Path dir) throws Exception {
    extractsFixture("gnu-format.tar.gz", dir);
  }

  @Test
  void extractsPaxTarArchiveWithLongName(@TempDir Path dir) throws Exception {
    extractsFixture("pax-format.tar.gz", dir);
  }

  @Test
  void tarCutInsideAMemberFailsAndLeavesNoPartialFile(@TempDir Path dir) throws Exception {
    byte[] tar = TestTar.tar(Map.of("cifar-10-batches-bin/test_batch.bin", pattern(5 * 3073)));
    // a valid gzip stream whose tar ends 2,000 bytes into the member
    byte[] gz = TestTar.gzip(Arrays.copyOf(tar, 512 + 2000));
    QuantkitHome home = serving(dir, gz);
    DatasetException e = assertThrows(DatasetException.class, () -> home.cifar10File("test_batch.bin"));
    assertTrue(e.getMessage().contains("cannot extract"), e.getMessage());
    assertEquals(List.of(), files(dir.resolve(QuantkitHome.CIFAR10_PATH)));
  }

  @Test
  void corruptHeaderFailsAndLeavesNothing(@TempDir Path dir) throws Exception {
    byte[] tar = TestTar.tar(Map.of("cifar-10-batches-bin/test_batch.bin", pattern(3073)));
    tar[5] ^= 1; // inside the member's name: the header checksum no longer matches
    QuantkitHome home = serving(dir, TestTar.gzip(tar));
    assertThrows(DatasetException.class, () -> home.cifar10File("test_batch.bin"));
    assertEquals(List.of(), files(dir.resolve(QuantkitHome.CIFAR10_PATH)));
  }
}
