package io.quantkit.keras;

import io.quantkit.ir.Graph;
import io.quantkit.model.ModelImporter;
import io.quantkit.model.ModelProbe;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@link ModelImporter} of Keras 2.x models saved as HDF5 ({@link KerasModel#load}): recognizes
 * a file by its HDF5 signature. Registered with {@link java.util.ServiceLoader}; stateless.
 */
public final class KerasModelImporter implements ModelImporter {

  @Override
  public String name() {
    return "keras-h5";
  }

  @Override
  public Set<String> extensions() {
    return Set.of(".h5", ".hdf5", ".keras.h5");
  }

  @Override
  public boolean recognizes(ModelProbe probe) {
    return !probe.isDirectory() && probe.isHdf5();
  }

  @Override
  public Graph load(Path path) {
    return KerasModel.load(path);
  }
}
