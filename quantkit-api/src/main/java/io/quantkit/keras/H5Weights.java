package io.quantkit.keras;

import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Layer weights from a Keras HDF5 file: {@code <root>/<layer>} lists its datasets in the
 * {@code weight_names} attribute (paths relative to the layer group, e.g.
 * {@code "conv2d/kernel:0"}); without that attribute every dataset below the group is taken.
 */
final class H5Weights implements WeightSource {
  /** Keras nests weights two or three groups deep; a deeper tree is not a Keras layer group. */
  private static final int MAX_DEPTH = 8;

  private final Group root;
  private final String where;

  H5Weights(Group root, String where) {
    this.root = root;
    this.where = where;
  }

  @Override
  public Map<String, WeightArray> layer(String layer) {
    try {
      Node node = root.getChildren().get(layer);
      if (node == null) {
        return null;
      }
      if (!(node instanceof Group)) {
        throw new ModelFormatException("file " + where + ": weights of layer '" + layer + "' (" + node.getPath()
            + ") are not an HDF5 group");
      }
      Group group = (Group) node;
      List<String> names = weightNames(group, layer);
      Map<String, WeightArray> out = new LinkedHashMap<>();
      for (String name : names) {
        Node n;
        try {
          n = group.getByPath(name);
        } catch (RuntimeException e) {
          throw new ModelFormatException("file " + where + ": layer '" + layer + "' lists weight '" + name
              + "' in weight_names, but " + group.getPath() + name + " is missing", e);
        }
        if (!(n instanceof Dataset)) {
          throw new ModelFormatException("file " + where + ": weight '" + name + "' of layer '" + layer + "' is not a dataset");
        }
        String role = role(name);
        if (out.put(role, read((Dataset) n, layer)) != null) {
          throw new ModelFormatException("file " + where + ": layer '" + layer + "' has two weights named '" + role + "'");
        }
      }
      return out;
    } catch (QuantkitException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ModelFormatException("file " + where + ": cannot read the weights of layer '" + layer + "': "
          + KerasModel.describe(e), e);
    }
  }

  private List<String> weightNames(Group group, String layer) {
    Attribute a = group.getAttribute("weight_names");
    List<String> names = new ArrayList<>();
    if (a == null) {
      collect(group, "", 0, names);
      return names;
    }
    Object data = a.isEmpty() ? null : a.getData();
    if (data == null) {
      return names;
    }
    if (data instanceof String) {
      names.add((String) data);
    } else if (data instanceof String[]) {
      names.addAll(Arrays.asList((String[]) data));
    } else {
      throw new ModelFormatException("file " + where + ": weight_names of layer '" + layer + "' is "
          + data.getClass().getSimpleName() + ", not a list of strings");
    }
    return names;
  }

  private void collect(Group group, String prefix, int depth, List<String> names) {
    if (depth > MAX_DEPTH) {
      throw new ModelFormatException("file " + where + ": weights nested deeper than " + MAX_DEPTH + " groups at "
          + group.getPath());
    }
    for (Map.Entry<String, Node> e : group.getChildren().entrySet()) {
      if (e.getValue() instanceof Dataset) {
        names.add(prefix + e.getKey());
      } else if (e.getValue() instanceof Group) {
        collect((Group) e.getValue(), prefix + e.getKey() + "/", depth + 1, names);
      }
    }
  }

  /** "conv2d/kernel:0" -> "kernel". */
  static String role(String weightName) {
    String last = weightName.substring(weightName.lastIndexOf('/') + 1);
    int colon = last.lastIndexOf(':');
    return colon > 0 && last.substring(colon + 1).chars().allMatch(Character::isDigit) ? last.substring(0, colon) : last;
  }

  private WeightArray read(Dataset d, String layer) {
    int[] dims = d.getDimensions();
    return new WeightArray(d.getPath(), dims, () -> load(d, dims, layer));
  }

  private float[] load(Dataset d, int[] dims, String layer) {
    try {
      long count = 1;
      for (int x : dims) {
        count *= x;
      }
      Object flat = d.isEmpty() ? new float[0] : d.getDataFlat();
      float[] values;
      if (flat instanceof float[]) {
        values = (float[]) flat;
      } else if (flat instanceof double[]) {
        double[] v = (double[]) flat;
        values = new float[v.length];
        for (int i = 0; i < v.length; i++) {
          values[i] = (float) v[i];
        }
      } else {
        throw new ModelFormatException("file " + where + ": weight " + d.getPath() + " of layer '" + layer + "' holds "
            + (flat == null ? "nothing" : flat.getClass().getSimpleName()) + ", not floating-point numbers");
      }
      if (values.length != count) {
        throw new ModelFormatException("file " + where + ": weight " + d.getPath() + " of layer '" + layer + "' has "
            + values.length + " values for shape " + Arrays.toString(dims));
      }
      return values;
    } catch (QuantkitException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ModelFormatException("file " + where + ": cannot read weight " + d.getPath() + " of layer '" + layer + "': "
          + KerasModel.describe(e), e);
    }
  }
}
