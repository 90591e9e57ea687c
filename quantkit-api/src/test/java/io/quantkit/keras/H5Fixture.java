package io.quantkit.keras;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small Keras-2-style .h5 files with jhdf's writer, laid out the way Keras's
 * {@code save_model} does: root attributes {@code model_config} and {@code keras_version};
 * {@code model_weights/<layer>/<layer>/<role>:0} datasets, listed in the layer group's
 * {@code weight_names} attribute.
 */
final class H5Fixture {
  private final Map<String, Map<String, Object>> weights = new LinkedHashMap<>();
  private String config;
  private String kerasVersion = "2.4.0";
  private boolean weightNames = true;

  /** Config JSON written with single quotes for readability. */
  H5Fixture config(String singleQuotedJson) {
    this.config = singleQuotedJson.replace('\'', '"');
    return this;
  }

  H5Fixture rawConfig(String json) {
    this.config = json;
    return this;
  }

  H5Fixture kerasVersion(String v) {
    this.kerasVersion = v;
    return this;
  }

  /** Omit the weight_names attributes, as some writers do. */
  H5Fixture withoutWeightNames() {
    this.weightNames = false;
    return this;
  }

  /** {@code data} is a Java float array of the weight's rank (float[][][][] for a conv kernel). */
  H5Fixture weight(String layer, String role, Object data) {
    weights.computeIfAbsent(layer, k -> new LinkedHashMap<>()).put(role, data);
    return this;
  }

  /** A layer group with no datasets (what Keras writes for weightless layers). */
  H5Fixture emptyLayer(String layer) {
    weights.computeIfAbsent(layer, k -> new LinkedHashMap<>());
    return this;
  }

  Path write(Path file) {
    try (WritableHdfFile f = HdfFile.write(file)) {
      if (config != null) {
        f.putAttribute("model_config", config);
      }
      if (kerasVersion != null) {
        f.putAttribute("keras_version", kerasVersion);
      }
      f.putAttribute("backend", "tensorflow");
      WritableGroup mw = f.putGroup("model_weights");
      if (!weights.isEmpty()) {
        mw.putAttribute("layer_names", weights.keySet().toArray(new String[0]));
      }
      for (Map.Entry<String, Map<String, Object>> layer : weights.entrySet()) {
        WritableGroup lg = mw.putGroup(layer.getKey());
        if (layer.getValue().isEmpty()) {
          continue;
        }
        WritableGroup inner = lg.putGroup(layer.getKey());
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Object> w : layer.getValue().entrySet()) {
          inner.putDataset(w.getKey() + ":0", w.getValue());
          names.add(layer.getKey() + "/" + w.getKey() + ":0");
        }
        if (weightNames) {
          lg.putAttribute("weight_names", names.toArray(new String[0]));
        }
      }
    }
    return file;
  }

  /** float[a][b][c][d] from row-major values. */
  static float[][][][] rank4(float[] flat, int a, int b, int c, int d) {
    float[][][][] out = new float[a][b][c][d];
    int p = 0;
    for (int i = 0; i < a; i++) {
      for (int j = 0; j < b; j++) {
        for (int k = 0; k < c; k++) {
          for (int l = 0; l < d; l++) {
            out[i][j][k][l] = flat[p++];
          }
        }
      }
    }
    return out;
  }

  static float[][] rank2(float[] flat, int a, int b) {
    float[][] out = new float[a][b];
    for (int i = 0; i < a; i++) {
      System.arraycopy(flat, i * b, out[i], 0, b);
    }
    return out;
  }

  /** Deterministic, distinct, smallish values (no randomness: failures must reproduce). */
  static float[] ramp(int n, float scale, float offset) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (Math.sin(i * 1.7 + offset) * scale);
    }
    return v;
  }
}
