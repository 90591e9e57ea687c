package io.quantkit.data;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR-10 <em>binary version</em>: each record is 3073 bytes, one label byte (0..9) then
 * 1024 red, 1024 green and 1024 blue bytes, each plane row-major 32x32. Images come out NHWC
 * float32 with raw values 0..255.
 *
 * <p>The record count is taken from the file size (the files in a cache may be prefixes of the
 * official ones). Files are memory-mapped, so opening costs one pass over the label bytes and
 * {@link #batch} only touches the records it returns. Safe for concurrent use.
 *
 * <p>Thread-safety: immutable after opening and safe for concurrent use: batches are read from
 * read-only memory maps with absolute reads.
 */
public final class Cifar10 implements Dataset {
  public static final int HEIGHT = 32;
  public static final int WIDTH = 32;
  public static final int CHANNELS = 3;
  public static final int PIXELS = HEIGHT * WIDTH;
  public static final int RECORD_BYTES = 1 + CHANNELS * PIXELS;
  public static final String TEST_FILE = "test_batch.bin";
  public static final String META_FILE = "batches.meta.txt";
  public static final ImmutableList<String> STANDARD_CLASS_NAMES = ImmutableList.of(
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  private static final int CLASSES = 10;
  private static final Shape IMAGE_SHAPE = Shape.of(HEIGHT, WIDTH, CHANNELS);

  private final String name;
  private final ImmutableList<String> classNames;
  /** One read-only mapping per file; records of file k follow those of file k-1. */
  private final ByteBuffer[] segments;
  /** First global record index of each segment, plus the total at the end. */
  private final int[] starts;
  private final int[] labels;

  private Cifar10(String name, ImmutableList<String> classNames, ByteBuffer[] segments, int[] starts, int[] labels) {
    this.name = name;
    this.classNames = classNames;
    this.segments = segments;
    this.starts = starts;
    this.labels = labels;
  }

  /** {@code test_batch.bin} from the default cache ({@link QuantkitHome#fromEnvironment()}). */
  public static Cifar10 test() {
    return test(QuantkitHome.fromEnvironment());
  }

  /** {@code test_batch.bin} from {@code home}, downloading the archive if the cache lacks it. */
  public static Cifar10 test(QuantkitHome home) {
    return open(home.cifar10Dir().resolve(TEST_FILE));
  }

  /** The training files of the default cache. */
  public static Cifar10 train() {
    return train(QuantkitHome.fromEnvironment());
  }

  /**
   * The union, in order, of the files {@code data_batch_1.bin} .. {@code data_batch_5.bin} that
   * exist in {@code home}'s CIFAR-10 folder (a cache may hold only some of them).
   */
  public static Cifar10 train(QuantkitHome home) {
    Path dir = home.cifar10Dir();
    List<Path> files = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      Path f = dir.resolve("data_batch_" + i + ".bin");
      if (Files.isRegularFile(f)) {
        files.add(f);
      }
    }
    if (files.isEmpty()) {
      throw new DatasetException("no CIFAR-10 training file (data_batch_1.bin .. data_batch_5.bin) in " + dir);
    }
    return open(files);
  }

  /** One binary file; class names from {@code batches.meta.txt} beside it when present. */
  public static Cifar10 open(Path binFile) {
    return open(List.of(binFile));
  }

  /**
   * Several binary files read as one dataset, in the given order. Class names come from the
   * {@code batches.meta.txt} beside the first file when present, else the standard ten.
   */
  public static Cifar10 open(List<Path> binFiles) {
    Preconditions.checkArgument(!binFiles.isEmpty(), "no CIFAR-10 file given");
    ByteBuffer[] segments = new ByteBuffer[binFiles.size()];
    int[] starts = new int[binFiles.size() + 1];
    long total = 0;
    for (int k = 0; k < binFiles.size(); k++) {
      segments[k] = map(binFiles.get(k));
      starts[k] = (int) total;
      total += segments[k].capacity() / RECORD_BYTES;
      if (total > Integer.MAX_VALUE) {
        throw new DatasetException("too many CIFAR-10 records in " + binFiles);
      }
    }
    starts[binFiles.size()] = (int) total;
    int[] labels = new int[(int) total];
    for (int k = 0; k < segments.length; k++) {
      ByteBuffer seg = segments[k];
      int n = starts[k + 1] - starts[k];
      for (int r = 0; r < n; r++) {
        int label = seg.get(r * RECORD_BYTES) & 0xFF;
        if (label >= CLASSES) {
          throw new DatasetException("CIFAR-10 file " + binFiles.get(k) + ": record " + r + " has label " + label
              + ", expected 0..9 (is this the binary version, 3073-byte records?)");
        }
        labels[starts[k] + r] = label;
      }
    }
    Path first = binFiles.get(0);
    StringBuilder name = new StringBuilder("cifar10/");
    for (int k = 0; k < binFiles.size(); k++) {
      name.append(k == 0 ? "" : "+").append(binFiles.get(k).getFileName());
    }
    Path dir = first.toAbsolutePath().getParent();
    return new Cifar10(name.toString(), readClassNames(dir.resolve(META_FILE)), segments, starts, labels);
  }

  private static ByteBuffer map(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0 || size % RECORD_BYTES != 0) {
        throw new DatasetException("CIFAR-10 file " + file + " has " + size + " bytes, which is not a positive multiple of "
            + RECORD_BYTES + " (1 label byte + 3x1024 pixel bytes per record): truncated or not the binary version");
      }
      if (size > Integer.MAX_VALUE) {
        throw new DatasetException("CIFAR-10 file " + file + " is too large (" + size + " bytes)");
      }
      // The mapping stays valid after the channel closes.
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, size).asReadOnlyBuffer();
    } catch (IOException e) {
      throw new DatasetException("cannot read CIFAR-10 file " + file + ": " + e, e);
    }
  }

  private static ImmutableList<String> readClassNames(Path meta) {
    if (!Files.isRegularFile(meta)) {
      return STANDARD_CLASS_NAMES;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(meta, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DatasetException("cannot read " + meta + ": " + e, e);
    }
    // The official file ends with blank lines.
    ImmutableList.Builder<String> names = ImmutableList.builder();
    for (String line : lines) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    ImmutableList<String> result = names.build();
    if (result.size() != CLASSES) {
      throw new DatasetException(meta + " lists " + result.size() + " class names, expected " + CLASSES);
    }
    return result;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public ImmutableList<String> classNames() {
    return classNames;
  }

  @Override
  public Shape imageShape() {
    return IMAGE_SHAPE;
  }

  /** Label of record {@code index}. */
  public int label(int index) {
    return labels[index];
  }

  @Override
  public Batch batch(int from, int to) {
    Preconditions.checkPositionIndexes(from, to, labels.length);
    int n = to - from;
    float[] out = new float[n * PIXELS * CHANNELS];
    byte[] rec = new byte[RECORD_BYTES];
    int seg = segmentOf(from);
    for (int i = 0; i < n; i++) {
      int global = from + i;
      while (global >= starts[seg + 1]) {
        seg++;
      }
      // Absolute get: no shared position is touched, so concurrent batches are safe.
      segments[seg].get((global - starts[seg]) * RECORD_BYTES, rec);
      int base = i * PIXELS * CHANNELS;
      for (int p = 0; p < PIXELS; p++) {
        int o = base + p * CHANNELS;
        out[o] = rec[1 + p] & 0xFF;
        out[o + 1] = rec[1 + PIXELS + p] & 0xFF;
        out[o + 2] = rec[1 + 2 * PIXELS + p] & 0xFF;
      }
    }
    int[] batchLabels = new int[n];
    System.arraycopy(labels, from, batchLabels, 0, n);
    return new Batch(Tensor.wrapFloats(Shape.of(n, HEIGHT, WIDTH, CHANNELS), out), batchLabels);
  }

  private int segmentOf(int index) {
    int s = 0;
    while (s + 1 < segments.length && index >= starts[s + 1]) {
      s++;
    }
    return s;
  }

  @Override
  public String toString() {
    return name + " (" + labels.length + " images)";
  }
}
