package io.quantkit.data;

import com.google.common.base.Ascii;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import io.quantkit.DatasetException;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Labelled images stored one sub-folder per class ({@code root/<class>/<image>}), decoded with
 * {@code javax.imageio} (PNG, JPEG, BMP, GIF, ...). Images come out NHWC float32 RGB 0..255; alpha
 * is dropped and grayscale is replicated to three channels.
 *
 * <p>Order is deterministic: classes in order (sorted folder names unless given), then files by
 * name. Files are decoded on first use and kept as 8-bit RGB (3 bytes a pixel, a quarter of the
 * float size), so repeated passes do not decode again. Hidden files (names starting with '.') are
 * ignored; any other file that is not a readable image fails with its path. Safe for concurrent
 * use.
 *
 * <p>Thread-safety: safe for concurrent use (the decoded-image cache is an atomic array; readers are
 * per call); its {@link Builder} is not.
 */
public final class ImageFolderDataset implements Dataset {
  private static final ImmutableSet<String> SUFFIXES = suffixes();
  /**
   * Largest image decoded: 64 megapixels (a 256 MB raster). A header claiming more is refused
   * before any pixel memory is allocated; a 20000x20000 PNG header made the decoder allocate
   * 1.6 GB and spend 16 s before failing on the missing data.
   */
  public static final long MAX_PIXELS = 1L << 26;

  private final String name;
  private final ImmutableList<String> classNames;
  private final ImmutableList<Path> files;
  private final int[] labels;
  private final int height;
  private final int width;
  private final boolean resize;
  private final int shorterSide;
  private final AtomicReferenceArray<byte[]> cache;

  private ImageFolderDataset(Builder b, ImmutableList<String> classNames, ImmutableList<Path> files, int[] labels) {
    this.name = b.name != null ? b.name : "imagefolder/" + b.root.toAbsolutePath().normalize().getFileName();
    this.classNames = classNames;
    this.files = files;
    this.labels = labels;
    this.resize = b.resize;
    this.shorterSide = b.shorterSide;
    this.cache = b.cacheDecoded ? new AtomicReferenceArray<>(files.size()) : null;
    if (b.height > 0) {
      this.height = b.height;
      this.width = b.width;
    } else {
      // The first image fixes the size every other image must have.
      Map<String, ImageReader> readers = new HashMap<>();
      BufferedImage first;
      try {
        first = read(files.get(0), readers, 0, 0, true);
      } finally {
        readers.values().forEach(ImageReader::dispose);
      }
      this.height = first.getHeight();
      this.width = first.getWidth();
    }
  }

  /** All classes (sorted sub-folder names) under {@code root}, default options. */
  public static ImageFolderDataset open(Path root) {
    return builder(root).build();
  }

  public static Builder builder(Path root) {
    return new Builder(root);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public ImmutableList<String> classNames() {
    return classNames;
  }

  @Override
  public Shape imageShape() {
    return Shape.of(height, width, 3);
  }

  /** The file behind image {@code index}. */
  public Path file(int index) {
    return files.get(index);
  }

  public int label(int index) {
    return labels[index];
  }

  @Override
  public Batch batch(int from, int to) {
    Preconditions.checkPositionIndexes(from, to, files.size());
    int n = to - from;
    int per = height * width * 3;
    float[] out = new float[n * per];
    Map<String, ImageReader> readers = new HashMap<>();
    try {
      for (int i = 0; i < n; i++) {
        byte[] rgb = rgb(from + i, readers);
        int base = i * per;
        for (int k = 0; k < per; k++) {
          out[base + k] = rgb[k] & 0xFF;
        }
      }
    } finally {
      readers.values().forEach(ImageReader::dispose);
    }
    int[] batchLabels = new int[n];
    System.arraycopy(labels, from, batchLabels, 0, n);
    return new Batch(Tensor.wrapFloats(Shape.of(n, height, width, 3), out), batchLabels);
  }

  private byte[] rgb(int index, Map<String, ImageReader> readers) {
    if (cache != null) {
      byte[] cached = cache.get(index);
      if (cached != null) {
        return cached;
      }
    }
    byte[] rgb = decode(files.get(index), readers);
    if (cache != null) {
      cache.set(index, rgb);
    }
    return rgb;
  }

  private byte[] decode(Path file, Map<String, ImageReader> readers) {
    BufferedImage img = read(file, readers, height, width, resize);
    if (img.getHeight() != height || img.getWidth() != width || shorterSide > 0) {
      if (!resize) {
        throw new DatasetException("image " + file + " is " + img.getWidth() + "x" + img.getHeight() + " (WxH), but this dataset's images are "
            + width + "x" + height + "; resize the files, or have them scaled on reading (API: ImageFolderDataset.builder(root)"
            + ".imageSize(h, w).resize(true); command line: --resize HxW)");
      }
      if (shorterSide > 0) {
        // torchvision's Resize(side) then CenterCrop: the longer side is truncated, then the middle kept
        int h0 = img.getHeight();
        int w0 = img.getWidth();
        int sh = h0 <= w0 ? shorterSide : (int) ((long) shorterSide * h0 / w0);
        int sw = h0 <= w0 ? (int) ((long) shorterSide * w0 / h0) : shorterSide;
        if (sh < height || sw < width) {
          throw new DatasetException("image " + file + " is " + w0 + "x" + h0 + " (WxH): resized to " + sw + "x" + sh
              + " it is smaller than the crop " + width + "x" + height);
        }
        BufferedImage scaled = scale(img, sw, sh);
        img = scaled.getSubimage((int) Math.round((sw - width) / 2.0), (int) Math.round((sh - height) / 2.0), width, height);
      } else {
        img = scale(img, width, height);
      }
    }
    byte[] out = new byte[height * width * 3];
    Raster raster = img.getRaster();
    ColorModel cm = img.getColorModel();
    if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      // getRGB would push gray through a linear-to-sRGB conversion and change the values.
      int[] gray = raster.getSamples(0, 0, width, height, 0, (int[]) null);
      for (int p = 0; p < gray.length; p++) {
        out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = (byte) gray[p];
      }
      return out;
    }
    if (isPlain8BitRgb(cm, raster)) {
      // Raw samples in R, G, B(, A) band order: exact, and far faster than getRGB per pixel.
      int bands = raster.getNumBands();
      int[] samples = raster.getPixels(0, 0, width, height, (int[]) null);
      for (int p = 0, q = 0; q < samples.length; p += 3, q += bands) {
        out[p] = (byte) samples[q];
        out[p + 1] = (byte) samples[q + 1];
        out[p + 2] = (byte) samples[q + 2];
      }
      return out;
    }
    int[] argb = img.getRGB(0, 0, width, height, null, 0, width);
    for (int p = 0; p < argb.length; p++) {
      out[3 * p] = (byte) (argb[p] >> 16);
      out[3 * p + 1] = (byte) (argb[p] >> 8);
      out[3 * p + 2] = (byte) argb[p];
    }
    return out;
  }

  private static boolean isPlain8BitRgb(ColorModel cm, Raster raster) {
    if (cm instanceof IndexColorModel || !cm.getColorSpace().isCS_sRGB() || cm.isAlphaPremultiplied()) {
      return false;
    }
    int bands = raster.getNumBands();
    if (bands != cm.getNumComponents() || (bands != 3 && bands != 4)) {
      return false;
    }
    for (int size : cm.getComponentSize()) {
      if (size != 8) {
        return false;
      }
    }
    return true;
  }

  /**
   * Decodes with the reader registered for the file's suffix, reused across a batch (ImageIO's
   * per-call reader lookup costs about as much as decoding a 32x32 JPEG); falls back to content
   * sniffing when the suffix lies. The header's size is checked before any pixel is decoded: over
   * {@link #MAX_PIXELS}, or (without resizing) not the dataset's size, the file is refused at once.
   * {@code height == 0} means the size is not known yet (the first image).
   */
  private static BufferedImage read(Path file, Map<String, ImageReader> readers, int height, int width, boolean resize) {
    String suffix = suffix(file.getFileName().toString());
    ImageReader reader = readers.computeIfAbsent(suffix, s -> {
      Iterator<ImageReader> it = ImageIO.getImageReadersBySuffix(s);
      return it.hasNext() ? it.next() : null;
    });
    if (reader != null) {
      try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
        reader.setInput(in, true, true);
        checkSize(file, reader.getWidth(0), reader.getHeight(0), height, width, resize);
        return reader.read(0);
      } catch (DatasetException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        // Fall through to content sniffing, which also produces the error message.
      } finally {
        reader.setInput(null);
      }
    }
    return sniffAndRead(file, height, width, resize);
  }

  /** Any reader that recognises the content, whatever the suffix says. */
  private static BufferedImage sniffAndRead(Path file, int height, int width, boolean resize) {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      Iterator<ImageReader> it = in == null ? null : ImageIO.getImageReaders(in);
      if (it == null || !it.hasNext()) {
        throw new DatasetException("cannot decode image " + file + ": no image reader recognises its content");
      }
      ImageReader reader = it.next();
      try {
        reader.setInput(in, true, true);
        checkSize(file, reader.getWidth(0), reader.getHeight(0), height, width, resize);
        BufferedImage img = reader.read(0);
        if (img == null) {
          throw new DatasetException("cannot decode image " + file + ": the reader returned no image");
        }
        return img;
      } finally {
        reader.dispose();
      }
    } catch (DatasetException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new DatasetException("cannot decode image " + file + ": " + e, e);
    }
  }

  private static void checkSize(Path file, int w, int h, int height, int width, boolean resize) {
    if (w <= 0 || h <= 0 || (long) w * h > MAX_PIXELS) {
      throw new DatasetException("image " + file + " declares " + w + "x" + h + " (WxH) pixels; quantkit decodes images of "
          + "1 to " + MAX_PIXELS + " pixels");
    }
    if (height > 0 && !resize && (h != height || w != width)) {
      throw new DatasetException("image " + file + " is " + w + "x" + h + " (WxH), but this dataset's images are "
          + width + "x" + height + "; resize the files, or have them scaled on reading (API: ImageFolderDataset.builder(root)"
          + ".imageSize(h, w).resize(true); command line: --resize HxW)");
    }
  }

  private static String suffix(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return dot < 0 ? "" : fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  private static BufferedImage scale(BufferedImage src, int w, int h) {
    BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = dst.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(src, 0, 0, w, h, null);
    } finally {
      g.dispose();
    }
    return dst;
  }

  private static ImmutableSet<String> suffixes() {
    ImmutableSet.Builder<String> b = ImmutableSet.builder();
    for (String s : ImageIO.getReaderFileSuffixes()) {
      b.add(Ascii.toLowerCase(s));
    }
    return b.build();
  }

  @Override
  public String toString() {
    return name + " (" + files.size() + " images, " + classNames.size() + " classes)";
  }

  /** Options; only {@code root} is required. */
  public static final class Builder {
    private final Path root;
    private List<String> classNames;
    private int height;
    private int width;
    private boolean resize;
    private int shorterSide;
    private boolean cacheDecoded = true;
    private String name;

    private Builder(Path root) {
      this.root = Preconditions.checkNotNull(root);
    }

    /** The classes (sub-folder names) in label order; default: all sub-folders, sorted. */
    public Builder classNames(List<String> value) {
      Preconditions.checkArgument(!value.isEmpty(), "no class names");
      Preconditions.checkArgument(ImmutableSet.copyOf(value).size() == value.size(), "duplicate class names in %s", value);
      this.classNames = ImmutableList.copyOf(value);
      return this;
    }

    /** The image size every file must have (or is resized to); default: the first image's size. */
    public Builder imageSize(int imageHeight, int imageWidth) {
      Preconditions.checkArgument(imageHeight > 0 && imageWidth > 0, "bad image size %sx%s", imageHeight, imageWidth);
      this.height = imageHeight;
      this.width = imageWidth;
      return this;
    }

    /**
     * Resize every image so its shorter side is {@code side} pixels (bilinear, aspect ratio kept),
     * then keep the centre {@code cropHeight x cropWidth}: the usual ImageNet evaluation
     * (resize 256, crop 224) for folders of images of any size.
     */
    public Builder resizeShorter(int side, int cropHeight, int cropWidth) {
      Preconditions.checkArgument(side > 0 && cropHeight > 0 && cropWidth > 0 && cropHeight <= side * 16L
          && cropWidth <= side * 16L, "bad resize %s / crop %sx%s", side, cropHeight, cropWidth);
      this.shorterSide = side;
      this.height = cropHeight;
      this.width = cropWidth;
      this.resize = true;
      return this;
    }

    /** Scale images of another size (bilinear) instead of failing on them. */
    public Builder resize(boolean value) {
      this.resize = value;
      return this;
    }

    /** Keep decoded pixels (3 bytes a pixel) for later passes; default true. */
    public Builder cacheDecoded(boolean value) {
      this.cacheDecoded = value;
      return this;
    }

    /** The dataset's name in reports; default "imagefolder/&lt;root folder name&gt;". */
    public Builder name(String value) {
      this.name = Preconditions.checkNotNull(value);
      return this;
    }

    /** Lists the files (decoding at most the first image); fails on any non-image file. */
    public ImageFolderDataset build() {
      if (!Files.isDirectory(root)) {
        throw new DatasetException("image folder " + root + " does not exist or is not a folder");
      }
      List<String> classes = classNames != null ? classNames : listClasses();
      if (classes.isEmpty()) {
        throw new DatasetException("image folder " + root + " has no class sub-folders");
      }
      ImmutableList.Builder<Path> files = ImmutableList.builder();
      List<Integer> labels = new ArrayList<>();
      for (int c = 0; c < classes.size(); c++) {
        Path classDir = root.resolve(classes.get(c));
        if (!Files.isDirectory(classDir)) {
          throw new DatasetException("image folder " + root + " has no sub-folder for class '" + classes.get(c) + "'");
        }
        for (Path f : list(classDir)) {
          String fileName = f.getFileName().toString();
          if (fileName.startsWith(".")) {
            continue;
          }
          if (!Files.isRegularFile(f)) {
            throw new DatasetException("unexpected folder " + f + " inside class folder (expected only image files)");
          }
          if (!SUFFIXES.contains(suffix(fileName))) {
            throw new DatasetException("not an image file: " + f + " (readable suffixes: " + SUFFIXES + ")");
          }
          files.add(f);
          labels.add(c);
        }
      }
      ImmutableList<Path> all = files.build();
      if (all.isEmpty()) {
        throw new DatasetException("image folder " + root + " holds no images");
      }
      return new ImageFolderDataset(this, ImmutableList.copyOf(classes), all,
          labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private List<String> listClasses() {
      List<String> names = new ArrayList<>();
      for (Path p : list(root)) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p) && !n.startsWith(".")) {
          names.add(n);
        }
      }
      return names;
    }

    /** Entries sorted by file name, so the order does not depend on the file system. */
    private static List<Path> list(Path dir) {
      try (Stream<Path> s = Files.list(dir)) {
        return s.sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
      } catch (IOException e) {
        throw new DatasetException("cannot list " + dir + ": " + e, e);
      }
    }
  }
}
