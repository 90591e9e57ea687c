package io.quantkit.pytorch;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One TorchScript module object as the writer lays it out: a class in
 * {@code __torch__.quantkit} (its TorchScript source: attribute declarations and methods) and the
 * attribute values pickled into {@code data.pkl}. Submodules are attributes whose value is another
 * TorchModule.
 *
 * <p>A module is pickled either as its attribute dict (PyTorch's default) or, when
 * {@link #pickleStateAs} names attributes, as the tuple its {@code __getstate__} returns; its
 * {@code __setstate__} then runs at load time (quantized layers prepack their weights there, so
 * {@code forward} only reads).
 *
 * <p>Mutable while the translator builds it; not thread-safe.
 */
final class TorchModule {
  static final String NAMESPACE = "__torch__.quantkit";

  enum Kind {
    PARAMETER,
    BUFFER,
    ATTRIBUTE
  }

  /**
   * {@code value}: a {@link TorchTensor}, Boolean, Long, Double, String, a {@link TorchModule}, or
   * null (None, for Optional attributes and for values {@code __setstate__} computes).
   */
  record Attribute(String name, String type, Kind kind, Object value) {}

  private final String className;
  private final Map<String, Attribute> attributes = new LinkedHashMap<>();
  private final List<String> methods = new ArrayList<>();
  private List<String> stateAttributes;

  TorchModule(String className) {
    this.className = className;
    attributes.put("training", new Attribute("training", "bool", Kind.ATTRIBUTE, Boolean.FALSE));
  }

  String className() {
    return className;
  }

  String qualifiedName() {
    return NAMESPACE + "." + className;
  }

  TorchModule parameter(String name, TorchTensor value) {
    return add(new Attribute(name, "Tensor", Kind.PARAMETER, value));
  }

  TorchModule buffer(String name, TorchTensor value) {
    return add(new Attribute(name, "Tensor", Kind.BUFFER, value));
  }

  TorchModule attribute(String name, String type, Object value) {
    return add(new Attribute(name, type, Kind.ATTRIBUTE, value));
  }

  TorchModule submodule(String name, TorchModule child) {
    return add(new Attribute(name, child.qualifiedName(), Kind.ATTRIBUTE, child));
  }

  boolean has(String name) {
    return attributes.containsKey(name);
  }

  private TorchModule add(Attribute a) {
    Preconditions.checkArgument(!attributes.containsKey(a.name()), "module %s already has attribute %s", className, a.name());
    attributes.put(a.name(), a);
    return this;
  }

  /** A method's TorchScript source, each line indented by two spaces (inside the class). */
  TorchModule method(String source) {
    methods.add(source);
    return this;
  }

  /** Pickle this module as the tuple of these attributes ({@code __getstate__}), in this order. */
  TorchModule pickleStateAs(List<String> names) {
    for (String n : names) {
      Preconditions.checkArgument(attributes.containsKey(n), "module %s has no attribute %s", className, n);
    }
    this.stateAttributes = List.copyOf(names);
    return this;
  }

  List<String> stateAttributes() {
    return stateAttributes == null ? null : Collections.unmodifiableList(stateAttributes);
  }

  List<Attribute> attributes() {
    return List.copyOf(attributes.values());
  }

  Attribute attribute(String name) {
    return attributes.get(name);
  }

  List<String> methods() {
    return Collections.unmodifiableList(methods);
  }

  List<TorchModule> children() {
    List<TorchModule> out = new ArrayList<>();
    for (Attribute a : attributes.values()) {
      if (a.value() instanceof TorchModule) {
        out.add((TorchModule) a.value());
      }
    }
    return out;
  }

  /** The class definition in TorchScript's serialized-code syntax. */
  String classSource() {
    StringBuilder sb = new StringBuilder();
    sb.append("class ").append(className).append("(Module):\n");
    sb.append("  __parameters__ = [").append(names(Kind.PARAMETER)).append("]\n");
    sb.append("  __buffers__ = [").append(names(Kind.BUFFER)).append("]\n");
    for (Attribute a : attributes.values()) {
      sb.append("  ").append(a.name()).append(" : ").append(a.type()).append('\n');
    }
    for (String m : methods) {
      sb.append(m);
      if (!m.endsWith("\n")) {
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  private String names(Kind kind) {
    StringBuilder sb = new StringBuilder();
    for (Attribute a : attributes.values()) {
      if (a.kind() == kind) {
        sb.append('"').append(a.name()).append("\", ");
      }
    }
    return sb.toString();
  }
}
