/**
 * Keras 2.x HDF5 model import: {@link io.quantkit.keras.KerasModel#load} reads a model saved with
 * {@code model.save("m.h5")} into the NCHW IR while keeping the model's NHWC input contract.
 */
package io.quantkit.keras;
