package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.CalibrationException;
import io.quantkit.data.Dataset;
import io.quantkit.tensor.Tensor;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalInt;

/**
 * What calibration runs through the model: a sequence of batches, each a map from graph input
 * name to a tensor whose first dimension is the batch (every input of the graph present, all with
 * the same batch size). Models with several inputs, or inputs that are not images (audio
 * features, token embeddings, sensor frames), are calibrated the same way as an image classifier.
 *
 * <pre>{@code
 * // two inputs, batches built by the caller
 * CalibrationData data = CalibrationData.of("sensor-log-2024", List.of(
 *     Map.of("accel", accel0, "gyro", gyro0),
 *     Map.of("accel", accel1, "gyro", gyro1)));
 * // an image dataset for a single-input model
 * CalibrationData images = CalibrationData.of(Cifar10.train().limit(500), graph.input().name(), 50);
 * }</pre>
 *
 * <p>Calibration iterates once per call, from the start, and stops after
 * {@link Calibration#calibSize()} samples (slicing the last batch when it goes beyond), so an
 * iterator may produce its batches lazily: memory then holds one batch at a time. Iteration must
 * be repeatable (each {@link #iterator()} starts over) when the same data calibrates twice.
 */
public interface CalibrationData extends Iterable<Map<String, Tensor>> {

  /** What the data is, recorded in the plan, e.g. {@code "cifar10/data_batch_1.bin[:500]"}. */
  String name();

  /** The number of samples when known in advance (progress reports use it); empty by default. */
  default OptionalInt samples() {
    return OptionalInt.empty();
  }

  /**
   * Batches held by the caller (or produced lazily by {@code batches}), used in order.
   *
   * @param name recorded in the plan
   * @param batches each maps every graph input name to a tensor with the batch first
   */
  static CalibrationData of(String name, Iterable<? extends Map<String, Tensor>> batches) {
    Preconditions.checkNotNull(name, "name");
    Preconditions.checkNotNull(batches, "batches");
    return new CalibrationData() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Iterator<Map<String, Tensor>> iterator() {
        Iterator<? extends Map<String, Tensor>> it = batches.iterator();
        return new Iterator<>() {
          @Override
          public boolean hasNext() {
            return it.hasNext();
          }

          @Override
          public Map<String, Tensor> next() {
            return ImmutableMap.copyOf(it.next());
          }
        };
      }

      @Override
      public String toString() {
        return "CalibrationData(" + name + ")";
      }
    };
  }

  /** {@link #of(String, Iterable)} for batches already in a list. */
  static CalibrationData of(String name, List<? extends Map<String, Tensor>> batches) {
    ImmutableList<Map<String, Tensor>> copy = batches.stream().map(ImmutableMap::copyOf)
        .collect(ImmutableList.toImmutableList());
    int samples = copy.stream().mapToInt(b -> b.isEmpty() ? 0 : b.values().iterator().next().shape().dim(0)).sum();
    CalibrationData base = of(name, (Iterable<Map<String, Tensor>>) copy);
    return new CalibrationData() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public OptionalInt samples() {
        return OptionalInt.of(samples);
      }

      @Override
      public Iterator<Map<String, Tensor>> iterator() {
        return base.iterator();
      }

      @Override
      public String toString() {
        return base.toString();
      }
    };
  }

  /**
   * The images of an image {@link Dataset} (labels unused) fed to the graph input {@code inputName},
   * {@code batchSize} images per batch, loaded one batch at a time. The name is the dataset's. A
   * dataset whose batches name their inputs (numpy arrays for a model with several inputs) feeds
   * them by those names, and {@code inputName} is unused.
   */
  static CalibrationData of(Dataset images, String inputName, int batchSize) {
    Preconditions.checkNotNull(images, "images");
    Preconditions.checkNotNull(inputName, "inputName");
    Preconditions.checkArgument(batchSize > 0, "batchSize must be > 0, got %s", batchSize);
    return new CalibrationData() {
      @Override
      public String name() {
        return images.name();
      }

      @Override
      public OptionalInt samples() {
        return OptionalInt.of(images.size());
      }

      @Override
      public Iterator<Map<String, Tensor>> iterator() {
        int n = images.size();
        return new Iterator<>() {
          private int from;

          @Override
          public boolean hasNext() {
            return from < n;
          }

          @Override
          public Map<String, Tensor> next() {
            if (from >= n) {
              throw new NoSuchElementException();
            }
            int to = Math.min(n, from + batchSize);
            io.quantkit.data.Batch batch = images.batch(from, to);
            from = to;
            if (inputName.equals(io.quantkit.data.Batch.UNNAMED) && batch.inputs().containsKey(io.quantkit.data.Batch.UNNAMED)) {
              throw new CalibrationException("dataset " + images.name() + " gives one unnamed tensor per sample, but the "
                  + "graph has several inputs: give one array per input (a NumpyDataset) or CalibrationData batches by name");
            }
            // image datasets do not know the input's name; named data (numpy arrays) brings its own
            return batch.inputs().size() == 1 && batch.inputs().containsKey(io.quantkit.data.Batch.UNNAMED)
                ? Map.of(inputName, batch.images()) : batch.inputs();
          }
        };
      }

      @Override
      public String toString() {
        return "CalibrationData(" + images.name() + " as '" + inputName + "')";
      }
    };
  }
}
