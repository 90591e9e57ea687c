package io.quantkit.pytorch;

import io.quantkit.pytorch.TorchModule.Attribute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link TorchModule} tree as a TorchScript archive, the layout
 * {@code torch.jit.save} produces (torch/csrc/jit/serialization/export_module.cpp) and
 * {@code torch.jit.load} reads (import.cpp):
 *
 * <pre>
 * archive/version                    "3": the file-format version PyTorch 1.13 writes for these ops
 * archive/data.pkl                   the module object, pickle protocol 2
 * archive/data/0, 1, ...             raw little-endian tensor storages (persistent ids in data.pkl)
 * archive/code/__torch__/quantkit.py the classes' TorchScript source
 * archive/constants.pkl              tensor constants of the code: an empty tuple
 * archive/extra/quantkit.json        the run contract (inputs, outputs), read by quantkit only
 * </pre>
 *
 * Format version 3 is the version PyTorch's own writer still emits for programs whose operators
 * have no version-dependent upgraders (it stays at 3 until an op needs a newer one); every PyTorch
 * from 1.5 on reads 3 (kMinSupportedFileFormatVersion 1 .. kMaxSupportedFileFormatVersion >= 6).
 */
final class TorchScriptSerializer {
  static final String ARCHIVE = "archive";
  static final String FILE_FORMAT_VERSION = "3";
  static final String CODE_RECORD = "code/__torch__/quantkit.py";
  static final String EXTRA_RECORD = "extra/quantkit.json";

  private final List<TorchTensor> storages = new ArrayList<>();

  private TorchScriptSerializer() {}

  static byte[] write(TorchModule root, String extraJson) {
    return new TorchScriptSerializer().serialize(root, extraJson);
  }

  /** The source of every class in the tree, each once, the root first. */
  static String code(TorchModule root) {
    Map<String, TorchModule> classes = new LinkedHashMap<>();
    collect(root, classes);
    StringBuilder sb = new StringBuilder();
    for (TorchModule m : classes.values()) {
      sb.append(m.classSource());
    }
    return sb.toString();
  }

  private static void collect(TorchModule m, Map<String, TorchModule> classes) {
    classes.putIfAbsent(m.className(), m);
    for (TorchModule c : m.children()) {
      collect(c, classes);
    }
  }

  private byte[] serialize(TorchModule root, String extraJson) {
    Pickler p = new Pickler();
    writeModule(p, root, new LinkedHashSet<>());
    byte[] dataPkl = p.finish();
    TorchArchiveWriter zip = new TorchArchiveWriter(ARCHIVE);
    for (int i = 0; i < storages.size(); i++) {
      zip.write("data/" + i, storages.get(i).data());
    }
    zip.write("data.pkl", dataPkl);
    zip.write(CODE_RECORD, code(root));
    zip.write("constants.pkl", new Pickler().emptyTuple().finish());
    if (extraJson != null) {
      zip.write(EXTRA_RECORD, extraJson);
    }
    zip.write("version", FILE_FORMAT_VERSION + "\n");
    return zip.finish();
  }

  private void writeModule(Pickler p, TorchModule m, Set<TorchModule> path) {
    if (!path.add(m)) {
      throw new IllegalStateException("module " + m.className() + " contains itself");
    }
    int dot = m.qualifiedName().lastIndexOf('.');
    p.global(m.qualifiedName().substring(0, dot), m.qualifiedName().substring(dot + 1)).emptyTuple().newObj();
    List<String> state = m.stateAttributes();
    if (state != null) {
      p.mark();
      for (String name : state) {
        writeValue(p, m.attribute(name), path);
      }
      p.tuple();
    } else {
      p.emptyDict().mark();
      for (Attribute a : m.attributes()) {
        p.string(a.name());
        writeValue(p, a, path);
      }
      p.setItems();
    }
    p.build();
    path.remove(m);
  }

  private void writeValue(Pickler p, Attribute a, Set<TorchModule> path) {
    Object v = a.value();
    if (v == null) {
      p.none();
    } else if (v instanceof TorchModule) {
      writeModule(p, (TorchModule) v, path);
    } else if (v instanceof TorchTensor) {
      writeTensor(p, (TorchTensor) v, a.kind() == TorchModule.Kind.PARAMETER);
    } else if (v instanceof Boolean) {
      p.bool((Boolean) v);
    } else if (v instanceof Long || v instanceof Integer) {
      p.integer(((Number) v).longValue());
    } else if (v instanceof Double) {
      p.floating((Double) v);
    } else if (v instanceof String) {
      p.string((String) v);
    } else {
      throw new IllegalArgumentException("cannot pickle attribute " + a.name() + " of type " + v.getClass());
    }
  }

  /**
   * {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
   * OrderedDict())}, or {@code _rebuild_qtensor(storage, offset, size, stride, quantizer_params,
   * requires_grad, OrderedDict())} for quantized tensors, with the storage as persistent id
   * {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}.
   */
  private void writeTensor(Pickler p, TorchTensor t, boolean requiresGrad) {
    boolean quantized = t.quantizer() != null;
    p.global("torch._utils", quantized ? "_rebuild_qtensor" : "_rebuild_tensor_v2");
    p.mark();
    String key = Integer.toString(storages.size());
    storages.add(t);
    p.mark().string("storage").global("torch", t.type().storage).string(key).string("cpu").integer(t.numel()).tuple();
    p.persistentId();
    p.integer(0);
    p.tupleOfInts(t.shape());
    p.tupleOfInts(t.strides());
    if (quantized) {
      TorchTensor.Quantizer q = t.quantizer();
      p.mark();
      if (q.perChannel()) {
        p.global("torch", "per_channel_affine");
        writeTensor(p, TorchTensor.doubles(q.scales()), false);
        writeTensor(p, TorchTensor.longs(q.zeroPoints()), false);
        p.integer(q.axis());
      } else {
        p.global("torch", "per_tensor_affine").floating(q.scales()[0]).integer(q.zeroPoints()[0]);
      }
      p.tuple();
    }
    p.bool(requiresGrad);
    p.global("collections", "OrderedDict").emptyTuple().reduce();
    p.tuple();
    p.reduce();
  }
}
