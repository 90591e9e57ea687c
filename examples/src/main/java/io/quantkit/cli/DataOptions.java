package io.quantkit.cli;

import io.quantkit.DatasetException;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.Datasets;
import io.quantkit.data.ImageFolderDataset;
import io.quantkit.data.NumpyDataset;
import io.quantkit.data.Preprocessing;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Which images to use: CIFAR-10 from QUANTKIT_HOME by default, or a binary-batch dir or image folder (numpy arrays: {@link InputOptions}). */
final class DataOptions {
  @Option(names = "--data", paramLabel = "DIR",
      description = "CIFAR-10 binary dir (*.bin), an image folder (one sub-folder per class) or numpy arrays (.npz/.npy, as --arrays). "
          + "Default: CIFAR-10 in QUANTKIT_HOME.")
  Path data;

  @Option(names = "--split", defaultValue = "test", description = "test or train (CIFAR-10 only; default ${DEFAULT-VALUE}).")
  String split = "test";

  @Option(names = "--limit", paramLabel = "N", description = "Use only the first N images (N >= 1).")
  Integer limit;

  @Option(names = "--batch-size", defaultValue = "32",
      description = "Samples per inference call (default ${DEFAULT-VALUE}); a model with a fixed batch gets slices of its size.")
  int batchSize = 32;

  /**
   * The samples for a model with {@code inputs}: the --arrays of {@code input}, or the images
   * prepared by its preprocessing ({@code recorded}: what a QDQ model says it was calibrated with).
   */
  Dataset open(InputOptions input, List<ValueInfo> inputs, String recorded) {
    checkCounts();
    Spec resolved = spec(input, inputs, recorded);
    Dataset dataset = openAll(input, inputs, recorded);
    opened = resolved;
    return limit == null ? dataset : dataset.limit(limit);
  }

  Dataset open(InputOptions input, Graph model) {
    return open(input, model == null ? List.of() : model.inputs(),
        model == null ? null : model.metadata().get(InputOptions.METADATA_KEY));
  }

  /**
   * The samples these options and {@code input} select, as plain values (Spark tasks reopen them on
   * every executor): the folder, split and limit, and the preprocessing text or the arrays.
   */
  record Spec(String dir, String split, Integer limit, String preprocessing, String arrays, String labelsKey,
      List<String> inputs) implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The same dataset {@link DataOptions#open(InputOptions, List, String)} gives. */
    Dataset open() {
      DataOptions d = new DataOptions();
      d.data = dir == null ? null : Path.of(dir);
      d.split = split;
      Dataset all = arrays != null ? NumpyDataset.open(Path.of(arrays), inputs, labelsKey)
          : d.openAll(Preprocessing.parse(preprocessing));
      return limit == null ? all : all.limit(limit);
    }

    /** Whether the data is an image folder (sampled class-balanced for calibration). */
    boolean imageFolder() {
      if (arrays != null || dir == null) {
        return false;
      }
      DataOptions d = new DataOptions();
      d.data = Path.of(dir);
      return d.isImageFolder();
    }

    String key() {
      return dir + "|" + split + "|" + limit + "|" + preprocessing + "|" + arrays + "|" + labelsKey;
    }
  }

  /** Set by {@link #open(InputOptions, List, String)}: what it opened, for Spark. */
  Spec opened;

  Spec spec(InputOptions input, List<ValueInfo> inputs, String recorded) {
    Path arrays = data != null && isNumpy(data) ? data : input.arrays;
    List<String> names = new ArrayList<>();
    inputs.forEach(v -> names.add(v.name()));
    String dir = data == null || arrays != null ? null : data.toAbsolutePath().toString();
    return new Spec(dir, split, limit, arrays != null ? null : input.preprocessing(inputs, recorded).format(),
        arrays == null ? null : arrays.toAbsolutePath().toString(), input.labelsKey, List.copyOf(names));
  }

  Dataset open() {
    checkCounts();
    Dataset dataset = openAll(Preprocessing.none());
    return limit == null ? dataset : dataset.limit(limit);
  }

  private void checkCounts() {
    if (limit != null && limit < 1) {
      throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
    }
  }

  Dataset openAll(InputOptions input, List<ValueInfo> inputs, String recorded) {
    Path arrays = input.arrays;
    if (data != null && isNumpy(data)) {
      // --data x.npz (quantize: --calib-data x.npz, which wins over --arrays there) reads as --arrays x.npz
      arrays = data;
      data = null;
    }
    if (arrays != null) {
      if (input.stated()) {
        throw new IllegalArgumentException("--arrays are fed to the model as they are; the image preprocessing flags "
            + "(--preset, --resize, --scale, ...) do not apply to them: prepare the arrays in numpy");
      }
      if (data != null) {
        throw new IllegalArgumentException("give --data (images) or --arrays (numpy), not both");
      }
      List<String> names = new ArrayList<>();
      inputs.forEach(v -> names.add(v.name()));
      return NumpyDataset.open(arrays, names, input.labelsKey);
    }
    return openAll(input.preprocessing(inputs, recorded));
  }

  static boolean isNumpy(Path p) {
    String name = p.getFileName().toString();
    return name.endsWith(".npz") || name.endsWith(".npy");
  }

  /** Whether --data names an image folder (listed class by class, so sampled class-balanced). */
  boolean isImageFolder() {
    return data != null && Files.isDirectory(data) && !containsBinBatches(data);
  }

  /** The images with {@code p} applied: resize and crop while decoding for image folders, on the tensors otherwise. */
  Dataset openAll(Preprocessing p) {
    if (!split.equals("test") && !split.equals("train")) {
      throw new DatasetException("--split must be test or train, not '" + split + "'");
    }
    Dataset raw;
    Preprocessing rest = p;
    if (data == null) {
      QuantkitHome home = QuantkitHome.fromEnvironment();
      raw = split.equals("test") ? Cifar10.test(home) : Cifar10.train(home);
    } else if (!Files.isDirectory(data)) {
      if (data.toString().endsWith(".bin") && Files.isRegularFile(data)) {
        raw = Cifar10.open(data);
      } else {
        throw new DatasetException("--data " + data + " is not a directory");
      }
    } else if (containsBinBatches(data)) {
      raw = split.equals("test") ? Cifar10.open(data.resolve(Cifar10.TEST_FILE)) : Cifar10.open(trainBatches(data));
    } else {
      ImageFolderDataset.Builder folder = ImageFolderDataset.builder(data);
      // images of mixed sizes are resized (and cropped) one by one while decoded
      if (p.resizeShorter() > 0) {
        if (p.cropHeight() == 0) {
          throw new IllegalArgumentException("--resize " + p.resizeShorter() + " (shorter side) on an image folder needs "
              + "--crop HxW so every image comes out the same size; or give --resize HxW");
        }
        folder.resizeShorter(p.resizeShorter(), p.cropHeight(), p.cropWidth());
        rest = p.withoutGeometry();
      } else if (p.resizeHeight() > 0) {
        folder.imageSize(p.resizeHeight(), p.resizeWidth()).resize(true);
        rest = p.toBuilder().resize(0, 0).build();
      }
      raw = folder.build();
    }
    if (rest.isIdentity()) {
      return p.isIdentity() ? raw : renamed(raw, raw.name() + " {" + p.format() + "}");
    }
    // the name records everything, including what was done while decoding
    Dataset prepared = Datasets.preprocess(raw, rest);
    return rest.equals(p) ? prepared : renamed(prepared, raw.name() + " {" + p.format() + "}");
  }

  private static Dataset renamed(Dataset d, String name) {
    return new Dataset() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int size() {
        return d.size();
      }

      @Override
      public List<String> classNames() {
        return d.classNames();
      }

      @Override
      public io.quantkit.tensor.Shape imageShape() {
        return d.imageShape();
      }

      @Override
      public int label(int index) {
        return d.label(index);
      }

      @Override
      public boolean labelled() {
        return d.labelled();
      }

      @Override
      public io.quantkit.data.Batch batch(int from, int to) {
        return d.batch(from, to);
      }
    };
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
