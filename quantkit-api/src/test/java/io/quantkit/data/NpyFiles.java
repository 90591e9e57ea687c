package io.quantkit.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes .npy bytes and .npz archives the way numpy does (format 1.0, header padded to 64 bytes). */
public final class NpyFiles {
  private NpyFiles() {}

  /** A .npy file image: {@code descr} like "<f4", {@code data} the raw element bytes. */
  public static byte[] npy(String descr, boolean fortran, int[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (int d : shape) {
      dims.append(d).append(", ");
    }
    String shapeText = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + (shape.length == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
    String header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shapeText + ", }";
    int total = 10 + header.length() + 1;
    int pad = (64 - total % 64) % 64;
    header = header + " ".repeat(pad) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    int len = header.length();
    out.write(len & 0xFF);
    out.write(len >> 8);
    out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(data);
    return out.toByteArray();
  }

  public static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  public static byte[] doubles(double... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double x : v) {
      b.putDouble(x);
    }
    return b.array();
  }

  public static byte[] longs(long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    return b.array();
  }

  /** float32 .npy bytes of {@code values} with {@code shape}. */
  public static byte[] f4(int[] shape, float... values) {
    return npy("<f4", false, shape, floats(values));
  }

  /** A .npz of the given .npy images (deflated when {@code compress}, as np.savez_compressed). */
  public static Path npz(Path file, Map<String, byte[]> arrays, boolean compress) throws IOException {
    try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
      for (Map.Entry<String, byte[]> e : arrays.entrySet()) {
        ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
        if (!compress) {
          entry.setMethod(ZipEntry.STORED);
          entry.setSize(e.getValue().length);
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          crc.update(e.getValue());
          entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }
}
