package io.quantkit.pytorch;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A pickle protocol 2 writer for the subset TorchScript's unpickler reads
 * (torch/csrc/jit/serialization/unpickler.cpp): ints, floats, strings, booleans, None, tuples,
 * lists, dicts, globals, persistent ids (tensor storages), REDUCE, NEWOBJ and BUILD. Values are
 * written as a flat opcode stream; no memo is used, so every value is written where it appears.
 *
 * <p>Not thread-safe; one instance writes one pickle.
 */
final class Pickler {
  private static final byte PROTO = (byte) 0x80;
  private static final byte STOP = '.';
  private static final byte MARK = '(';
  private static final byte NONE = 'N';
  private static final byte NEWTRUE = (byte) 0x88;
  private static final byte NEWFALSE = (byte) 0x89;
  private static final byte BININT = 'J';
  private static final byte BININT1 = 'K';
  private static final byte BININT2 = 'M';
  private static final byte LONG1 = (byte) 0x8a;
  private static final byte BINFLOAT = 'G';
  private static final byte BINUNICODE = 'X';
  private static final byte EMPTY_TUPLE = ')';
  private static final byte TUPLE = 't';
  private static final byte EMPTY_LIST = ']';
  private static final byte APPENDS = 'e';
  private static final byte EMPTY_DICT = '}';
  private static final byte SETITEMS = 'u';
  private static final byte GLOBAL = 'c';
  private static final byte REDUCE = 'R';
  private static final byte BUILD = 'b';
  private static final byte NEWOBJ = (byte) 0x81;
  private static final byte BINPERSID = 'Q';

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  Pickler() {
    out.write(PROTO);
    out.write(2);
  }

  /** Finishes the pickle and returns its bytes. */
  byte[] finish() {
    out.write(STOP);
    return out.toByteArray();
  }

  Pickler none() {
    out.write(NONE);
    return this;
  }

  Pickler bool(boolean v) {
    out.write(v ? NEWTRUE : NEWFALSE);
    return this;
  }

  Pickler integer(long v) {
    if (v >= 0 && v < 256) {
      out.write(BININT1);
      out.write((int) v);
    } else if (v >= 0 && v < 65536) {
      out.write(BININT2);
      out.write((int) (v & 0xff));
      out.write((int) (v >>> 8));
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      out.write(BININT);
      writeIntLe((int) v);
    } else {
      // LONG1: byte count, then two's complement little-endian
      out.write(LONG1);
      out.write(8);
      for (int i = 0; i < 8; i++) {
        out.write((int) (v >>> (8 * i)) & 0xff);
      }
    }
    return this;
  }

  /** A Python float (IEEE double, written big-endian as BINFLOAT requires). */
  Pickler floating(double v) {
    out.write(BINFLOAT);
    byte[] b = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(v).array();
    out.write(b, 0, 8);
    return this;
  }

  Pickler string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.write(BINUNICODE);
    writeIntLe(utf8.length);
    out.write(utf8, 0, utf8.length);
    return this;
  }

  /** {@code GLOBAL module\nname\n}: a class or function the unpickler resolves by name. */
  Pickler global(String module, String name) {
    out.write(GLOBAL);
    byte[] m = (module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
    out.write(m, 0, m.length);
    return this;
  }

  Pickler mark() {
    out.write(MARK);
    return this;
  }

  /** Closes the items since the last {@link #mark()} into a tuple (empty when none). */
  Pickler tuple() {
    out.write(TUPLE);
    return this;
  }

  Pickler emptyTuple() {
    out.write(EMPTY_TUPLE);
    return this;
  }

  Pickler emptyList() {
    out.write(EMPTY_LIST);
    return this;
  }

  /** Appends the items since the last mark to the list below the mark. */
  Pickler appends() {
    out.write(APPENDS);
    return this;
  }

  Pickler emptyDict() {
    out.write(EMPTY_DICT);
    return this;
  }

  /** Adds the key/value pairs since the last mark to the dict below the mark. */
  Pickler setItems() {
    out.write(SETITEMS);
    return this;
  }

  /** Calls the callable below the argument tuple on top. */
  Pickler reduce() {
    out.write(REDUCE);
    return this;
  }

  /** {@code cls.__new__(cls, *args)} for the class below the argument tuple on top. */
  Pickler newObj() {
    out.write(NEWOBJ);
    return this;
  }

  /** Sets the state on top into the object below it ({@code __setstate__} or attribute dict). */
  Pickler build() {
    out.write(BUILD);
    return this;
  }

  /** Replaces the value on top (the persistent id) with what the loader makes of it. */
  Pickler persistentId() {
    out.write(BINPERSID);
    return this;
  }

  Pickler tupleOfInts(long... values) {
    mark();
    for (long v : values) {
      integer(v);
    }
    return tuple();
  }

  private void writeIntLe(int v) {
    out.write(v & 0xff);
    out.write((v >>> 8) & 0xff);
    out.write((v >>> 16) & 0xff);
    out.write((v >>> 24) & 0xff);
  }
}
