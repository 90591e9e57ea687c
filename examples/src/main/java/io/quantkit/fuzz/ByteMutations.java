package io.quantkit.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

/**
 * Format-blind mutations of a file's bytes: bit flips, truncation, overwritten / zeroed /
 * duplicated / deleted ranges and "interesting" integers (0, -1, extremes, powers of two) written
 * at random offsets in either byte order, which is how sizes, counts and offsets in binary headers
 * turn huge or negative.
 */
final class ByteMutations {
  private static final long[] INTERESTING = {
    0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL,
    0x100000000L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 3073, 1 << 20
  };

  private ByteMutations() {}

  /** One to three random byte-level mutations of {@code in} (never modified); "what" describes them. */
  static Mutant mutate(byte[] in, Random r) {
    byte[] b = in;
    StringBuilder what = new StringBuilder();
    int rounds = 1 + (r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0);
    for (int k = 0; k < rounds; k++) {
      Mutant m = once(b, r);
      b = m.bytes();
      what.append(what.length() == 0 ? "" : " + ").append(m.what());
    }
    return new Mutant(b, what.toString());
  }

  static Mutant once(byte[] in, Random r) {
    if (in.length == 0) {
      byte[] out = new byte[1 + r.nextInt(64)];
      r.nextBytes(out);
      return new Mutant(out, "random bytes into an empty file");
    }
    switch (r.nextInt(9)) {
      case 0:
        return flipBits(in, r);
      case 1: {
        int len = r.nextInt(in.length);
        return new Mutant(Arrays.copyOf(in, len), "truncated to " + len + " of " + in.length + " bytes");
      }
      case 2: {
        byte[] out = in.clone();
        int from = r.nextInt(out.length);
        int n = Math.min(out.length - from, 1 + r.nextInt(64));
        byte[] junk = new byte[n];
        r.nextBytes(junk);
        System.arraycopy(junk, 0, out, from, n);
        return new Mutant(out, "overwrote " + n + " bytes at " + from);
      }
      case 3:
        return interesting(in, r);
      case 4: {
        byte[] out = in.clone();
        int from = r.nextInt(out.length);
        int n = Math.min(out.length - from, 1 + r.nextInt(256));
        Arrays.fill(out, from, from + n, (byte) 0);
        return new Mutant(out, "zeroed " + n + " bytes at " + from);
      }
      case 5: {
        int from = r.nextInt(in.length);
        int n = Math.min(in.length - from, 1 + r.nextInt(512));
        int at = r.nextInt(in.length + 1);
        byte[] out = new byte[in.length + n];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(in, from, out, at, n);
        System.arraycopy(in, at, out, at + n, in.length - at);
        return new Mutant(out, "inserted a copy of " + n + " bytes from " + from + " at " + at);
      }
      case 6: {
        int from = r.nextInt(in.length);
        int n = Math.min(in.length - from, 1 + r.nextInt(512));
        byte[] out = new byte[in.length - n];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(in, from + n, out, from, in.length - from - n);
        return new Mutant(out, "deleted " + n + " bytes at " + from);
      }
      case 7: {
        byte[] junk = new byte[1 + r.nextInt(4096)];
        r.nextBytes(junk);
        byte[] out = Arrays.copyOf(in, in.length + junk.length);
        System.arraycopy(junk, 0, out, in.length, junk.length);
        return new Mutant(out, "appended " + junk.length + " random bytes");
      }
      default: {
        // Many small changes spread over the file: what a flaky disk or transfer does.
        byte[] out = in.clone();
        int n = 2 + r.nextInt(32);
        for (int i = 0; i < n; i++) {
          out[r.nextInt(out.length)] = (byte) r.nextInt(256);
        }
        return new Mutant(out, "changed " + n + " scattered bytes");
      }
    }
  }

  static Mutant flipBits(byte[] in, Random r) {
    byte[] out = in.clone();
    int n = 1 + r.nextInt(8);
    for (int i = 0; i < n; i++) {
      int bit = r.nextInt(out.length * 8);
      out[bit / 8] ^= (byte) (1 << (bit % 8));
    }
    return new Mutant(out, "flipped " + n + " bits");
  }

  static Mutant interesting(byte[] in, Random r) {
    byte[] out = in.clone();
    int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
    if (out.length < width) {
      return flipBits(in, r);
    }
    int at = r.nextInt(out.length - width + 1);
    if (width > 1 && r.nextBoolean()) {
      at -= at % width;
    }
    long v = INTERESTING[r.nextInt(INTERESTING.length)];
    ByteOrder order = r.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    ByteBuffer buf = ByteBuffer.wrap(out).order(order);
    switch (width) {
      case 1: buf.put(at, (byte) v); break;
      case 2: buf.putShort(at, (short) v); break;
      case 4: buf.putInt(at, (int) v); break;
      default: buf.putLong(at, v); break;
    }
    return new Mutant(out, "wrote " + width + "-byte " + order + " value " + v + " at " + at);
  }

  /** Mutated bytes and how they were made. */
  record Mutant(byte[] bytes, String what) {}
}
