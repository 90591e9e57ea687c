package io.quantkit.tf;

import io.quantkit.BackendException;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** Checks a run's inputs against the declared ones, with one-line messages naming the input. */
final class Inputs {
  private Inputs() {}

  static void check(String what, List<ValueInfo> declared, Map<String, Tensor> given) {
    List<String> names = declared.stream().map(ValueInfo::name).toList();
    for (String name : given.keySet()) {
      if (!names.contains(name)) {
        throw new BackendException(what + " has no input '" + name + "'; its inputs are " + names);
      }
    }
    for (ValueInfo in : declared) {
      Tensor t = given.get(in.name());
      if (t == null) {
        throw new BackendException(what + ": no tensor given for input '" + in.name() + "'; its inputs are " + names);
      }
      Shape s = in.shape();
      boolean ok = t.type() == in.type() && t.shape().rank() == s.rank();
      for (int i = 0; ok && i < s.rank(); i++) {
        ok = s.dim(i) == Shape.UNKNOWN || s.dim(i) == t.shape().dim(i);
      }
      if (!ok) {
        throw new BackendException(what + ": input '" + in.name() + "' expects " + in.type() + " " + s + ", got "
            + t.type() + " " + t.shape());
      }
    }
  }

  static String describe(Map<String, Tensor> inputs) {
    StringBuilder sb = new StringBuilder("{");
    inputs.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(": ").append(v.type()).append(' ')
        .append(v.shape()));
    return sb.append('}').toString();
  }
}
