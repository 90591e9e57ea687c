package io.quantkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {
  private static final List<String> NAMES = List.of(
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  @Test
  void sharedTestBatchHasPublishedPerClassCounts() {
    Cifar10 ds = Cifar10.open(SharedData.cifarDir().resolve("test_batch.bin"));
    assertEquals(1000, ds.size());
    assertEquals(NAMES, ds.classNames());
    assertEquals(Shape.of(32, 32, 3), ds.imageShape());
    assertEquals("cifar10/test_batch.bin", ds.name());
    int[] counts = new int[10];
    Batch all = ds.batch(0, 1000);
    for (int label : all.labels()) {
      counts[label]++;
    }
    // PROVENANCE.md: per class 103 89 100 103 90 86 112 102 106 109.
    assertArrayEquals(new int[] {103, 89, 100, 103, 90, 86, 112, 102, 106, 109}, counts);
  }

  @Test
  void pixelsAreNhwcOfTheRecordsPlanarBytes() throws IOException {
    Path file = SharedData.cifarDir().resolve("test_batch.bin");
    Cifar10 ds = Cifar10.open(file);
    int from = 510;
    Batch batch = ds.batch(from, 530);
    assertEquals(Shape.of(20, 32, 32, 3), batch.images().shape());
    float[] px = batch.images().toFloatArray();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      for (int k : new int[] {510, 517, 529}) {
        byte[] rec = new byte[3073];
        raf.seek(3073L * k);
        raf.readFully(rec);
        assertEquals(rec[0], batch.labels()[k - from]);
        for (int y = 0; y < 32; y++) {
          for (int x = 0; x < 32; x++) {
            for (int c = 0; c < 3; c++) {
              int expected = rec[1 + c * 1024 + y * 32 + x] & 0xFF;
              float got = px[(((k - from) * 32 + y) * 32 + x) * 3 + c];
              assertEquals(expected, got, "record " + k + " y" + y + " x" + x + " c" + c);
            }
          }
        }
      }
    }
  }

  @Test
  void defaultHomeIsTheSharedCache() {
    // Surefire sets QUANTKIT_HOME to the shared cache, which holds test_batch.bin and data_batch_1.bin.
    assertEquals(1000, Cifar10.test().size());
    Cifar10 train = Cifar10.train();
    assertEquals(4000, train.size());
    assertEquals("cifar10/data_batch_1.bin", train.name());
  }

  private static byte[] records(int... labels) {
    byte[] b = new byte[labels.length * 3073];
    for (int r = 0; r < labels.length; r++) {
      b[r * 3073] = (byte) labels[r];
      for (int i = 1; i < 3073; i++) {
        b[r * 3073 + i] = (byte) (r * 31 + i);
      }
    }
    return b;
  }

  @Test
  void unionOfFilesSpansTheBoundary(@TempDir Path dir) throws IOException {
    Path a = Files.write(dir.resolve("data_batch_1.bin"), records(1, 2, 3));
    Path b = Files.write(dir.resolve("data_batch_2.bin"), records(4, 5));
    Cifar10 ds = Cifar10.open(List.of(a, b));
    assertEquals(5, ds.size());
    assertEquals(NAMES, ds.classNames());  // no meta file: standard names
    Batch batch = ds.batch(2, 5);
    assertArrayEquals(new int[] {3, 4, 5}, batch.labels());
    // Record 0 of the second file: red (0,0) is its byte 1 = (0*31 + 1); blue (0,1) is byte 1 + 2048 + 1.
    float[] px = batch.images().toFloatArray();
    int img1 = 32 * 32 * 3;
    assertEquals(1, px[img1]);
    assertEquals((2050) & 0xFF, px[img1 + 3 + 2]);
    // Record 2 of the first file: green (1,0) is byte 1 + 1024 + 32 of record r=2.
    assertEquals((byte) (2 * 31 + 1 + 1024 + 32) & 0xFF, px[32 * 3 + 1]);
  }

  @Test
  void metaFileSuppliesClassNames(@TempDir Path dir) throws IOException {
    Path f = Files.write(dir.resolve("test_batch.bin"), records(0));
    Files.writeString(dir.resolve("batches.meta.txt"), "c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n\n\n");
    assertEquals(List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"), Cifar10.open(f).classNames());
    Files.writeString(dir.resolve("batches.meta.txt"), "only\ntwo\n");
    assertThrows(DatasetException.class, () -> Cifar10.open(f));
  }

  @Test
  void sizeNotAMultipleOfTheRecordIsRejected(@TempDir Path dir) throws IOException {
    byte[] two = records(1, 2);
    Path f = Files.write(dir.resolve("test_batch.bin"), java.util.Arrays.copyOf(two, two.length - 100));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10.open(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(two.length - 100)), e.getMessage());

    Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
    DatasetException e2 = assertThrows(DatasetException.class, () -> Cifar10.open(empty));
    assertTrue(e2.getMessage().contains("empty.bin") && e2.getMessage().contains(" 0 bytes"), e2.getMessage());
  }

  @Test
  void labelAboveNineIsRejectedWithRecordIndex(@TempDir Path dir) throws IOException {
    Path f = Files.write(dir.resolve("bad.bin"), records(3, 9, 10));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10.open(f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("record 2"), e.getMessage());
  }

  @Test
  void missingFileIsADatasetException(@TempDir Path dir) {
    assertThrows(DatasetException.class, () -> Cifar10.open(dir.resolve("nope.bin")));
  }

  @Test
  void batchBoundsAreChecked() {
    Cifar10 ds = Cifar10.open(SharedData.cifarDir().resolve("test_batch.bin"));
    assertThrows(IndexOutOfBoundsException.class, () -> ds.batch(990, 1001));
    assertEquals(0, ds.batch(1000, 1000).size());
    assertEquals(10, ds.limit(10).batch(0, 10).size());
  }
}
