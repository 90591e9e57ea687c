package io.quantkit.data;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Sequential reader of a tar stream: POSIX ustar headers plus the GNU long-name ('L') and pax
 * ('x') extensions that GNU tar writes for long paths. Only what the CIFAR-10 archive needs; it
 * exists so the SDK does not depend on commons-compress for one file.
 */
final class TarReader {
  static final int BLOCK = 512;

  /** One member; {@link #content()} is valid until the next call to {@link TarReader#next()}. */
  static final class Entry {
    private final String name;
    private final long size;
    private final char type;
    private final InputStream content;

    Entry(String name, long size, char type, InputStream content) {
      this.name = name;
      this.size = size;
      this.type = type;
      this.content = content;
    }

    String name() {
      return name;
    }

    long size() {
      return size;
    }

    boolean isFile() {
      return type == '0' || type == '\0' || type == '7';
    }

    /** Exactly {@link #size()} bytes; closing it does not close the archive. */
    InputStream content() {
      return content;
    }
  }

  private final InputStream in;
  private final byte[] header = new byte[BLOCK];
  /** The member handed out last, and the padding after its data. */
  private Bounded current;
  private long currentPadding;
  private boolean finished;

  TarReader(InputStream in) {
    this.in = in;
  }

  /** The next member, or null at the end of the archive. */
  Entry next() throws IOException {
    if (current != null) {
      skipFully(current.remaining + currentPadding);
      current = null;
    }
    String longName = null;
    Long paxSize = null;
    while (!finished) {
      int got = in.readNBytes(header, 0, BLOCK);
      if (got == 0) {
        // Some writers omit the two zero blocks; the end of the stream at a header boundary is a clean end.
        finished = true;
        return null;
      }
      if (got < BLOCK) {
        throw new EOFException("tar stream ends inside a header");
      }
      if (isZero(header)) {
        finished = true;
        return null;
      }
      verifyChecksum();
      char type = (char) header[156];
      long size = parseNumber(124, 12);
      if (type == 'L' || type == 'x' || type == 'g') {
        byte[] data = readData(size);
        if (type == 'L') {
          longName = cString(data, 0, data.length);
        } else if (type == 'x') {
          String pax = new String(data, StandardCharsets.UTF_8);
          String path = paxValue(pax, "path");
          if (path != null) {
            longName = path;
          }
          String sz = paxValue(pax, "size");
          if (sz != null) {
            paxSize = Long.parseLong(sz);
          }
        }
        continue;
      }
      if (paxSize != null) {
        size = paxSize;
      }
      String name = longName != null ? longName : headerName();
      current = new Bounded(in, size);
      currentPadding = roundUp(size) - size;
      return new Entry(name, size, type, current);
    }
    return null;
  }

  private String headerName() {
    String name = cString(header, 0, 100);
    boolean ustar = new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
    if (ustar) {
      String prefix = cString(header, 345, 155);
      if (!prefix.isEmpty()) {
        return prefix + "/" + name;
      }
    }
    return name;
  }

  private void verifyChecksum() throws IOException {
    long stored = parseNumber(148, 8);
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xFF);
    }
    if (sum != stored) {
      throw new IOException("tar header checksum mismatch (stored " + stored + ", computed " + sum
          + "): not a tar archive or corrupted");
    }
  }

  /** An octal field, or GNU's base-256 form (high bit of the first byte set) for large values. */
  private long parseNumber(int off, int len) throws IOException {
    if ((header[off] & 0x80) != 0) {
      long v = header[off] & 0x7F;
      for (int i = 1; i < len; i++) {
        v = (v << 8) | (header[off + i] & 0xFF);
      }
      return v;
    }
    long v = 0;
    boolean any = false;
    for (int i = off; i < off + len; i++) {
      byte b = header[i];
      if (b == 0 || (b == ' ' && any)) {
        break;
      }
      if (b == ' ') {
        continue;
      }
      if (b < '0' || b > '7') {
        throw new IOException("bad octal digit in tar header at offset " + i);
      }
      v = v * 8 + (b - '0');
      any = true;
    }
    return v;
  }

  private byte[] readData(long size) throws IOException {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IOException("tar extension header too large: " + size);
    }
    byte[] data = new byte[(int) size];
    if (in.readNBytes(data, 0, data.length) != data.length) {
      throw new EOFException("tar stream ends inside an extension header");
    }
    skipFully(roundUp(size) - size);
    return data;
  }

  private void skipFully(long n) throws IOException {
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new EOFException("tar stream ends inside a member (" + n + " bytes missing)");
        }
        skipped = 1;
      }
      n -= skipped;
    }
  }

  private static long roundUp(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  /** pax records are "LEN key=value\n". */
  private static String paxValue(String pax, String key) {
    for (String rec : pax.split("\n")) {
      int sp = rec.indexOf(' ');
      int eq = rec.indexOf('=');
      if (sp > 0 && eq > sp && rec.substring(sp + 1, eq).equals(key)) {
        return rec.substring(eq + 1);
      }
    }
    return null;
  }

  /** A window of {@code remaining} bytes over the archive stream. */
  private static final class Bounded extends FilterInputStream {
    private long remaining;

    Bounded(InputStream in, long size) {
      super(in);
      this.remaining = size;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("tar stream ends inside a member");
      }
      remaining--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new EOFException("tar stream ends inside a member (" + remaining + " bytes missing)");
      }
      remaining -= n;
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(Math.min(n, remaining));
      remaining -= s;
      return s;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), remaining);
    }

    @Override
    public void close() {
      // The archive stream stays open for the next member.
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
