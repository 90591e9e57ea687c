package io.quantkit.data;

import static io.quantkit.data.Checks.*;


import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NumpyDataTest {
  @TempDir Path dir;

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  @Test
  void readsFloat32InCOrder() throws IOException {
    Path f = write("x.npy", NpyFiles.f4(new int[] {2, 3}, 1, 2, 3, 4, 5, 6));
    NpyArray a = NpyArray.read(f);
    assertThat(a.name()).isEqualTo("x");
    assertThat(a.dtype()).isEqualTo("<f4");
    assertThat(a.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(a.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void readsFloat64IntegersBytesBigEndianAndBool() throws IOException {
    assertThat(NpyArray.read(write("d.npy", NpyFiles.npy("<f8", false, new int[] {3}, NpyFiles.doubles(0.5, -2, 1e10))))
        .toFloatArray()).containsExactly(0.5f, -2f, 1e10f);
    assertThat(NpyArray.read(write("l.npy", NpyFiles.npy("<i8", false, new int[] {2}, NpyFiles.longs(-7, 9))))
        .toFloatArray()).containsExactly(-7f, 9f);
    assertThat(NpyArray.read(write("u.npy", NpyFiles.npy("|u1", false, new int[] {3}, new byte[] {0, (byte) 200, (byte) 255})))
        .toFloatArray()).containsExactly(0f, 200f, 255f);
    assertThat(NpyArray.read(write("i.npy", NpyFiles.npy("|i1", false, new int[] {2}, new byte[] {-1, 5})))
        .toFloatArray()).containsExactly(-1f, 5f);
    assertThat(NpyArray.read(write("b.npy", NpyFiles.npy("|b1", false, new int[] {2}, new byte[] {1, 0})))
        .toFloatArray()).containsExactly(1f, 0f);
    ByteBuffer be = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putInt(258).putInt(-3);
    assertThat(NpyArray.read(write("be.npy", NpyFiles.npy(">i4", false, new int[] {2}, be.array())))
        .toFloatArray()).containsExactly(258f, -3f);
    ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putFloat(1.25f);
    assertThat(NpyArray.read(write("bf.npy", NpyFiles.npy(">f4", false, new int[] {1}, bf.array())))
        .toFloatArray()).containsExactly(1.25f);
  }

  @Test
  void readsStoredAndDeflatedNpzInArchiveOrder() throws IOException {
    for (boolean compress : new boolean[] {false, true}) {
      Map<String, byte[]> arrays = new LinkedHashMap<>();
      arrays.put("specs", NpyFiles.npy("<f8", false, new int[] {2, 2}, NpyFiles.doubles(1, 2, 3, 4)));
      arrays.put("labels", NpyFiles.npy("<i8", false, new int[] {2}, NpyFiles.longs(1, 0)));
      Path f = NpyFiles.npz(dir.resolve("a" + compress + ".npz"), arrays, compress);
      Map<String, NpyArray> read = NpyArray.readAll(f);
      assertThat(read.keySet()).containsExactly("specs", "labels");
      assertThat(read.get("specs").toFloatArray()).containsExactly(1, 2, 3, 4);
      assertThat(read.get("labels").toFloatArray()).containsExactly(1, 0);
    }
  }

  @Test
  void refusesFortranObjectStructuredAndStringArraysNamingFileAndArray() throws IOException {
    assertThatThrownBy(() -> NpyArray.read(write("f.npy", NpyFiles.npy("<f4", true, new int[] {1}, NpyFiles.floats(1)))))
        .isInstanceOf(DatasetException.class).hasMessageContaining("f.npy").hasMessageContaining("Fortran order");
    Map<String, byte[]> arrays = Map.of("objs", NpyFiles.npy("|O", false, new int[] {1}, new byte[8]));
    Path npz = NpyFiles.npz(dir.resolve("o.npz"), arrays, false);
    assertThatThrownBy(() -> NpyArray.readAll(npz)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("o.npz").hasMessageContaining("'objs'").hasMessageContaining("object array");
    assertThatThrownBy(() -> NpyArray.read(write("s.npy", NpyFiles.npy("<U3", false, new int[] {1}, new byte[12]))))
        .isInstanceOf(DatasetException.class).hasMessageContaining("string array");
    byte[] structured = NpyFiles.npy("<f4", false, new int[] {1}, NpyFiles.floats(1));
    String text = new String(structured, java.nio.charset.StandardCharsets.ISO_8859_1).replace("'descr': '<f4'", "'descr': [('a','<f4')]");
    assertThatThrownBy(() -> NpyArray.read(write("r.npy", text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))))
        .isInstanceOf(DatasetException.class).hasMessageContaining("r.npy").hasMessageContaining("structured");
  }

  @Test
  void truncatedLyingAndGarbageFilesFailCleanly() throws IOException {
    byte[] good = NpyFiles.f4(new int[] {4}, 1, 2, 3, 4);
    // truncated data
    assertThatThrownBy(() -> NpyArray.read(write("t.npy", Arrays.copyOf(good, good.length - 3))))
        .isInstanceOf(DatasetException.class).hasMessageContaining("t.npy").hasMessageContaining("holds only");
    // a header claiming 2^31 elements: refused before allocating
    byte[] huge = NpyFiles.f4(new int[] {100000, 100000}, new float[0]);
    assertThatThrownBy(() -> NpyArray.read(write("h.npy", huge))).isInstanceOf(DatasetException.class)
        .hasMessageContaining("h.npy");
    assertThatThrownBy(() -> NpyArray.read(write("g.npy", "hello world, not numpy".getBytes())))
        .isInstanceOf(DatasetException.class).hasMessageContaining("not a numpy");
    assertThatThrownBy(() -> NpyArray.read(write("e.npy", new byte[0]))).isInstanceOf(DatasetException.class);
    assertThatThrownBy(() -> NpyArray.readAll(write("z.npz", "PK garbage".getBytes()))).isInstanceOf(DatasetException.class)
        .hasMessageContaining("z.npz");
    // a deflated entry whose header lies about its size
    Path lying = NpyFiles.npz(dir.resolve("l.npz"), Map.of("x", NpyFiles.f4(new int[] {1000, 1000}, 1, 2)), true);
    assertThatThrownBy(() -> NpyArray.readAll(lying)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("l.npz").hasMessageContaining("'x'");
    // a deflated entry claiming 1.6e9 floats (6.4 GB) with 8 bytes of data: no allocation of the claim
    Path huge2 = NpyFiles.npz(dir.resolve("huge.npz"), Map.of("big", NpyFiles.f4(new int[] {40000, 40000}, 1, 2)), true);
    assertThatThrownBy(() -> NpyArray.readAll(huge2)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("huge.npz").hasMessageContaining("'big'");
    // random bytes after the magic never crash
    Random r = new Random(1);
    for (int i = 0; i < 200; i++) {
      byte[] b = good.clone();
      for (int k = 0; k < 4; k++) {
        b[6 + r.nextInt(b.length - 6)] = (byte) r.nextInt(256);
      }
      Path f = write("m" + i + ".npy", b);
      try {
        NpyArray.read(f);
      } catch (DatasetException expected) {
        assertThat(expected).hasMessageContaining("m" + i + ".npy");
      }
    }
  }

  @Test
  void datasetGivesNamedBatchesWithLabels() throws IOException {
    Map<String, byte[]> arrays = new LinkedHashMap<>();
    arrays.put("audio", NpyFiles.f4(new int[] {3, 2}, 0, 1, 10, 11, 20, 21));
    arrays.put("meta", NpyFiles.f4(new int[] {3}, 5, 6, 7));
    arrays.put("labels", NpyFiles.npy("<i8", false, new int[] {3}, NpyFiles.longs(2, 0, 1)));
    Path f = NpyFiles.npz(dir.resolve("two.npz"), arrays, false);
    // by name, whatever the archive order
    NumpyDataset ds = NumpyDataset.open(f, List.of("meta", "audio"), null);
    assertThat(ds.size()).isEqualTo(3);
    assertThat(ds.labelled()).isTrue();
    Batch b = ds.batch(1, 3);
    assertThat(b.inputs().keySet()).containsExactly("meta", "audio");
    assertThat(b.inputs().get("audio").toFloatArray()).containsExactly(10, 11, 20, 21);
    assertThat(b.inputs().get("audio").shape()).isEqualTo(Shape.of(2, 2));
    assertThat(b.labels()).containsExactly(0, 1);
    assertThat(b.feed(List.of("audio", "meta")).keySet()).containsExactly("audio", "meta");
    // by position when the names differ
    NumpyDataset pos = NumpyDataset.open(f, List.of("in_a", "in_b"), "labels");
    assertThat(pos.batch(0, 1).inputs().get("in_a").toFloatArray()).containsExactly(0, 1);
    assertThat(pos.batch(0, 1).inputs().get("in_b").toFloatArray()).containsExactly(5);
    // a subset (balanced samples, limits) keeps the named inputs
    Batch sub = Datasets.subset(ds, new int[] {2, 0}, "s").batch(0, 2);
    assertThat(sub.inputs().get("audio").toFloatArray()).containsExactly(20, 21, 0, 1);
    assertThat(sub.labels()).containsExactly(1, 2);
  }

  @Test
  void mismatchedArraysAndBadLabelsAreNamed() throws IOException {
    Map<String, byte[]> arrays = new LinkedHashMap<>();
    arrays.put("x", NpyFiles.f4(new int[] {3, 1}, 1, 2, 3));
    arrays.put("y", NpyFiles.f4(new int[] {2, 1}, 1, 2));
    Path f = NpyFiles.npz(dir.resolve("bad.npz"), arrays, false);
    assertThatThrownBy(() -> NumpyDataset.open(f, List.of("x", "y"), ""))
        .isInstanceOf(DatasetException.class).hasMessageContaining("'y' has 2 samples");
    assertThatThrownBy(() -> NumpyDataset.open(f, List.of("only"), ""))
        .isInstanceOf(DatasetException.class).hasMessageContaining("bad.npz").hasMessageContaining("[only]");
    assertThatThrownBy(() -> NumpyDataset.open(f, List.of("x"), "nope"))
        .isInstanceOf(DatasetException.class).hasMessageContaining("no array 'nope'");
    Map<String, byte[]> frac = new LinkedHashMap<>();
    frac.put("x", NpyFiles.f4(new int[] {2, 1}, 1, 2));
    frac.put("labels", NpyFiles.f4(new int[] {2}, 0.5f, 1));
    Path g = NpyFiles.npz(dir.resolve("frac.npz"), frac, false);
    assertThatThrownBy(() -> NumpyDataset.open(g, List.of("x"), null))
        .isInstanceOf(DatasetException.class).hasMessageContaining("0.5").hasMessageContaining("--task regress");
  }

  @Test
  void unlabelledSingleArrayGoesToTheOnlyInput() throws IOException {
    Path f = write("x.npy", NpyFiles.f4(new int[] {2, 2}, 1, 2, 3, 4));
    NumpyDataset ds = NumpyDataset.open(f, List.of("input_1"), null);
    assertThat(ds.labelled()).isFalse();
    Batch b = ds.batch(0, 2);
    assertThat(b.labelled()).isFalse();
    assertThat(b.feed(List.of("input_1")).get("input_1").toFloatArray()).containsExactly(1, 2, 3, 4);
    // an unnamed image batch goes to any single input, not to two
    Batch images = new Batch(Tensor.wrapFloats(Shape.of(1, 1), new float[] {7}), new int[] {0});
    assertThat(images.feed(List.of("whatever")).get("whatever").getFloat(0)).isEqualTo(7f);
    assertThatThrownBy(() -> images.feed(List.of("a", "b"))).isInstanceOf(DatasetException.class)
        .hasMessageContaining("[a, b]");
  }
}
