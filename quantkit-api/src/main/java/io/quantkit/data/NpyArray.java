package io.quantkit.data;

import com.google.common.base.Preconditions;
import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * One numpy array read from a {@code .npy} file or from an entry of a {@code .npz} archive (a zip of
 * {@code .npy} files, stored or deflated), in pure Java. Numeric arrays of any byte order in C
 * order are read: float32, float64, signed and unsigned 8 to 64-bit integers and bool; the values
 * are kept as float32 (what the SDK's models take), float64 and 64-bit integers losing what float
 * cannot hold. Object arrays, strings, structured dtypes and Fortran-order arrays are refused with
 * a {@link DatasetException} that names the file and the array, as is any truncated or malformed
 * file: nothing is allocated before the header's element count has been checked against the data
 * actually present.
 *
 * <p>Thread-safety: immutable; the values are copied out.
 */
public final class NpyArray {
  /** Largest array read: 2^31 - 1 elements (one Java float array). */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private final String name;
  private final String dtype;
  private final Shape shape;
  private final float[] values;

  private NpyArray(String name, String dtype, Shape shape, float[] values) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.values = values;
  }

  /** An array made in Java (tests, converted data); {@code values} are copied, C order. */
  public static NpyArray of(String name, Shape shape, float[] values) {
    Preconditions.checkArgument(shape.isKnown() && shape.size() == values.length, "shape %s for %s values", shape,
        values.length);
    return new NpyArray(name, "<f4", shape, values.clone());
  }

  /** The array in a {@code .npy} file; its name is the file name without ".npy". */
  public static NpyArray read(Path file) {
    String fileName = file.getFileName().toString();
    String name = fileName.endsWith(".npy") ? fileName.substring(0, fileName.length() - 4) : fileName;
    if (!Files.isRegularFile(file)) {
      throw new DatasetException("numpy file " + file + " does not exist or is not a file");
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      return read(in, name, file.toString(), Files.size(file));
    } catch (IOException e) {
      throw new DatasetException("cannot read numpy file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every array of a {@code .npz} archive, keyed by name (the entry name without ".npy"), in the
   * archive's order; a {@code .npy} file gives a map of its one array.
   */
  public static Map<String, NpyArray> readAll(Path file) {
    if (file.getFileName().toString().endsWith(".npy")) {
      NpyArray a = read(file);
      return Map.of(a.name(), a);
    }
    if (!Files.isRegularFile(file)) {
      throw new DatasetException("numpy archive " + file + " does not exist or is not a file");
    }
    Map<String, NpyArray> out = new LinkedHashMap<>();
    try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        if (e.isDirectory()) {
          continue;
        }
        String entry = e.getName();
        String name = entry.endsWith(".npy") ? entry.substring(0, entry.length() - 4) : entry;
        if (out.containsKey(name)) {
          throw new DatasetException("numpy archive " + file + " holds array '" + name + "' twice");
        }
        // A deflated entry's size is unknown until read: the stream itself bounds what is read.
        long limit = e.getSize() >= 0 ? e.getSize() : Long.MAX_VALUE;
        out.put(name, read(zip, name, file + " (array '" + name + "')", limit));
      }
    } catch (DatasetException ex) {
      throw ex;
    } catch (IOException | RuntimeException ex) {
      throw new DatasetException("cannot read numpy archive " + file + " (expected a .npz: a zip of .npy files): " + ex, ex);
    }
    if (out.isEmpty()) {
      throw new DatasetException("numpy archive " + file + " holds no arrays (expected a .npz: a zip of .npy files)");
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Reads one array from {@code in}; {@code where} names it in errors, {@code available} bounds the
   * bytes the data may take (the file or entry size; Long.MAX_VALUE when unknown).
   */
  static NpyArray read(InputStream in, String name, String where, long available) throws IOException {
    byte[] magic = in.readNBytes(8);
    if (magic.length < 8) {
      throw new DatasetException(where + " is not a numpy .npy array: " + magic.length + " bytes, too short for the header");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (magic[i] != MAGIC[i]) {
        throw new DatasetException(where + " is not a numpy .npy array (no \\x93NUMPY magic)");
      }
    }
    int major = magic[6] & 0xFF;
    long headerLen;
    int prefix;
    if (major == 1) {
      byte[] len = in.readNBytes(2);
      if (len.length < 2) {
        throw new DatasetException(where + ": truncated numpy header");
      }
      headerLen = (len[0] & 0xFF) | (len[1] & 0xFF) << 8;
      prefix = 10;
    } else if (major == 2 || major == 3) {
      byte[] len = in.readNBytes(4);
      if (len.length < 4) {
        throw new DatasetException(where + ": truncated numpy header");
      }
      headerLen = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
      prefix = 12;
    } else {
      throw new DatasetException(where + ": numpy format version " + major + "." + (magic[7] & 0xFF)
          + " is not supported (1.0 to 3.0 are)");
    }
    if (headerLen > 1 << 20 || prefix + headerLen > available) {
      throw new DatasetException(where + ": numpy header of " + headerLen + " bytes is larger than the file");
    }
    byte[] headerBytes = in.readNBytes((int) headerLen);
    if (headerBytes.length < headerLen) {
      throw new DatasetException(where + ": truncated numpy header");
    }
    String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      if (header.contains("'descr': [") || header.contains("'descr':[")) {
        throw new DatasetException(where + " is a structured numpy array (record dtype); quantkit reads plain numeric arrays");
      }
      throw new DatasetException(where + ": malformed numpy header " + header.trim());
    }
    String descr = d.group(1);
    if (f.group(1).equals("True")) {
      throw new DatasetException(where + " is stored in Fortran order; save it in C order (np.ascontiguousarray(x)) "
          + "and try again");
    }
    Shape shape = parseShape(s.group(1), where, header);
    long count = 1;
    for (int i = 0; i < shape.rank(); i++) {
      count *= shape.dim(i);
      if (count > MAX_ELEMENTS) {
        throw new DatasetException(where + " has shape " + shape + ": more than " + MAX_ELEMENTS + " elements");
      }
    }
    Kind kind = Kind.of(descr, where);
    long bytes = count * kind.size;
    if (prefix + headerLen + bytes > available) {
      throw new DatasetException(where + ": header declares " + shape + " " + descr + " (" + bytes + " bytes of data), but "
          + "the file holds only " + Math.max(0, available - prefix - headerLen));
    }
    // Grown as data arrives: a header that lies about a size the archive does not state (or states
    // falsely) fails at the end of the data instead of allocating gigabytes first.
    float[] values = new float[(int) Math.min(count, 1 << 20)];
    // Read in chunks: a lying header on a deflated entry must not allocate its claimed size.
    byte[] chunk = new byte[(int) Math.min(1 << 16, Math.max(kind.size, bytes))];
    ByteBuffer buf = ByteBuffer.wrap(chunk).order(Kind.order(descr));
    int perChunk = chunk.length / kind.size;
    for (int done = 0; done < count; ) {
      int n = (int) Math.min(perChunk, count - done);
      int got = in.readNBytes(chunk, 0, n * kind.size);
      if (got < n * kind.size) {
        throw new DatasetException(where + ": data ends after " + ((long) done * kind.size + got) + " of " + bytes
            + " bytes (truncated file)", new EOFException());
      }
      if (done + n > values.length) {
        values = java.util.Arrays.copyOf(values, (int) Math.min(count, Math.max(done + n, 2L * values.length)));
      }
      for (int i = 0; i < n; i++) {
        values[done + i] = kind.get(buf, i * kind.size);
      }
      done += n;
    }
    return new NpyArray(name, descr, shape, values);
  }

  private static Shape parseShape(String text, String where, String header) {
    List<Integer> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      if (p.endsWith("L")) {
        p = p.substring(0, p.length() - 1);
      }
      long v;
      try {
        v = Long.parseLong(p);
      } catch (NumberFormatException e) {
        throw new DatasetException(where + ": bad shape in numpy header " + header.trim());
      }
      if (v < 0 || v > MAX_ELEMENTS) {
        throw new DatasetException(where + ": bad dimension " + v + " in numpy header " + header.trim());
      }
      dims.add((int) v);
    }
    return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Element kinds numpy writes for numeric arrays. */
  private enum Kind {
    F4(4), F8(8), I1(1), U1(1), I2(2), U2(2), I4(4), U4(4), I8(8), U8(8), B1(1);

    final int size;

    Kind(int size) {
      this.size = size;
    }

    static Kind of(String descr, String where) {
      Kind k = null;
      if (descr.length() >= 3 && "<>|=".indexOf(descr.charAt(0)) >= 0) {
        k = switch (descr.substring(1)) {
          case "f4" -> F4;
          case "f8" -> F8;
          case "i1" -> I1;
          case "u1" -> U1;
          case "i2" -> I2;
          case "u2" -> U2;
          case "i4" -> I4;
          case "u4" -> U4;
          case "i8" -> I8;
          case "u8" -> U8;
          case "b1" -> B1;
          default -> null;
        };
      }
      if (k == null) {
        String code = descr.length() > 1 ? descr.substring(1) : descr;
        String what = descr.contains("O") ? "an object array (pickled Python objects)"
            : code.startsWith("U") || code.startsWith("S") ? "a string array" : "of numpy dtype '" + descr + "'";
        throw new DatasetException(where + " is " + what + "; quantkit reads float32/float64, integer and bool arrays");
      }
      return k;
    }

    static ByteOrder order(String descr) {
      return descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    float get(ByteBuffer o, int at) {
      return switch (this) {
        case F4 -> o.getFloat(at);
        case F8 -> (float) o.getDouble(at);
        case I1 -> o.get(at);
        case U1, B1 -> o.get(at) & 0xFF;
        case I2 -> o.getShort(at);
        case U2 -> o.getShort(at) & 0xFFFF;
        case I4 -> o.getInt(at);
        case U4 -> o.getInt(at) & 0xFFFFFFFFL;
        case I8 -> o.getLong(at);
        case U8 -> {
          long v = o.getLong(at);
          yield v >= 0 ? v : (float) (v >>> 1) * 2f;
        }
      };
    }
  }

  public String name() {
    return name;
  }

  /** The numpy dtype as written in the header, e.g. {@code "<f4"}. */
  public String dtype() {
    return dtype;
  }

  public Shape shape() {
    return shape;
  }

  /** Number of elements. */
  public int size() {
    return values.length;
  }

  /** The values as float32, C order (a copy). */
  public float[] toFloatArray() {
    return values.clone();
  }

  /** Element {@code i} (C order). */
  public float get(int i) {
    return values[i];
  }

  /** The array as a float32 tensor of its shape. */
  public Tensor toTensor() {
    return Tensor.wrapFloats(shape, values.clone());
  }

  /** Whether every value is a whole number (labels). */
  public boolean isIntegral() {
    for (float v : values) {
      if (v != Math.rint(v)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "NpyArray(" + name + ", " + dtype + " " + shape + ")";
  }
}
