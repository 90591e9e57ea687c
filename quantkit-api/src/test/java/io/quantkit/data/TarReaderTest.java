package io.quantkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class TarReaderTest {
  private static final String LONG_DIR =
      "a-deliberately-long-folder-name-so-that-the-path-exceeds-one-hundred-characters-in-total-length";

  private static Map<String, byte[]> readAll(InputStream gz) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    TarReader tar = new TarReader(new GZIPInputStream(gz));
    for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
      if (e.isFile()) {
        files.put(e.name(), e.content().readAllBytes());
      }
    }
    assertNull(tar.next());
    return files;
  }

  private static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((7 * i + 3) % 256);
    }
    return b;
  }

  @Test
  void readsGnuTarFixtureWithLongName() throws IOException {
    checkFixture("gnu-format.tar.gz");
  }

  @Test
  void readsPaxTarFixtureWithLongName() throws IOException {
    checkFixture("pax-format.tar.gz");
  }

  private void checkFixture(String resource) throws IOException {
    try (InputStream in = getClass().getResourceAsStream(resource)) {
      Map<String, byte[]> files = readAll(in);
      assertEquals(2, files.size(), files.keySet().toString());
      assertArrayEquals(pattern(6146), files.get("cifar-10-batches-bin/test_batch.bin"));
      assertArrayEquals("hello tar\n".getBytes(StandardCharsets.US_ASCII),
          files.get("cifar-10-batches-bin/" + LONG_DIR + "/long-named-member.txt"));
    }
  }

  @Test
  void skipsUnreadMembersAndReadsTheNext() throws IOException {
    Map<String, byte[]> in = new LinkedHashMap<>();
    in.put("a.bin", pattern(1000));
    in.put("b.bin", pattern(512));
    in.put("c.bin", new byte[0]);
    in.put("d.bin", pattern(3));
    TarReader tar = new TarReader(new GZIPInputStream(new ByteArrayInputStream(TestTar.tarGz(in))));
    TarReader.Entry a = tar.next();
    assertEquals("a.bin", a.name());
    assertEquals(7, a.content().read(new byte[7]));  // partly read, rest must be skipped
    assertEquals("b.bin", tar.next().name());        // not read at all
    TarReader.Entry c = tar.next();
    assertEquals(0, c.size());
    assertEquals(-1, c.content().read());
    TarReader.Entry d = tar.next();
    assertArrayEquals(pattern(3), d.content().readAllBytes());
    assertNull(tar.next());
  }

  @Test
  void truncatedArchiveFails() throws IOException {
    byte[] gz = TestTar.tarGz(Map.of("a.bin", pattern(5000)));
    // Decompress, cut inside the member, and read the raw tar.
    byte[] tar = new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes();
    byte[] cut = java.util.Arrays.copyOf(tar, 512 + 2000);
    TarReader r = new TarReader(new ByteArrayInputStream(cut));
    TarReader.Entry e = r.next();
    assertThrows(IOException.class, () -> e.content().readAllBytes());
  }

  @Test
  void corruptHeaderChecksumFails() throws IOException {
    byte[] tar = new GZIPInputStream(new ByteArrayInputStream(TestTar.tarGz(Map.of("a.bin", pattern(10))))).readAllBytes();
    tar[5] ^= 1;
    TarReader r = new TarReader(new ByteArrayInputStream(tar));
    IOException e = assertThrows(IOException.class, r::next);
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }
}
