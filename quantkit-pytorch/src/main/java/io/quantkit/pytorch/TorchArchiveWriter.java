package io.quantkit.pytorch;

import com.google.common.io.CountingOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the zip container of a TorchScript archive the way PyTorch's {@code PyTorchStreamWriter}
 * does (caffe2/serialize/inline_container.cc): every record stored uncompressed under one
 * top-level folder ({@code <archive>/...}), its data starting on a 64-byte boundary (padding in a
 * local-header extra field with id "FB"), so PyTorch may map tensor data in place. Deterministic:
 * fixed timestamps, records in the order written.
 *
 * <p>Not thread-safe; one instance writes one archive.
 */
final class TorchArchiveWriter {
  static final int ALIGNMENT = 64;
  /** Header id PyTorch uses for its alignment padding ("FB", little-endian 0x4246). */
  private static final int PADDING_HEADER_ID = 0x4246;
  /** Local file header size before the name (zip APPNOTE 4.3.7). */
  private static final int LOCAL_HEADER_FIXED = 30;
  /** Inside the DOS date range, so no extended-timestamp field: identical bytes on every run, in any time zone. */
  private static final LocalDateTime FIXED_TIME = LocalDateTime.of(1980, 1, 2, 0, 0);

  private final String archiveName;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CountingOutputStream counting = new CountingOutputStream(bytes);
  private final ZipOutputStream zip = new ZipOutputStream(counting, StandardCharsets.UTF_8);

  TorchArchiveWriter(String archiveName) {
    this.archiveName = archiveName;
    zip.setMethod(ZipOutputStream.STORED);
  }

  String archiveName() {
    return archiveName;
  }

  void write(String record, String text) {
    write(record, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Adds {@code <archive>/<record>}. */
  void write(String record, byte[] data) {
    String name = archiveName + "/" + record;
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    e.setTimeLocal(FIXED_TIME);
    long dataStart = counting.getCount() + LOCAL_HEADER_FIXED + name.getBytes(StandardCharsets.UTF_8).length + 4;
    int pad = (int) ((ALIGNMENT - dataStart % ALIGNMENT) % ALIGNMENT);
    byte[] extra = new byte[4 + pad];
    extra[0] = (byte) (PADDING_HEADER_ID & 0xff);
    extra[1] = (byte) (PADDING_HEADER_ID >>> 8);
    extra[2] = (byte) (pad & 0xff);
    extra[3] = (byte) (pad >>> 8);
    e.setExtra(extra);
    try {
      zip.putNextEntry(e);
      zip.write(data);
      zip.closeEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  byte[] finish() {
    try {
      zip.finish();
      zip.close();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }
}
