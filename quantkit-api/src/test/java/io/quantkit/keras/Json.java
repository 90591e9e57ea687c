package io.quantkit.keras;

import java.util.ArrayList;
import java.util.List;

/** Builds Keras model_config JSON for fixtures; fragments use single quotes for readability. */
final class Json {
  private Json() {}

  /**
   * A layer entry. {@code config} holds the config's keys without braces (the name is added);
   * {@code inbound} names the layers feeding it (functional models only; none for Sequential).
   */
  static String layer(String cls, String name, String config, String... inbound) {
    StringBuilder sb = new StringBuilder();
    sb.append("{'class_name': '").append(cls).append("', 'name': '").append(name).append("', 'config': {'name': '")
        .append(name).append("'");
    if (!config.isEmpty()) {
      sb.append(", ").append(config);
    }
    sb.append("}");
    if (inbound != null) {
      List<String> refs = new ArrayList<>();
      for (String in : inbound) {
        refs.add("['" + in + "', 0, 0, {}]");
      }
      sb.append(", 'inbound_nodes': ").append(inbound.length == 0 ? "[]" : "[[" + String.join(", ", refs) + "]]");
    }
    return sb.append("}").toString();
  }

  /** A layer of a Sequential model (no inbound_nodes). */
  static String seqLayer(String cls, String name, String config) {
    return layer(cls, name, config, (String[]) null);
  }

  static String input(String name, String batchShape) {
    return layer("InputLayer", name, "'batch_input_shape': " + batchShape + ", 'dtype': 'float32', 'sparse': false", new String[0]);
  }

  static String sequential(String name, String... layers) {
    return "{'class_name': 'Sequential', 'config': {'name': '" + name + "', 'layers': [" + String.join(", ", layers) + "]}}";
  }

  static String functional(String name, List<String> inputs, List<String> outputs, String... layers) {
    return "{'class_name': 'Functional', 'config': {'name': '" + name + "', 'layers': [" + String.join(", ", layers)
        + "], 'input_layers': " + refs(inputs) + ", 'output_layers': " + refs(outputs) + "}}";
  }

  private static String refs(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      out.add("['" + n + "', 0, 0]");
    }
    return "[" + String.join(", ", out) + "]";
  }
}
