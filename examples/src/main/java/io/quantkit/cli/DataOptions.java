package io.quantkit.cli;

import io.quantkit.DatasetException;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.data.QuantkitHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Which images to use: CIFAR-10 from QUANTKIT_HOME by default, or a binary-batch dir or image folder. */
final class DataOptions {
  @Option(names = "--data", paramLabel = "DIR",
      description = "CIFAR-10 binary dir (*.bin) or an image folder (one sub-folder per class). Default: CIFAR-10 in QUANTKIT_HOME.")
  Path data;

  @Option(names = "--split", defaultValue = "test", description = "test or train (CIFAR-10 only; default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--limit", paramLabel = "N", description = "Use only the first N images (N >= 1).")
  Integer limit;

  @Option(names = "--batch-size", defaultValue = "32", description = "Images per inference call (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--resize", paramLabel = "HxW",
      description = "Image folders: scale every image to H x W pixels (bilinear) instead of requiring one size.")
  String resize;

  Dataset open() {
    if (limit != null && limit < 1) {
      throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
    }
    Dataset dataset = openAll();
    return limit == null ? dataset : dataset.limit(limit);
  }

  Dataset openAll() {
    if (!split.equals("test") && !split.equals("train")) {
      throw new DatasetException("--split must be test or train, not '" + split + "'");
    }
    if (data == null) {
      QuantkitHome home = QuantkitHome.fromEnvironment();
      return split.equals("test") ? Cifar10.test(home) : Cifar10.train(home);
    }
    if (!Files.isDirectory(data)) {
      if (data.toString().endsWith(".bin") && Files.isRegularFile(data)) {
        return Cifar10.open(data);
      }
      throw new DatasetException("--data " + data + " is not a directory");
    }
    if (containsBinBatches(data)) {
      return split.equals("test") ? Cifar10.open(data.resolve(Cifar10.TEST_FILE)) : Cifar10.open(trainBatches(data));
    }
    ImageFolderDataset.Builder folder = ImageFolderDataset.builder(data);
    if (resize != null) {
      String[] hw = resize.toLowerCase(java.util.Locale.ROOT).split("x");
      int h;
      int w;
      try {
        h = hw.length == 2 ? Integer.parseInt(hw[0].trim()) : -1;
        w = hw.length == 2 ? Integer.parseInt(hw[1].trim()) : -1;
      } catch (NumberFormatException e) {
        h = -1;
        w = -1;
      }
      if (h < 1 || w < 1 || h > 4096 || w > 4096) {
        throw new IllegalArgumentException("--resize takes HxW with 1..4096 pixels each, e.g. 32x32; got '" + resize + "'");
      }
      folder.imageSize(h, w).resize(true);
    }
    return folder.build();
  }

  private static java.util.List<Path> trainBatches(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      java.util.List<Path> batches = files.filter(p -> p.getFileName().toString().matches("data_batch_\\d+\\.bin")).sorted().toList();
      if (batches.isEmpty()) {
        throw new DatasetException("no data_batch_N.bin training files in " + dir);
      }
      return batches;
    } catch (IOException e) {
      throw new DatasetException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static boolean containsBinBatches(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> p.getFileName().toString().endsWith(".bin"));
    } catch (IOException e) {
      throw new DatasetException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}
