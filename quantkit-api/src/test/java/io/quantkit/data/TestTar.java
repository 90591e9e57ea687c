package io.quantkit.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** A minimal ustar writer, written from the POSIX header layout, to build archives inside tests. */
final class TestTar {
  private TestTar() {}

  /** A gzip-compressed tar of regular files, in the map's order. */
  static byte[] tarGz(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      byte[] h = new byte[512];
      put(h, 0, f.getKey());
      put(h, 100, "0000644");
      put(h, 108, "0000000");
      put(h, 116, "0000000");
      put(h, 124, String.format("%011o", f.getValue().length));
      put(h, 136, String.format("%011o", 1577836800L));
      h[156] = '0';
      put(h, 257, "ustar");
      put(h, 263, "00");
      for (int i = 148; i < 156; i++) {
        h[i] = ' ';
      }
      int sum = 0;
      for (byte b : h) {
        sum += b & 0xFF;
      }
      put(h, 148, String.format("%06o", sum));
      h[154] = 0;
      h[155] = ' ';
      tar.write(h);
      tar.write(f.getValue());
      int pad = (512 - f.getValue().length % 512) % 512;
      tar.write(new byte[pad]);
    }
    tar.write(new byte[1024]);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(tar.toByteArray());
    }
    return gz.toByteArray();
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }
}
