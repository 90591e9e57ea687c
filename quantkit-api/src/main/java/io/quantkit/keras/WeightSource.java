package io.quantkit.keras;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

/** Where the importer gets a layer's weights from; the HDF5 file in production, maps in tests. */
interface WeightSource {

  /**
   * The weights of {@code layer} keyed by role ({@code "kernel"}, {@code "bias"},
   * {@code "gamma"}, ...: the last component of the Keras weight name without {@code ":0"}), or
   * null when the file holds no entry at all for that layer.
   */
  Map<String, WeightArray> layer(String layer);

  /**
   * One stored weight: where it came from (for messages), its Keras shape, and its row-major
   * data, read only when asked for, so a damaged shape is caught before anything is allocated.
   */
  record WeightArray(String path, int[] dims, Supplier<float[]> loader) {
    public WeightArray {
      dims = dims.clone();
    }

    float[] data() {
      return loader.get();
    }

    @Override
    public int[] dims() {
      return dims.clone();
    }

    String dimsString() {
      return Arrays.toString(dims);
    }
  }
}
