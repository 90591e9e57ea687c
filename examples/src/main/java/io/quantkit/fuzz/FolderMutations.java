package io.quantkit.fuzz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Mutations of an image folder ({@code root/<class>/<image>}) and of a CIFAR-10 binary folder,
 * applied to a copy on disk: damaged and lying image files (header dimensions, suffixes, zero
 * bytes, other sizes and pixel formats), stray files and folders, empty classes, link loops;
 * CIFAR labels out of range, sizes that are not whole records, damaged class-name files.
 */
final class FolderMutations {
  private FolderMutations() {}

  /** Mutates the image folder at {@code root} in place; returns what was done. */
  static String mutateImages(Path root, Random r) throws IOException {
    List<Path> classes = list(root, Files::isDirectory);
    List<Path> images = new ArrayList<>();
    for (Path c : classes) {
      images.addAll(list(c, Files::isRegularFile));
    }
    Path victim = images.get(r.nextInt(images.size()));
    switch (r.nextInt(14)) {
      case 0:
      case 1:
      case 2: {
        ByteMutations.Mutant m = ByteMutations.mutate(Files.readAllBytes(victim), r);
        Files.write(victim, m.bytes());
        return victim.getFileName() + ": " + m.what();
      }
      case 3: {
        List<Path> pngs = images.stream().filter(p -> p.toString().endsWith(".png")).toList();
        return headerDimensions(r.nextBoolean() && !pngs.isEmpty() ? pngs.get(r.nextInt(pngs.size())) : victim, r);
      }
      case 4:
        Files.write(victim, new byte[0]);
        return victim.getFileName() + " emptied";
      case 5:
        Files.writeString(victim.resolveSibling("notes.txt"), "not an image");
        return "a text file among the images";
      case 6: {
        byte[] junk = new byte[64];
        r.nextBytes(junk);
        Files.write(victim.resolveSibling(".DS_Store"), junk);
        return "a hidden file (ignored)";
      }
      case 7:
        Files.createDirectories(victim.resolveSibling("nested").resolve("deeper"));
        return "a folder inside a class folder";
      case 8: {
        Path c = classes.get(r.nextInt(classes.size()));
        for (Path f : list(c, p -> true)) {
          Files.delete(f);
        }
        return "class " + c.getFileName() + " emptied";
      }
      case 9: {
        int size = new int[] {1, 31, 40, 64, 300}[r.nextInt(5)];
        ImageIO.write(new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB), "png",
            victim.resolveSibling("zz-" + size + ".png").toFile());
        return "an image of " + size + "x" + size + " among 32x32 ones";
      }
      case 10: {
        String name = victim.getFileName().toString();
        Path renamed = victim.resolveSibling(name.substring(0, name.lastIndexOf('.')) + (name.endsWith(".png") ? ".jpg" : ".png"));
        Files.move(victim, renamed);
        return victim.getFileName() + " renamed to " + renamed.getFileName() + " (suffix lies)";
      }
      case 11: {
        Path c = classes.get(r.nextInt(classes.size()));
        if (r.nextBoolean()) {
          Files.createSymbolicLink(c.resolve("loop"), c);
          return "a link loop inside class " + c.getFileName();
        }
        Files.createSymbolicLink(root.resolve("zz-linked-class"), c);
        return "a class folder that is a link to another";
      }
      case 12: {
        int type = new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY, BufferedImage.TYPE_BYTE_INDEXED,
          BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_BYTE_BINARY}[r.nextInt(5)];
        BufferedImage img = new BufferedImage(32, 32, type);
        for (int y = 0; y < 32; y++) {
          for (int x = 0; x < 32; x++) {
            img.setRGB(x, y, r.nextInt());
          }
        }
        ImageIO.write(img, "png", victim.resolveSibling("zz-type" + type + ".png").toFile());
        return "a 32x32 PNG of pixel type " + type;
      }
      default: {
        for (Path c : classes) {
          Files.createDirectories(root.resolve(c.getFileName() + "_extra"));
        }
        return "empty class folders beside the real ones";
      }
    }
  }

  /** Width and height in a PNG's IHDR or a JPEG's SOF marker set to zero, one or huge values. */
  private static String headerDimensions(Path image, Random r) throws IOException {
    byte[] b = Files.readAllBytes(image);
    int[] values = {0, 1, 32, 33, 65535, 40000, 0x7FFFFFFF};
    int w = values[r.nextInt(values.length)];
    int h = values[r.nextInt(values.length)];
    if (b.length > 33 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      writeInt(b, 16, w);
      writeInt(b, 20, h);
      // A correct CRC, so the decoder believes the header (as it would a crafted file).
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(b, 12, 17);
      writeInt(b, 29, (int) crc.getValue());
      Files.write(image, b);
      return image.getFileName() + " IHDR " + w + "x" + h + " (valid CRC)";
    }
    for (int i = 2; i + 8 < b.length; i++) {
      if ((b[i] & 0xFF) == 0xFF && ((b[i + 1] & 0xFF) == 0xC0 || (b[i + 1] & 0xFF) == 0xC2)) {
        b[i + 5] = (byte) (h >> 8);
        b[i + 6] = (byte) h;
        b[i + 7] = (byte) (w >> 8);
        b[i + 8] = (byte) w;
        Files.write(image, b);
        return image.getFileName() + " SOF " + (w & 0xFFFF) + "x" + (h & 0xFFFF);
      }
    }
    return image.getFileName() + " (no header found, unchanged)";
  }

  private static void writeInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >> 24);
    b[at + 1] = (byte) (v >> 16);
    b[at + 2] = (byte) (v >> 8);
    b[at + 3] = (byte) v;
  }

  /** Mutates the CIFAR-10 folder at {@code dir} (test_batch.bin, maybe batches.meta.txt) in place. */
  static String mutateCifar(Path dir, int recordBytes, Random r) throws IOException {
    Path bin = dir.resolve("test_batch.bin");
    byte[] b = Files.readAllBytes(bin);
    int records = b.length / recordBytes;
    switch (r.nextInt(8)) {
      case 0: {
        int rec = r.nextInt(records);
        int label = 10 + r.nextInt(246);
        b[rec * recordBytes] = (byte) label;
        Files.write(bin, b);
        return "record " + rec + " label := " + label;
      }
      case 1: {
        int cut = 1 + r.nextInt(recordBytes - 1);
        Files.write(bin, java.util.Arrays.copyOf(b, b.length - cut));
        return "last record cut by " + cut + " bytes";
      }
      case 2:
        Files.write(bin, new byte[0]);
        return "empty file";
      case 3: {
        List<String> lines = new ArrayList<>(List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
            "ship", "truck"));
        switch (r.nextInt(4)) {
          case 0: lines.remove(r.nextInt(lines.size())); break;
          case 1: lines.add("eleventh"); break;
          case 2: lines.set(r.nextInt(lines.size()), "x".repeat(100000)); break;
          default: lines.set(r.nextInt(lines.size()), ""); break;
        }
        Files.write(dir.resolve("batches.meta.txt"), lines);
        return "batches.meta.txt with " + lines.size() + " lines";
      }
      case 4: {
        byte[] meta = new byte[40];
        r.nextBytes(meta);
        Files.write(dir.resolve("batches.meta.txt"), meta);
        return "batches.meta.txt of random bytes";
      }
      case 5: {
        byte[] grown = java.util.Arrays.copyOf(b, b.length + recordBytes);
        for (int i = b.length; i < grown.length; i++) {
          grown[i] = (byte) r.nextInt(256);
        }
        grown[b.length] = (byte) r.nextInt(12);
        Files.write(bin, grown);
        return "an extra record with label " + grown[b.length];
      }
      default: {
        ByteMutations.Mutant m = ByteMutations.mutate(b, r);
        Files.write(bin, m.bytes());
        return m.what();
      }
    }
  }

  private static List<Path> list(Path dir, java.util.function.Predicate<Path> keep) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(keep).sorted().toList();
    }
  }
}
