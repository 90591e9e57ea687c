package io.quantkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {
  private static final List<String> CIFAR_NAMES = List.of(
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  /** A w x h RGB image whose pixel (x, y) is (seed + x, 10 * y, 255 - seed). */
  private static BufferedImage rgb(int w, int h, int seed) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, ((seed + x) << 16) | ((10 * y) << 8) | (255 - seed));
      }
    }
    return img;
  }

  private static Path png(Path dir, String cls, String name, BufferedImage img) throws IOException {
    Path f = Files.createDirectories(dir.resolve(cls)).resolve(name);
    assertTrue(ImageIO.write(img, "png", f.toFile()));
    return f;
  }

  /** A 4x4 PNG whose header (with a valid CRC) claims w x h pixels it does not have. */
  private static Path lyingPng(Path dir, String cls, String name, int w, int h) throws IOException {
    Path f = png(dir, cls, name, rgb(4, 4, 0));
    byte[] b = Files.readAllBytes(f);
    java.nio.ByteBuffer.wrap(b).putInt(16, w).putInt(20, h);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(b, 12, 17);
    java.nio.ByteBuffer.wrap(b).putInt(29, (int) crc.getValue());
    Files.write(f, b);
    return f;
  }

  @Test
  void headerSizeIsCheckedBeforeAnyPixelIsDecoded(@TempDir Path dir) throws IOException {
    png(dir, "a", "0.png", rgb(4, 4, 1));
    Path big = lyingPng(dir, "b", "1.png", 20000, 20000);
    // Before: the decoder allocated a 1.6 GB raster and failed 16 s later on the missing data.
    DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir).batch(0, 2));
    assertTrue(e.getMessage().contains(big.toString()) && e.getMessage().contains("20000x20000"), e.getMessage());
    DatasetException resized = assertThrows(DatasetException.class,
        () -> ImageFolderDataset.builder(dir).imageSize(4, 4).resize(true).build().batch(0, 2));
    assertTrue(resized.getMessage().contains("declares 20000x20000") && resized.getMessage().contains("67108864"),
        resized.getMessage());

    Path first = dir.resolve("first");
    lyingPng(first, "a", "0.png", 100000, 1000);
    DatasetException f = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(first));
    assertTrue(f.getMessage().contains("declares 100000x1000"), f.getMessage());
  }

  @Test
  void balancedSampleTakesEveryClassInTurnAndIsSeeded(@TempDir Path dir) throws IOException {
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < 5 + c; i++) {
        png(dir, "c" + c, i + ".png", rgb(2, 2, c * 10 + i));
      }
    }
    ImageFolderDataset all = ImageFolderDataset.open(dir);
    Dataset sample = Datasets.balancedSample(all, 7, 42);
    assertEquals(7, sample.size());
    int[] perClass = new int[3];
    int[] labels = sample.batch(0, 7).labels();
    for (int l : labels) {
      perClass[l]++;
    }
    assertArrayEquals(new int[] {3, 2, 2}, perClass, "classes take turns: 3 rounds for c0, 2 for the others");
    assertTrue(sample.name().contains("class-balanced sample of 7 of 18, seed 42"), sample.name());
    assertArrayEquals(sample.batch(0, 7).images().toFloatArray(),
        Datasets.balancedSample(all, 7, 42).batch(0, 7).images().toFloatArray(), "same seed, same sample");
    for (int i = 0; i < 7; i++) {
      assertEquals(labels[i], sample.label(i));
    }
    // The first 7 images in folder order would be 5 of c0 and 2 of c1, none of c2.
    assertEquals(0, all.label(4));
    assertTrue(Datasets.balancedSample(all, 100, 1) == all, "asking for more than there is gives everything");
  }

  @Test
  void pngPixelsOrderAndLabels(@TempDir Path dir) throws IOException {
    png(dir, "zebra", "b.png", rgb(4, 3, 1));
    png(dir, "zebra", "a.png", rgb(4, 3, 2));
    png(dir, "ant", "10.png", rgb(4, 3, 3));
    png(dir, "ant", "2.png", rgb(4, 3, 4));
    Files.writeString(dir.resolve("ant/.DS_Store"), "hidden files are ignored");

    ImageFolderDataset ds = ImageFolderDataset.open(dir);
    assertEquals(List.of("ant", "zebra"), ds.classNames());
    assertEquals(4, ds.size());
    assertEquals(Shape.of(3, 4, 3), ds.imageShape());
    // class, then file name (as text: "10.png" before "2.png")
    assertEquals(List.of("10.png", "2.png", "a.png", "b.png"),
        List.of(0, 1, 2, 3).stream().map(i -> ds.file(i).getFileName().toString()).toList());
    Batch b = ds.batch(1, 4);
    assertArrayEquals(new int[] {0, 1, 1}, b.labels());
    assertEquals(Shape.of(3, 3, 4, 3), b.images().shape());
    float[] px = b.images().toFloatArray();
    int[] seeds = {4, 2, 1};
    for (int i = 0; i < 3; i++) {
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 4; x++) {
          int o = ((i * 3 + y) * 4 + x) * 3;
          assertEquals(seeds[i] + x, px[o], "R");
          assertEquals(10 * y, px[o + 1], "G");
          assertEquals(255 - seeds[i], px[o + 2], "B");
        }
      }
    }
    // Second pass comes from the cache and must be identical.
    assertEquals(b.images(), ds.batch(1, 4).images());
  }

  @Test
  void explicitClassNamesSetLabelOrder(@TempDir Path dir) throws IOException {
    png(dir, "a", "0.png", rgb(2, 2, 0));
    png(dir, "b", "0.png", rgb(2, 2, 0));
    png(dir, "unused", "0.png", rgb(2, 2, 0));
    ImageFolderDataset ds = ImageFolderDataset.builder(dir).classNames(List.of("b", "a")).build();
    assertEquals(List.of("b", "a"), ds.classNames());
    assertArrayEquals(new int[] {0, 1}, ds.batch(0, 2).labels());
    assertEquals("b", ds.file(0).getParent().getFileName().toString());

    DatasetException e = assertThrows(DatasetException.class,
        () -> ImageFolderDataset.builder(dir).classNames(List.of("a", "missing")).build());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void grayscaleIsReplicatedExactly(@TempDir Path dir) throws IOException {
    BufferedImage g = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
    g.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 77, 200});
    png(dir, "c", "g.png", g);
    float[] px = ImageFolderDataset.open(dir).batch(0, 1).images().toFloatArray();
    assertArrayEquals(new float[] {0, 0, 0, 77, 77, 77, 200, 200, 200}, px);
  }

  @Test
  void alphaIsDroppedAndColoursKept(@TempDir Path dir) throws IOException {
    BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    img.setRGB(0, 0, 0x80_0A_14_1E);
    img.setRGB(1, 0, 0x00_FF_01_02);
    png(dir, "c", "a.png", img);
    float[] px = ImageFolderDataset.open(dir).batch(0, 1).images().toFloatArray();
    assertArrayEquals(new float[] {10, 20, 30, 255, 1, 2}, px);
  }

  @Test
  void jpegWithWrongSuffixStillDecodes(@TempDir Path dir) throws IOException {
    // A flat colour survives JPEG almost exactly; the file is named .png to exercise content sniffing.
    BufferedImage flat = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        flat.setRGB(x, y, 0x40_80_C0);
      }
    }
    Path f = Files.createDirectories(dir.resolve("c")).resolve("really-a-jpeg.png");
    assertTrue(ImageIO.write(flat, "jpeg", f.toFile()));
    float[] px = ImageFolderDataset.open(dir).batch(0, 1).images().toFloatArray();
    for (int p = 0; p < px.length; p += 3) {
      assertEquals(0x40, px[p], 2);
      assertEquals(0x80, px[p + 1], 2);
      assertEquals(0xC0, px[p + 2], 2);
    }
  }

  @Test
  void sizeMismatchFailsNamingTheFileUnlessResizing(@TempDir Path dir) throws IOException {
    png(dir, "a", "0.png", rgb(4, 4, 0));
    Path odd = png(dir, "a", "1.png", rgb(8, 8, 0));
    ImageFolderDataset strict = ImageFolderDataset.open(dir);
    assertEquals(1, strict.batch(0, 1).size());
    DatasetException e = assertThrows(DatasetException.class, () -> strict.batch(0, 2));
    assertTrue(e.getMessage().contains(odd.toString()), e.getMessage());

    ImageFolderDataset resized = ImageFolderDataset.builder(dir).imageSize(2, 2).resize(true).build();
    assertEquals(Shape.of(2, 2, 2, 3), resized.batch(0, 2).images().shape());
  }

  @Test
  void shorterSideResizeThenCentreCropForImagesOfMixedSizes(@TempDir Path dir) throws IOException {
    // 20x10 (WxH): left half black, right half white; shorter side already 10, so the crop keeps columns 5..14
    BufferedImage wide = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 10; y++) {
      for (int x = 10; x < 20; x++) {
        wide.setRGB(x, y, 0xFFFFFF);
      }
    }
    png(dir, "a", "wide.png", wide);
    // 10x40 (WxH) all white, a different size and aspect: resized to 10x40, cropped to the middle 10x10
    BufferedImage tall = new BufferedImage(10, 40, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 40; y++) {
      for (int x = 0; x < 10; x++) {
        tall.setRGB(x, y, 0xFFFFFF);
      }
    }
    png(dir, "b", "tall.png", tall);
    ImageFolderDataset ds = ImageFolderDataset.builder(dir).resizeShorter(10, 10, 10).build();
    float[] px = ds.batch(0, 2).images().toFloatArray();
    assertEquals(Shape.of(2, 10, 10, 3), ds.batch(0, 2).images().shape());
    assertEquals(0f, px[0]);
    assertEquals(0f, px[4 * 3]);
    assertEquals(255f, px[5 * 3]);
    assertEquals(255f, px[9 * 3]);
    assertEquals(255f, px[300]);
  }

  @Test
  void nonImageFileFailsAtOpenNamingIt(@TempDir Path dir) throws IOException {
    png(dir, "a", "0.png", rgb(2, 2, 0));
    Path txt = Files.writeString(dir.resolve("a/notes.txt"), "not an image");
    DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir));
    assertTrue(e.getMessage().contains(txt.toString()), e.getMessage());
  }

  @Test
  void undecodableImageFailsNamingIt(@TempDir Path dir) throws IOException {
    png(dir, "a", "0.png", rgb(2, 2, 0));
    Path bad = Files.write(dir.resolve("a/1.jpg"), new byte[] {1, 2, 3, 4, 5});
    ImageFolderDataset ds = ImageFolderDataset.open(dir);
    DatasetException e = assertThrows(DatasetException.class, () -> ds.batch(0, 2));
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
  }

  @Test
  void emptyOrMissingFolderFails(@TempDir Path dir) throws IOException {
    assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir.resolve("nope")));
    assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir));
    Files.createDirectories(dir.resolve("a"));
    assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir));
  }

  private static ImageFolderDataset sharedJpegs() {
    return ImageFolderDataset.open(SharedData.home().resolve("datasets/cifar-10-jpeg-q75-test"));
  }

  @Test
  void sharedCifarJpegFolderListing() {
    ImageFolderDataset ds = sharedJpegs();
    assertEquals(CIFAR_NAMES, ds.classNames());
    assertEquals(10_000, ds.size());
    assertEquals(Shape.of(32, 32, 3), ds.imageShape());
    for (int c = 0; c < 10; c++) {
      assertEquals(c, ds.label(c * 1000));
      assertEquals(c, ds.label(c * 1000 + 999));
    }
    Batch last = ds.batch(9990, 10_000);
    assertEquals(Shape.of(10, 32, 32, 3), last.images().shape());
    for (float v : last.images().toFloatArray()) {
      assertTrue(v >= 0 && v <= 255);
    }
  }

  /**
   * The JPEG folder holds the test images lossily compressed, so the first cat JPEG must be close
   * to the first cat record of the binary file (channel order and layout included) and far from a
   * different image.
   */
  @Test
  void sharedJpegMatchesBinaryRecordApproximately() {
    ImageFolderDataset jpegs = sharedJpegs();
    Cifar10 bin = Cifar10.open(SharedData.cifarDir().resolve("test_batch.bin"));
    int firstCat = -1;
    int firstShip = -1;
    for (int i = 0; i < bin.size() && (firstCat < 0 || firstShip < 0); i++) {
      if (bin.label(i) == 3 && firstCat < 0) {
        firstCat = i;
      }
      if (bin.label(i) == 8 && firstShip < 0) {
        firstShip = i;
      }
    }
    float[] catJpeg = jpegs.batch(3000, 3001).images().toFloatArray();
    float[] catBin = bin.batch(firstCat, firstCat + 1).images().toFloatArray();
    float[] shipBin = bin.batch(firstShip, firstShip + 1).images().toFloatArray();
    float[] catJpegSwapped = catJpeg.clone();
    for (int p = 0; p < catJpeg.length; p += 3) {
      catJpegSwapped[p] = catJpeg[p + 2];
      catJpegSwapped[p + 2] = catJpeg[p];
    }
    double same = meanAbs(catJpeg, catBin);
    assertTrue(same < 8, "mean |jpeg - bin| for the same image: " + same);
    assertTrue(meanAbs(catJpeg, shipBin) > 3 * same, "different image should differ more");
    assertTrue(meanAbs(catJpegSwapped, catBin) > same, "BGR order should match worse than RGB");
  }

  private static double meanAbs(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += Math.abs(a[i] - b[i]);
    }
    return s / a.length;
  }

  @Test
  @Tag("integration")
  void everySharedJpegDecodes() {
    ImageFolderDataset ds = sharedJpegs();
    for (int from = 0; from < ds.size(); from += 500) {
      assertEquals(500, ds.batch(from, from + 500).size());
    }
  }
}
