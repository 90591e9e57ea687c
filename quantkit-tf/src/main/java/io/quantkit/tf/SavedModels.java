package io.quantkit.tf;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.quantkit.ModelFormatException;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.backend.Signature;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.TensorFlow;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.OpList;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TensorFlow SavedModel directories: writes an IR graph as one ({@link #save}) and runs one as it
 * is ({@link #open}).
 *
 * <p>A written SavedModel is the TF1 form TensorFlow Serving and {@code tf.saved_model.load} read: a
 * {@code saved_model.pb} with one meta graph tagged {@code serve}, whose {@code serving_default}
 * signature (method {@code tensorflow/serving/predict}) names its inputs and outputs after the
 * model's, and an empty {@code variables/} folder (weights are constants of the graph).
 */
public final class SavedModels {
  public static final String SERVING_DEFAULT = "serving_default";
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";
  static final String INIT_OP_KEY = "__saved_model_init_op";

  private SavedModels() {}

  /** Whether {@code dir} is a directory holding a {@code saved_model.pb} or {@code saved_model.pbtxt}. */
  public static boolean isSavedModel(Path dir) {
    return Files.isDirectory(dir)
        && (Files.isRegularFile(dir.resolve("saved_model.pb")) || Files.isRegularFile(dir.resolve("saved_model.pbtxt")));
  }

  /**
   * Writes {@code graph} as a SavedModel in {@code dir}, atomically: the model is written to a
   * temporary folder beside {@code dir} and moved into place, replacing an existing SavedModel or an
   * empty folder there (never anything else).
   *
   * @throws io.quantkit.UnsupportedOpException when the graph has an op the tf backend cannot translate
   * @throws ModelFormatException when {@code dir} exists and is neither empty nor a SavedModel
   */
  public static void save(Graph graph, Path dir) {
    Path target = dir.toAbsolutePath().normalize();
    checkReplaceable(target);
    SavedModel model = toSavedModel(graph);
    Path parent = target.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
      try (OutputStream out = Files.newOutputStream(tmp.resolve("saved_model.pb"))) {
        model.writeTo(out);
      }
      Files.createDirectories(tmp.resolve("variables"));
      replace(tmp, target);
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write SavedModel " + target + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
  }

  /** The SavedModel proto {@link #save} writes: the graph as the tf backend runs it by default. */
  static SavedModel toSavedModel(Graph graph) {
    GraphDef graphDef;
    SignatureDef.Builder sig = SignatureDef.newBuilder().setMethodName(PREDICT_METHOD);
    Map<String, ValueInfo> info = ShapeInference.infer(graph);
    try (org.tensorflow.Graph tf = new org.tensorflow.Graph()) {
      GraphTranslator.Translation t = GraphTranslator.translate(TfBackend.prepare(graph, RunnerOptions.defaults()), tf);
      for (ValueInfo in : graph.inputs()) {
        sig.putInputs(in.name(), tensorInfo(t.inputs().get(in.name()), in.shape()));
      }
      for (String out : graph.outputs()) {
        sig.putOutputs(out, tensorInfo(t.outputs().get(out), info.get(out).shape()));
      }
      graphDef = tf.toGraphDef();
    }
    MetaGraphDef.MetaInfoDef.Builder meta = MetaGraphDef.MetaInfoDef.newBuilder()
        .addTags(SavedModelBundle.DEFAULT_TAG)
        .setTensorflowVersion(TensorFlow.version())
        .setStrippedOpList(usedOps(graphDef));
    MetaGraphDef mgd = MetaGraphDef.newBuilder().setMetaInfoDef(meta).setGraphDef(graphDef)
        .putSignatureDef(SERVING_DEFAULT, sig.build()).build();
    return SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(mgd).build();
  }

  private static TensorInfo tensorInfo(Output<?> o, Shape shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.rank(); i++) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(shape.dim(i)));
    }
    return TensorInfo.newBuilder().setName(o.op().name() + ":" + o.index()).setDtype(o.dataType()).setTensorShape(s).build();
  }

  /** The definitions of the ops the graph uses, as TensorFlow's own SavedModel builder records them. */
  private static OpList usedOps(GraphDef g) {
    Set<String> used = new TreeSet<>();
    for (NodeDef n : g.getNodeList()) {
      used.add(n.getOp());
    }
    OpList.Builder out = OpList.newBuilder();
    for (OpDef op : TensorFlow.registeredOpList().getOpList()) {
      if (used.contains(op.getName())) {
        out.addOp(op);
      }
    }
    return out.build();
  }

  private static void checkReplaceable(Path target) {
    if (!Files.exists(target) || isSavedModel(target)) {
      return;
    }
    if (Files.isDirectory(target)) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(target)) {
        if (!s.iterator().hasNext()) {
          return;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + target + ": " + e.getMessage(), e);
      }
    }
    throw new ModelFormatException(target + " exists and is not a SavedModel directory; refusing to replace it");
  }

  /** Moves {@code tmp} to {@code target}; an existing target is moved aside first and deleted after. */
  private static void replace(Path tmp, Path target) throws IOException {
    Path old = null;
    if (Files.exists(target)) {
      old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
      Files.move(target, old);
    }
    try {
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target);
      }
    } catch (IOException e) {
      if (old != null) {
        Files.move(old, target);
      }
      throw e;
    }
    if (old != null) {
      deleteQuietly(old);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      MoreFiles.deleteRecursively(p, RecursiveDeleteOption.ALLOW_INSECURE);
    } catch (IOException ignored) {
      // A leftover temporary folder beside the output is harmless; the caller's result stands.
    }
  }

  /**
   * Whether the SavedModel in {@code dir} computes with 8-bit integers: its graph casts to UINT8 or
   * INT8, as the QuantizeLinear of a quantized model written by {@link #save} does. Reads
   * {@code saved_model.pb} only (false for a {@code .pbtxt}).
   */
  public static boolean isQuantized(Path dir) {
    Path pb = dir.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      return false;
    }
    SavedModel model;
    try (java.io.InputStream in = Files.newInputStream(pb)) {
      model = SavedModel.parseFrom(in);
    } catch (IOException e) {
      throw new ModelFormatException(pb + " is not a SavedModel protocol buffer: " + e.getMessage(), e);
    }
    for (MetaGraphDef mg : model.getMetaGraphsList()) {
      for (NodeDef n : mg.getGraphDef().getNodeList()) {
        if (n.getOp().equals("Cast") && n.containsAttr("DstT")) {
          org.tensorflow.proto.DataType t = n.getAttrOrThrow("DstT").getType();
          if (t == org.tensorflow.proto.DataType.DT_UINT8 || t == org.tensorflow.proto.DataType.DT_INT8) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Loads the SavedModel in {@code dir} and returns a runner for one of its signatures.
   *
   * @throws ModelFormatException when {@code dir} is not a SavedModel, TensorFlow cannot load it,
   *     or the signature, input or output asked for does not exist (the message lists what does)
   */
  public static Runner open(Path dir, RunnerOptions runnerOptions, SavedModelOptions options) {
    if (!Files.isDirectory(dir)) {
      throw new ModelFormatException(dir + " is not a TensorFlow SavedModel: "
          + (Files.exists(dir) ? "a SavedModel is a directory" : "no such directory"));
    }
    if (!isSavedModel(dir)) {
      throw new ModelFormatException(dir + " is not a TensorFlow SavedModel: it has no saved_model.pb");
    }
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.toString()).withTags(options.tag())
          .withConfigProto(TfSessions.config(runnerOptions, false)).load();
    } catch (TensorFlowException | IllegalArgumentException e) {
      throw new ModelFormatException("TensorFlow cannot load the SavedModel " + dir + " (tag '" + options.tag() + "'): "
          + SessionHolder.firstLine(e.getMessage()), e);
    }
    try {
      return runner(dir, bundle, options);
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  private static Runner runner(Path dir, SavedModelBundle bundle, SavedModelOptions options) {
    Map<String, SignatureDef> defs = new LinkedHashMap<>(bundle.metaGraphDef().getSignatureDefMap());
    defs.remove(INIT_OP_KEY);
    List<String> keys = new ArrayList<>(new TreeSet<>(defs.keySet()));
    String key;
    if (options.signatureKey().isPresent()) {
      key = options.signatureKey().get();
    } else if (defs.containsKey(SERVING_DEFAULT) || defs.size() != 1) {
      key = SERVING_DEFAULT;
    } else {
      key = keys.get(0);
    }
    SignatureDef def = defs.get(key);
    if (def == null) {
      throw new ModelFormatException("SavedModel " + dir + " has no signature '" + key + "'; "
          + (keys.isEmpty() ? "it has no signatures" : "its signatures are " + keys));
    }
    String what = "signature '" + key + "' of SavedModel " + dir;
    List<String> inputNames = new ArrayList<>(def.getInputsMap().keySet());
    List<String> outputNames = new ArrayList<>(def.getOutputsMap().keySet());
    if (options.input().isPresent() && !inputNames.contains(options.input().get())) {
      throw new ModelFormatException(what + " has no input '" + options.input().get() + "'; its inputs are " + inputNames);
    }
    if (options.output().isPresent() && !outputNames.contains(options.output().get())) {
      throw new ModelFormatException(what + " has no output '" + options.output().get() + "'; its outputs are "
          + outputNames);
    }
    List<ValueInfo> inputs = new ArrayList<>();
    Map<String, Output<?>> feeds = new LinkedHashMap<>();
    for (Map.Entry<String, TensorInfo> e : def.getInputsMap().entrySet()) {
      if (options.input().isPresent() && !options.input().get().equals(e.getKey())) {
        continue;
      }
      ValueInfo vi = valueInfo(what, "input", e.getKey(), e.getValue());
      inputs.add(vi);
      feeds.put(e.getKey(), output(bundle, what, e.getKey(), e.getValue()));
    }
    List<String> outputs = new ArrayList<>();
    List<SessionHolder.Fetch> fetches = new ArrayList<>();
    for (Map.Entry<String, TensorInfo> e : def.getOutputsMap().entrySet()) {
      if (options.output().isPresent() && !options.output().get().equals(e.getKey())) {
        continue;
      }
      ValueInfo vi = valueInfo(what, "output", e.getKey(), e.getValue());
      outputs.add(e.getKey());
      fetches.add(new SessionHolder.Fetch(e.getKey(), output(bundle, what, e.getKey(), e.getValue()), vi.type()));
    }
    if (inputs.isEmpty() || outputs.isEmpty()) {
      throw new ModelFormatException(what + " has " + (inputs.isEmpty() ? "no inputs" : "no outputs"));
    }
    String name = dir.toAbsolutePath().normalize().getFileName().toString();
    return new SavedModelRunner(dir, bundle, Signature.of(name, inputs, outputs), feeds, fetches);
  }

  private static ValueInfo valueInfo(String what, String kind, String key, TensorInfo t) {
    if (t.getEncodingCase() != TensorInfo.EncodingCase.NAME) {
      throw new ModelFormatException(what + ": " + kind + " '" + key + "' is a composite tensor (" + t.getEncodingCase()
          + "); only dense tensors are supported");
    }
    DataType type = TfTensors.fromTf(t.getDtype());
    if (type == null) {
      throw new ModelFormatException(what + ": " + kind + " '" + key + "' has element type " + t.getDtype()
          + ", which quantkit tensors cannot hold (FLOAT32, INT8, UINT8, INT32, INT64)");
    }
    if (type == DataType.INT8 && kind.equals("input")) {
      throw new ModelFormatException(what + ": input '" + key + "' is DT_INT8, which TensorFlow Java cannot feed");
    }
    TensorShapeProto s = t.getTensorShape();
    if (s.getUnknownRank()) {
      throw new ModelFormatException(what + ": " + kind + " '" + key + "' has an unknown rank; quantkit needs the rank");
    }
    int[] dims = new int[s.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      long d = s.getDim(i).getSize();
      dims[i] = d < 0 ? Shape.UNKNOWN : Math.toIntExact(d);
    }
    return new ValueInfo(key, type, Shape.of(dims));
  }

  private static Output<?> output(SavedModelBundle bundle, String what, String key, TensorInfo t) {
    String name = t.getName();
    int colon = name.lastIndexOf(':');
    String op = colon < 0 ? name : name.substring(0, colon);
    int index = colon < 0 ? 0 : Integer.parseInt(name.substring(colon + 1));
    org.tensorflow.GraphOperation operation = bundle.graph().operation(op);
    if (operation == null || index >= operation.numOutputs()) {
      throw new ModelFormatException(what + ": '" + key + "' names tensor '" + name + "', which its graph does not have");
    }
    return operation.output(index);
  }

}
