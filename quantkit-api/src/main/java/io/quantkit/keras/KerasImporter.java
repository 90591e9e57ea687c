package io.quantkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.primitives.ImmutableIntArray;
import io.quantkit.GraphException;
import io.quantkit.ModelFormatException;
import io.quantkit.QuantkitException;
import io.quantkit.UnsupportedOpException;
import io.quantkit.UnsupportedOpsException;
import io.quantkit.backend.UnsupportedNode;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.ir.ShapeInference;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a parsed Keras {@code model_config} plus a {@link WeightSource} into a {@link Graph}.
 *
 * <p>Layout rule: a tensor Keras holds as rank 4 (NHWC) is held in the IR as NCHW; tensors of any
 * other rank keep Keras's layout. Every conversion relies on that invariant, so a layer whose
 * semantics depend on the element order (Flatten, Reshape, Dense on spatial data) first transposes
 * back to NHWC, which keeps Keras's weights valid unchanged.
 */
final class KerasImporter {
  /** Converts one call of a layer class; the dispatch table below is the list of supported classes. */
  @FunctionalInterface
  private interface LayerConverter {
    Value convert(KerasImporter k, Call c, List<Value> ins);
  }

  /** Layers that only act during training: their output is their input. */
  private static final ImmutableSet<String> IDENTITY_LAYERS = ImmutableSet.of(
      "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
      "AlphaDropout", "ActivityRegularization");

  /** Keras layer class to its conversion: the importer's dispatch table and its supported classes. */
  private static final ImmutableMap<String, LayerConverter> LAYERS = layers();

  private static ImmutableMap<String, LayerConverter> layers() {
    ImmutableMap.Builder<String, LayerConverter> b = ImmutableMap.<String, LayerConverter>builder()
        .put("InputLayer", (k, c, ins) -> {
          throw k.format("InputLayer '" + c.layer() + "' is called on another tensor");
        })
        .put("Conv2D", (k, c, ins) -> k.conv2d(c, k.single(c, ins)))
        .put("DepthwiseConv2D", (k, c, ins) -> k.depthwise(c, k.single(c, ins)))
        .put("BatchNormalization", (k, c, ins) -> k.batchNorm(c, k.plain(c, k.single(c, ins))))
        .put("Activation", (k, c, ins) -> k.activationLayer(c, k.plain(c, k.single(c, ins))))
        .put("ReLU", (k, c, ins) -> k.reluLayer(c, k.plain(c, k.single(c, ins))))
        .put("Softmax", (k, c, ins) -> k.softmaxLayer(c, k.plain(c, k.single(c, ins))))
        .put("Add", (k, c, ins) -> k.add(c, ins))
        .put("Concatenate", (k, c, ins) -> k.concat(c, ins))
        .put("MaxPooling2D", (k, c, ins) -> k.pool(c, k.plain(c, k.single(c, ins)), false))
        .put("AveragePooling2D", (k, c, ins) -> k.pool(c, k.single(c, ins), true))
        .put("GlobalAveragePooling2D", (k, c, ins) -> k.globalAveragePool(c, k.plain(c, k.single(c, ins))))
        .put("Flatten", (k, c, ins) -> k.flatten(c, k.plain(c, k.single(c, ins))))
        .put("Dense", (k, c, ins) -> k.dense(c, k.plain(c, k.single(c, ins))))
        .put("ZeroPadding2D", (k, c, ins) -> k.zeroPadding(c, k.single(c, ins)))
        .put("Reshape", (k, c, ins) -> k.reshape(c, k.plain(c, k.single(c, ins))))
        .put("SeparableConv2D", (k, c, ins) -> k.separable(c, k.single(c, ins)))
        .put("Conv1D", (k, c, ins) -> k.conv1d(c, k.plain(c, k.single(c, ins))))
        .put("LeakyReLU", (k, c, ins) -> k.leakyReluLayer(c, k.plain(c, k.single(c, ins))))
        .put("PReLU", (k, c, ins) -> k.preluLayer(c, k.plain(c, k.single(c, ins))))
        .put("Multiply", (k, c, ins) -> k.elementwise(c, ins, new Op.Mul()))
        .put("Subtract", (k, c, ins) -> k.elementwise(c, ins, new Op.Sub()))
        .put("GlobalMaxPooling2D", (k, c, ins) -> k.globalMaxPool(c, k.plain(c, k.single(c, ins))))
        .put("GlobalAveragePooling1D", (k, c, ins) -> k.globalAveragePool1d(c, k.plain(c, k.single(c, ins))))
        .put("GlobalMaxPooling1D", (k, c, ins) -> k.globalMaxPool1d(c, k.plain(c, k.single(c, ins))))
        .put("MaxPooling1D", (k, c, ins) -> k.pool1d(c, k.plain(c, k.single(c, ins)), false))
        .put("AveragePooling1D", (k, c, ins) -> k.pool1d(c, k.plain(c, k.single(c, ins)), true))
        .put("UpSampling2D", (k, c, ins) -> k.upSampling(c, k.plain(c, k.single(c, ins))));
    for (String identity : IDENTITY_LAYERS) {
      b.put(identity, (k, c, ins) -> k.single(c, ins));
    }
    return b.build();
  }

  /** The op of a Keras activation (null for "linear"), by name: the supported activations. */
  @FunctionalInterface
  private interface ActivationConverter {
    Op convert(KerasImporter k, Call c, Value x);
  }

  private static final ImmutableMap<String, ActivationConverter> ACTIVATIONS = ImmutableMap.<String, ActivationConverter>builder()
      .put("linear", (k, c, x) -> null)
      .put("relu", (k, c, x) -> new Op.Relu())
      .put("relu6", (k, c, x) -> new Op.Clip(0f, 6f))
      .put("softmax", (k, c, x) -> new Op.Softmax(k.irAxis(c, x, -1)))
      .put("sigmoid", (k, c, x) -> new Op.Sigmoid())
      .put("tanh", (k, c, x) -> new Op.Tanh())
      // Keras 2: clip(0.2 x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
      .put("hard_sigmoid", (k, c, x) -> k.kerasVersion != null && k.kerasVersion.startsWith("3")
          ? new Op.HardSigmoid(1f / 6, 0.5f) : new Op.HardSigmoid(0.2f, 0.5f))
      // x * sigmoid(x): the Sigmoid here, the product added where the activation is emitted.
      .put("swish", (k, c, x) -> new Op.Sigmoid())
      .put("silu", (k, c, x) -> new Op.Sigmoid())
      .put("hard_swish", (k, c, x) -> new Op.HardSwish())
      .put("hard_silu", (k, c, x) -> new Op.HardSwish())
      .build();

  private static final ImmutableIntArray TO_NCHW = ImmutableIntArray.of(0, 3, 1, 2);
  private static final ImmutableIntArray TO_NHWC = ImmutableIntArray.of(0, 2, 3, 1);

  /** The graph and the Keras-convention shape of each tensor it names (batch = -1). */
  record Result(Graph graph, ImmutableMap<String, Shape> kerasShapes) {}

  /**
   * A Keras tensor as seen from the IR: the IR tensor holding it, its Keras shape (NHWC for rank
   * 4), and zero padding a ZeroPadding2D layer asked for but the consumer still has to apply
   * ([top, bottom, left, right], null when none).
   */
  private record Value(String ir, int[] shape, int[] pendingPad) {
    int rank() {
      return shape.length;
    }
  }

  /** One call of a layer: its config, and the base for names (the layer name for its first call). */
  private record Call(String layer, String className, JsonNode config, String base) {}

  private final String where;
  private final String fileName;
  private final String kerasVersion;
  private final JsonNode model;
  private final WeightSource weights;
  private final Graph.Builder graph;
  private final Set<String> nodeNames = new HashSet<>();
  private final Set<String> tensorNames = new HashSet<>();
  private final Map<String, Shape> shapes = new LinkedHashMap<>();
  /** Keras tensors by "layer|node index|tensor index". */
  private final Map<String, Value> values = new LinkedHashMap<>();

  KerasImporter(String where, String fileName, String kerasVersion, JsonNode model, WeightSource weights) {
    this.where = where;
    this.fileName = fileName;
    this.kerasVersion = kerasVersion;
    this.model = model;
    this.weights = weights;
    this.graph = Graph.builder("model");
  }

  Result run() {
    String cls = text(model, "class_name", "model_config");
    JsonNode cfg = model.get("config");
    if (cfg == null) {
      throw format("model_config has no 'config'");
    }
    rejectUnsupportedLayers(cfg);
    String name;
    if (cls.equals("Sequential")) {
      name = sequential(cfg);
    } else if (cls.equals("Functional") || cls.equals("Model")) {
      name = functional(cfg);
    } else {
      throw new UnsupportedOpException(optText(cfg, "name", fileName), cls,
          "model class in " + where + "; only Sequential and functional (Model/Functional) Keras models can be imported");
    }
    graph.name(name);
    graph.metadata("source", fileName);
    String version = kerasVersion != null ? kerasVersion : optText(model, "keras_version", null);
    graph.metadata("framework", version == null ? "keras" : "keras " + version);
    graph.metadata("input_layout", "NHWC");
    try {
      return new Result(graph.build(), ImmutableMap.copyOf(shapes));
    } catch (GraphException e) {
      throw new ModelFormatException("file " + where + ": the model's layers do not form a valid graph: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- model kinds

  private String sequential(JsonNode cfg) {
    JsonNode layers;
    String name;
    if (cfg.isArray()) {
      // Keras <= 2.2 stored a Sequential config as the bare list of layers.
      layers = cfg;
      name = "sequential";
    } else {
      layers = cfg.get("layers");
      name = optText(cfg, "name", "sequential");
    }
    if (layers == null || !layers.isArray() || layers.isEmpty()) {
      throw format("Sequential model '" + name + "' has no layers");
    }
    Value current;
    int first = 0;
    JsonNode l0 = layers.get(0);
    if ("InputLayer".equals(optText(l0, "class_name", null))) {
      current = input(layerName(l0), layerConfig(l0));
      first = 1;
    } else {
      JsonNode c0 = layerConfig(l0);
      JsonNode shape = c0.has("batch_input_shape") ? c0.get("batch_input_shape") : c0.get("batch_shape");
      if (shape == null && !cfg.isArray()) {
        shape = cfg.get("build_input_shape");
      }
      if (shape == null || shape.isNull()) {
        throw format("Sequential model '" + name + "' records no input shape (neither an InputLayer nor"
            + " batch_input_shape on its first layer '" + layerName(l0) + "')");
      }
      // Keras names the implicit input of a Sequential model after its first layer.
      current = inputFromShape(layerName(l0) + "_input", shape, optText(c0, "dtype", null));
    }
    for (int i = first; i < layers.size(); i++) {
      JsonNode l = layers.get(i);
      String layer = layerName(l);
      current = convert(new Call(layer, text(l, "class_name", "layer " + layer), layerConfig(l), layer), List.of(current));
    }
    graph.output(finishOutput(current, layerName(layers.get(layers.size() - 1))));
    return name;
  }

  private String functional(JsonNode cfg) {
    String name = optText(cfg, "name", "model");
    JsonNode layers = cfg.get("layers");
    if (layers == null || !layers.isArray() || layers.isEmpty()) {
      throw format("model '" + name + "' has no layers");
    }
    List<JsonNode> inputLayers = refs(cfg.get("input_layers"), "input_layers");
    List<JsonNode> outputLayers = refs(cfg.get("output_layers"), "output_layers");
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    for (JsonNode l : layers) {
      if (byName.put(layerName(l), l) != null) {
        throw format("two layers are named '" + layerName(l) + "'");
      }
    }
    for (JsonNode ref : inputLayers) {
      String layer = ref.get(0).asText();
      JsonNode l = byName.get(layer);
      if (l == null) {
        throw format("input layer '" + layer + "' is not among the model's layers");
      }
      String cls = text(l, "class_name", "layer " + layer);
      if (!cls.equals("InputLayer")) {
        throw new UnsupportedOpException(layer, cls, "model input in " + where + " that is not an InputLayer");
      }
      values.put(key(layer, 0, 0), input(layer, layerConfig(l)));
    }
    // Calls whose inputs all exist are converted; repeating until none is left tolerates configs
    // that list layers out of order and finds references to layers that never produce anything.
    List<Object[]> pending = new ArrayList<>();
    for (JsonNode l : layers) {
      String layer = layerName(l);
      if ("InputLayer".equals(optText(l, "class_name", null))) {
        continue;
      }
      JsonNode inbound = l.get("inbound_nodes");
      if (inbound == null || !inbound.isArray()) {
        throw format("layer '" + layer + "' has no inbound_nodes list");
      }
      for (int n = 0; n < inbound.size(); n++) {
        pending.add(new Object[] {l, n, inboundRefs(layer, inbound.get(n))});
      }
    }
    boolean progress = true;
    while (!pending.isEmpty() && progress) {
      progress = false;
      for (Iterator<Object[]> it = pending.iterator(); it.hasNext(); ) {
        Object[] p = it.next();
        JsonNode l = (JsonNode) p[0];
        int nodeIndex = (Integer) p[1];
        @SuppressWarnings("unchecked")
        List<String> refKeys = (List<String>) p[2];
        List<Value> ins = new ArrayList<>();
        for (String k : refKeys) {
          Value v = values.get(k);
          if (v == null) {
            break;
          }
          ins.add(v);
        }
        if (ins.size() < refKeys.size()) {
          continue;
        }
        String layer = layerName(l);
        String base = nodeIndex == 0 ? layer : layer + "_call" + nodeIndex;
        Value out = convert(new Call(layer, text(l, "class_name", "layer " + layer), layerConfig(l), base), ins);
        values.put(key(layer, nodeIndex, 0), out);
        it.remove();
        progress = true;
      }
    }
    if (!pending.isEmpty()) {
      Object[] p = pending.get(0);
      @SuppressWarnings("unchecked")
      List<String> refKeys = (List<String>) p[2];
      throw format("layer '" + layerName((JsonNode) p[0]) + "' reads " + describeRefs(refKeys)
          + ", which no layer of the model produces (or the layers form a cycle)");
    }
    for (JsonNode ref : outputLayers) {
      String k = key(ref.get(0).asText(), ref.get(1).asInt(), ref.get(2).asInt());
      Value v = values.get(k);
      if (v == null) {
        throw format("model output " + describeRefs(List.of(k)) + " is not produced by any layer");
      }
      graph.output(finishOutput(v, ref.get(0).asText()));
    }
    return name;
  }

  /** input_layers / output_layers: a list of [layer, node, tensor] triples, or one bare triple. */
  private List<JsonNode> refs(JsonNode node, String what) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw format("model config has no " + what);
    }
    List<JsonNode> out = new ArrayList<>();
    if (node.get(0).isTextual()) {
      out.add(node);
    } else {
      node.forEach(out::add);
    }
    for (JsonNode r : out) {
      if (!r.isArray() || r.size() < 3 || !r.get(0).isTextual() || !r.get(1).isInt() || !r.get(2).isInt()) {
        throw format(what + " entry " + r + " is not [layer name, node index, tensor index]");
      }
    }
    return out;
  }

  /**
   * The tensors one call of a layer reads. Keras 2 writes {@code [[layer, node, tensor, kwargs],
   * ...]}; Keras 3 writes {@code {"args": [...], "kwargs": {...}}} with
   * {@code keras_history} triples inside.
   */
  private List<String> inboundRefs(String layer, JsonNode call) {
    List<String> out = new ArrayList<>();
    if (call.isArray()) {
      for (JsonNode r : call) {
        if (!r.isArray() || r.size() < 3 || !r.get(0).isTextual() || !r.get(1).isInt() || !r.get(2).isInt()) {
          throw format("layer '" + layer + "': inbound entry " + r + " is not [layer name, node index, tensor index, ...]");
        }
        if (r.size() > 3 && r.get(3).isObject() && !r.get(3).isEmpty()) {
          throw new UnsupportedOpException(layer, "call arguments", "in " + where + ": layer called with extra arguments "
              + r.get(3));
        }
        out.add(key(r.get(0).asText(), r.get(1).asInt(), r.get(2).asInt()));
      }
    } else if (call.isObject() && call.has("args")) {
      collectHistory(call.get("args"), out, layer);
    } else {
      throw format("layer '" + layer + "': inbound node " + call + " has an unknown form");
    }
    if (out.isEmpty()) {
      throw format("layer '" + layer + "' is called without inputs");
    }
    return out;
  }

  private void collectHistory(JsonNode n, List<String> out, String layer) {
    if (n.isObject()) {
      JsonNode h = n.path("config").get("keras_history");
      if (h != null) {
        if (!h.isArray() || h.size() < 3) {
          throw format("layer '" + layer + "': malformed keras_history " + h);
        }
        out.add(key(h.get(0).asText(), h.get(1).asInt(), h.get(2).asInt()));
        return;
      }
    }
    if (n.isArray()) {
      for (JsonNode c : n) {
        collectHistory(c, out, layer);
      }
    }
  }

  private static String key(String layer, int node, int tensor) {
    return layer + "|" + node + "|" + tensor;
  }

  private static String describeRefs(List<String> keys) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      String[] p = k.split("\\|");
      out.add("'" + p[0] + "'" + (p[1].equals("0") && p[2].equals("0") ? "" : " (node " + p[1] + ", tensor " + p[2] + ")"));
    }
    return Joiner.on(", ").join(out);
  }

  // ---------------------------------------------------------------- inputs and outputs

  private Value input(String layer, JsonNode cfg) {
    JsonNode shape = cfg.has("batch_input_shape") ? cfg.get("batch_input_shape") : cfg.get("batch_shape");
    if (shape == null) {
      throw format("input layer '" + layer + "' has no batch_input_shape");
    }
    if (cfg.path("sparse").asBoolean(false) || cfg.path("ragged").asBoolean(false)) {
      throw new UnsupportedOpException(layer, "InputLayer", "sparse or ragged input in " + where);
    }
    return inputFromShape(layer, shape, optText(cfg, "dtype", null));
  }

  private Value inputFromShape(String name, JsonNode shapeNode, String dtype) {
    if (dtype != null && !dtype.equals("float32")) {
      throw new UnsupportedOpException(name, "InputLayer", "input dtype " + dtype + " in " + where + "; only float32 inputs are supported");
    }
    if (!shapeNode.isArray() || shapeNode.size() < 2) {
      throw format("input '" + name + "': batch shape " + shapeNode + " is not [batch, dims...]");
    }
    int[] shape = new int[shapeNode.size()];
    // The IR is batch-agnostic: whatever batch size the model was saved with, inputs take any.
    shape[0] = Shape.UNKNOWN;
    for (int i = 1; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (d.isNull()) {
        shape[i] = Shape.UNKNOWN;
      } else if (d.isInt() && d.asInt() > 0) {
        shape[i] = d.asInt();
      } else {
        throw format("input '" + name + "': dimension " + d + " in batch shape " + shapeNode + " is not a positive integer");
      }
    }
    String inName = claimTensor(name);
    graph.input(new ValueInfo(inName, DataType.FLOAT32, Shape.of(shape)));
    shapes.put(inName, Shape.of(shape));
    if (shape.length != 4) {
      return new Value(inName, shape, null);
    }
    String nchw = emit(name + "/to_nchw", new Op.Transpose(TO_NCHW), List.of(inName), name + "/nchw", shape);
    return new Value(nchw, shape, null);
  }

  /** The tensor name to list as a graph output for {@code v}; rank-4 outputs go back to NHWC. */
  private String finishOutput(Value v, String layer) {
    requireNoPendingPad(v, layer, "model output");
    if (v.rank() != 4) {
      return v.ir();
    }
    return emit(layer + "/to_nhwc", new Op.Transpose(TO_NHWC), List.of(v.ir()), layer + "/nhwc", v.shape());
  }

  // ---------------------------------------------------------------- layers

  private Value convert(Call c, List<Value> ins) {
    try {
      return convertLayer(c, ins);
    } catch (QuantkitException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException | ArithmeticException | IndexOutOfBoundsException e) {
      throw format("layer '" + c.layer() + "' (" + c.className() + "): " + e.getMessage());
    }
  }

  private Value convertLayer(Call c, List<Value> ins) {
    LayerConverter converter = LAYERS.get(c.className());
    if (converter == null) {
      throw unsupportedLayer(c.layer(), c.className());
    }
    return converter.convert(this, c, ins);
  }

  private UnsupportedOpException unsupportedLayer(String layer, String cls) {
    return new UnsupportedOpException(layer, cls, "layer in " + where + "; supported layer classes: "
        + Joiner.on(", ").join(LAYERS.keySet()));
  }

  /**
   * Every layer whose class or activation the importer lacks, found before converting anything,
   * so that one attempt reports the model's whole gap (counted by class) instead of the first.
   */
  private void rejectUnsupportedLayers(JsonNode cfg) {
    JsonNode layers = cfg.isArray() ? cfg : cfg.get("layers");
    if (layers == null || !layers.isArray()) {
      return; // the model-kind code reports the missing list
    }
    List<UnsupportedNode> out = new ArrayList<>();
    for (JsonNode l : layers) {
      String cls = optText(l, "class_name", null);
      if (cls == null) {
        continue;
      }
      String layer = layerName(l);
      if (!LAYERS.containsKey(cls)) {
        out.add(UnsupportedNode.of(unsupportedLayer(layer, cls)));
        continue;
      }
      JsonNode act = l.path("config").get("activation");
      if (act != null && !act.isNull()) {
        String name = act.isTextual() ? act.asText() : act.path("config").isTextual() ? act.get("config").asText() : null;
        if (name == null) {
          out.add(new UnsupportedNode(layer, cls, "custom activation " + act + " in " + where));
        } else if (!ACTIVATIONS.containsKey(name)) {
          out.add(UnsupportedNode.of(unsupportedActivation(layer, cls, name)));
        }
      }
    }
    UnsupportedOpsException.throwIfAny(where, out);
  }

  private Value conv2d(Call c, Value x) {
    JsonNode cfg = c.config();
    String act = activationName(c);
    ConvWindow win = convWindow(c, x, act);
    int groups = cfg.path("groups").asInt(1);
    int filters = positive(c, "filters");
    int cin = x.shape()[3];
    if (groups < 1 || cin % groups != 0 || filters % groups != 0) {
      throw format("layer '" + c.layer() + "' (Conv2D): groups " + groups + " do not divide " + cin + " input channels and "
          + filters + " filters");
    }
    boolean useBias = cfg.path("use_bias").asBoolean(true);
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    int[] k = win.kernel();
    WeightSource.WeightArray kernel = require(c, w, "kernel", k[0], k[1], cin / groups, filters);
    String kName = initializer(c.layer() + "/kernel", Shape.of(filters, cin / groups, k[0], k[1]),
        hwioToOihw(kernel.data(), k[0], k[1], cin / groups, filters));
    String bName = useBias ? bias(c, w, "bias", filters) : "";
    return convNode(c, x, win, groups, filters, kName, bName, act);
  }

  private Value depthwise(Call c, Value x) {
    JsonNode cfg = c.config();
    String act = activationName(c);
    ConvWindow win = convWindow(c, x, act);
    int mult = cfg.path("depth_multiplier").asInt(1);
    if (mult < 1) {
      throw format("layer '" + c.layer() + "' (DepthwiseConv2D): depth_multiplier " + mult + " is not positive");
    }
    int cin = x.shape()[3];
    int cout = cin * mult;
    boolean useBias = cfg.path("use_bias").asBoolean(true);
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    int[] k = win.kernel();
    WeightSource.WeightArray kernel = require(c, w, "depthwise_kernel", k[0], k[1], cin, mult);
    // [kh][kw][in][mult] is HWIO with O = mult per input channel; output channel i*mult+m reads input i.
    String kName = initializer(c.layer() + "/depthwise_kernel", Shape.of(cout, 1, k[0], k[1]),
        hwioToOihw(kernel.data(), k[0], k[1], 1, cout));
    String bName = useBias ? bias(c, w, "bias", cout) : "";
    return convNode(c, x, win, cin, cout, kName, bName, act);
  }

  /** Depthwise convolution (no bias), then a 1x1 pointwise convolution with the bias and activation. */
  private Value separable(Call c, Value x) {
    JsonNode cfg = c.config();
    String act = activationName(c);
    ConvWindow win = convWindow(c, x, act);
    int mult = cfg.path("depth_multiplier").asInt(1);
    if (mult < 1) {
      throw format("layer '" + c.layer() + "' (SeparableConv2D): depth_multiplier " + mult + " is not positive");
    }
    int filters = positive(c, "filters");
    int cin = x.shape()[3];
    int mid = cin * mult;
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    int[] k = win.kernel();
    WeightSource.WeightArray dk = require(c, w, "depthwise_kernel", k[0], k[1], cin, mult);
    String dName = initializer(c.layer() + "/depthwise_kernel", Shape.of(mid, 1, k[0], k[1]),
        hwioToOihw(dk.data(), k[0], k[1], 1, mid));
    WeightSource.WeightArray pk = require(c, w, "pointwise_kernel", 1, 1, mid, filters);
    String pName = initializer(c.layer() + "/pointwise_kernel", Shape.of(filters, mid, 1, 1),
        hwioToOihw(pk.data(), 1, 1, mid, filters));
    boolean useBias = cfg.path("use_bias").asBoolean(true);
    String bName = useBias ? bias(c, w, "bias", filters) : "";
    int[] s = win.strides();
    int[] d = win.dilations();
    Padding pad = padding(c, x, k, s, d);
    int[] dwOut = {x.shape()[0], outSize(c, x.shape()[1], k[0], s[0], d[0], pad, 0, x),
        outSize(c, x.shape()[2], k[1], s[1], d[1], pad, 1, x), mid};
    String dw = emit(c.base() + "/depthwise", new Op.Conv(ImmutableIntArray.copyOf(k), ImmutableIntArray.copyOf(s),
        ImmutableIntArray.copyOf(d), cin, pad), List.of(x.ir(), dName), c.base() + "/depthwise", dwOut);
    int[] out = {dwOut[0], dwOut[1], dwOut[2], filters};
    Op pw = new Op.Conv(ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), ImmutableIntArray.of(1, 1), 1, Padding.valid());
    return withActivation(c, pw, List.of(dw, pName, bName), out, act);
  }

  /** Keras [N, L, C] is transposed to the IR's [N, C, L] around a 1-D convolution. */
  private Value conv1d(Call c, Value x) {
    JsonNode cfg = c.config();
    String act = activationName(c);
    activationOp(c, act, x);
    requireChannelsLast(c);
    requireRank(c, x, 3);
    String mode = optText(cfg, "padding", "valid");
    if (mode.equals("causal")) {
      throw new UnsupportedOpException(c.layer(), "Conv1D", "causal padding in " + where);
    }
    int k = ints(c, "kernel_size", 1, null)[0];
    int st = ints(c, "strides", 1, new int[] {1})[0];
    int dl = ints(c, "dilation_rate", 1, new int[] {1})[0];
    int groups = cfg.path("groups").asInt(1);
    int filters = positive(c, "filters");
    int cin = x.shape()[2];
    if (groups < 1 || cin % groups != 0 || filters % groups != 0) {
      throw format("layer '" + c.layer() + "' (Conv1D): groups " + groups + " do not divide " + cin + " input channels and "
          + filters + " filters");
    }
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    WeightSource.WeightArray kernel = require(c, w, "kernel", k, cin / groups, filters);
    String kName = initializer(c.layer() + "/kernel", Shape.of(filters, cin / groups, k),
        hwioToOihw(kernel.data(), 1, k, cin / groups, filters));
    String bName = cfg.path("use_bias").asBoolean(true) ? bias(c, w, "bias", filters) : "";
    Padding pad;
    if (mode.equals("valid")) {
      pad = Padding.valid();
    } else if (mode.equals("same")) {
      pad = Padding.sameUpper();
    } else {
      throw new UnsupportedOpException(c.layer(), "Conv1D", "padding '" + mode + "' in " + where);
    }
    int len = x.shape()[1] == Shape.UNKNOWN ? Shape.UNKNOWN : ShapeInference.windowOutputs(new int[] {x.shape()[1]},
        ImmutableIntArray.of(k), ImmutableIntArray.of(st), ImmutableIntArray.of(dl), pad, false)[0];
    if (len == 0) {
      throw format("layer '" + c.layer() + "' (Conv1D): kernel " + k + " does not fit an input of length " + x.shape()[1]);
    }
    ImmutableIntArray swap = ImmutableIntArray.of(0, 2, 1);
    String ncl = emit(c.base() + "/to_ncl", new Op.Transpose(swap), List.of(x.ir()), c.base() + "/ncl",
        new int[] {x.shape()[0], cin, x.shape()[1]});
    int[] convOut = {x.shape()[0], filters, len};
    String conv = emit(c.base() + "/conv", new Op.Conv(ImmutableIntArray.of(k), ImmutableIntArray.of(st), ImmutableIntArray.of(dl),
        groups, pad), List.of(ncl, kName, bName), c.base() + "/conv", convOut);
    int[] out = {x.shape()[0], len, filters};
    return withActivation(c, new Op.Transpose(swap), List.of(conv), out, act);
  }

  private Value leakyReluLayer(Call c, Value x) {
    JsonNode cfg = c.config();
    // Keras 2 calls the slope alpha, Keras 3 negative_slope; both default to 0.3.
    double slope = cfg.has("negative_slope") ? cfg.path("negative_slope").asDouble(0.3) : cfg.path("alpha").asDouble(0.3);
    return new Value(emit(c.base(), new Op.LeakyRelu((float) slope), List.of(x.ir()), c.base(), x.shape()), x.shape(), null);
  }

  /** The learned slope has the input's shape without the batch (shared axes of size 1); NHWC slopes go to CHW. */
  private Value preluLayer(Call c, Value x) {
    int r = x.rank();
    int[] dims = Arrays.copyOfRange(x.shape(), 1, r);
    JsonNode shared = c.config().get("shared_axes");
    if (shared != null && shared.isArray()) {
      for (JsonNode a : shared) {
        int ax = a.asInt();
        if (ax < 1 || ax >= r) {
          throw format("layer '" + c.layer() + "' (PReLU): shared axis " + ax + " out of range for rank " + r);
        }
        dims[ax - 1] = 1;
      }
    }
    for (int d : dims) {
      if (d == Shape.UNKNOWN) {
        throw new UnsupportedOpException(c.layer(), "PReLU", "input " + Arrays.toString(x.shape()) + " of unknown size in " + where);
      }
    }
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    WeightSource.WeightArray alpha = require(c, w, "alpha", dims);
    float[] data = alpha.data();
    Shape shape = Shape.of(dims);
    if (r == 4) {
      // [H][W][C] to [C][H][W]
      int h = dims[0];
      int wd = dims[1];
      int ch = dims[2];
      float[] chw = new float[data.length];
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < wd; xx++) {
          for (int k = 0; k < ch; k++) {
            chw[(k * h + y) * wd + xx] = data[(y * wd + xx) * ch + k];
          }
        }
      }
      data = chw;
      shape = Shape.of(ch, h, wd);
    }
    String slope = initializer(c.layer() + "/alpha", shape, data);
    return new Value(emit(c.base(), new Op.PRelu(), List.of(x.ir(), slope), c.base(), x.shape()), x.shape(), null);
  }

  /** Multiply / Subtract: left to right over the inputs, with broadcasting. */
  private Value elementwise(Call c, List<Value> ins, Op op) {
    if (ins.size() < 2 || (op instanceof Op.Sub && ins.size() != 2)) {
      throw format("layer '" + c.layer() + "' (" + c.className() + ") has " + ins.size() + " input(s)");
    }
    int[] shape = plain(c, ins.get(0)).shape();
    for (Value v : ins.subList(1, ins.size())) {
      shape = broadcast(c, shape, plain(c, v).shape());
    }
    String acc = ins.get(0).ir();
    for (int i = 1; i < ins.size(); i++) {
      boolean last = i == ins.size() - 1;
      acc = emit(i == 1 ? c.base() : c.base() + "/" + i, op, List.of(acc, ins.get(i).ir()),
          last ? c.base() : c.base() + "/partial" + i, shape);
    }
    return new Value(acc, shape, null);
  }

  private Value globalMaxPool(Call c, Value x) {
    requireChannelsLast(c);
    requireRank(c, x, 4);
    boolean keep = c.config().path("keepdims").asBoolean(false);
    int[] kept = {x.shape()[0], 1, 1, x.shape()[3]};
    if (keep) {
      return new Value(emit(c.base(), new Op.GlobalMaxPool(), List.of(x.ir()), c.base(), kept), kept, null);
    }
    String gmp = emit(c.base(), new Op.GlobalMaxPool(), List.of(x.ir()), c.base() + "/pooled", kept);
    int[] out = {x.shape()[0], x.shape()[3]};
    return new Value(emit(c.base() + "/flatten", new Op.Flatten(1), List.of(gmp), c.base(), out), out, null);
  }

  /** [N, L, C] to [N, C] (or [N, 1, C] with keepdims): the mean over the steps. */
  private Value globalAveragePool1d(Call c, Value x) {
    requireChannelsLast(c);
    requireRank(c, x, 3);
    boolean keep = c.config().path("keepdims").asBoolean(false);
    int[] out = keep ? new int[] {x.shape()[0], 1, x.shape()[2]} : new int[] {x.shape()[0], x.shape()[2]};
    return new Value(emit(c.base(), new Op.ReduceMean(ImmutableIntArray.of(1), keep), List.of(x.ir()), c.base(), out), out, null);
  }

  /** [N, L, C] to [N, C]: transposed to [N, C, L], GlobalMaxPool over L, flattened. */
  private Value globalMaxPool1d(Call c, Value x) {
    requireChannelsLast(c);
    requireRank(c, x, 3);
    boolean keep = c.config().path("keepdims").asBoolean(false);
    int n = x.shape()[0];
    int ch = x.shape()[2];
    String ncl = emit(c.base() + "/to_ncl", new Op.Transpose(ImmutableIntArray.of(0, 2, 1)), List.of(x.ir()), c.base() + "/ncl",
        new int[] {n, ch, x.shape()[1]});
    String pooled = emit(c.base(), new Op.GlobalMaxPool(), List.of(ncl), c.base() + "/pooled", new int[] {n, ch, 1});
    if (keep) {
      int[] out = {n, 1, ch};
      return new Value(emit(c.base() + "/to_nlc", new Op.Transpose(ImmutableIntArray.of(0, 2, 1)), List.of(pooled), c.base(), out),
          out, null);
    }
    int[] out = {n, ch};
    return new Value(emit(c.base() + "/flatten", new Op.Flatten(1), List.of(pooled), c.base(), out), out, null);
  }

  /** MaxPooling1D / AveragePooling1D on [N, L, C], as a 1-D pool of the transposed [N, C, L]. */
  private Value pool1d(Call c, Value x, boolean average) {
    requireChannelsLast(c);
    requireRank(c, x, 3);
    int k = ints(c, "pool_size", 1, new int[] {2})[0];
    JsonNode strides = c.config().get("strides");
    int st = strides == null || strides.isNull() ? k : ints(c, "strides", 1, new int[] {k})[0];
    String mode = optText(c.config(), "padding", "valid");
    Padding pad;
    if (mode.equals("valid")) {
      pad = Padding.valid();
    } else if (mode.equals("same")) {
      pad = Padding.sameUpper();
    } else {
      throw new UnsupportedOpException(c.layer(), c.className(), "padding '" + mode + "' in " + where);
    }
    int len = x.shape()[1] == Shape.UNKNOWN ? Shape.UNKNOWN : ShapeInference.windowOutputs(new int[] {x.shape()[1]},
        ImmutableIntArray.of(k), ImmutableIntArray.of(st), ImmutableIntArray.of(1), pad, false)[0];
    if (len == 0) {
      throw format("layer '" + c.layer() + "' (" + c.className() + "): pool " + k + " does not fit an input of length " + x.shape()[1]);
    }
    int n = x.shape()[0];
    int ch = x.shape()[2];
    ImmutableIntArray swap = ImmutableIntArray.of(0, 2, 1);
    String ncl = emit(c.base() + "/to_ncl", new Op.Transpose(swap), List.of(x.ir()), c.base() + "/ncl", new int[] {n, ch, x.shape()[1]});
    // Keras averages only real cells under "same" padding.
    Op op = average ? new Op.AveragePool(ImmutableIntArray.of(k), ImmutableIntArray.of(st), pad, false, false)
        : new Op.MaxPool(ImmutableIntArray.of(k), ImmutableIntArray.of(st), ImmutableIntArray.of(1), pad, false);
    String pooled = emit(c.base() + "/pool", op, List.of(ncl), c.base() + "/pooled", new int[] {n, ch, len});
    int[] out = {n, len, ch};
    return new Value(emit(c.base(), new Op.Transpose(swap), List.of(pooled), c.base(), out), out, null);
  }

  /** Nearest: each pixel repeated; bilinear: TensorFlow's resize with half-pixel centers. */
  private Value upSampling(Call c, Value x) {
    requireChannelsLast(c);
    requireRank(c, x, 4);
    int[] size = ints(c, "size", 2, new int[] {2, 2});
    String interp = optText(c.config(), "interpolation", "nearest");
    Op op;
    if (interp.equals("nearest")) {
      op = new Op.Resize("nearest", "asymmetric", "floor", com.google.common.collect.ImmutableList.of(1f, 1f, (float) size[0],
          (float) size[1]));
    } else if (interp.equals("bilinear")) {
      op = new Op.Resize("linear", "half_pixel", "round_prefer_floor", com.google.common.collect.ImmutableList.of(1f, 1f,
          (float) size[0], (float) size[1]));
    } else {
      throw new UnsupportedOpException(c.layer(), "UpSampling2D", "interpolation '" + interp + "' in " + where);
    }
    int[] s = x.shape();
    int[] out = {s[0], s[1] == Shape.UNKNOWN ? s[1] : s[1] * size[0], s[2] == Shape.UNKNOWN ? s[2] : s[2] * size[1], s[3]};
    return new Value(emit(c.base(), op, List.of(x.ir()), c.base(), out), out, null);
  }

  /** Kernel size, strides and dilations of a Conv2D-like layer. */
  private record ConvWindow(int[] kernel, int[] strides, int[] dilations) {}

  /** The checks and attributes Conv2D and DepthwiseConv2D share, in the order they are reported. */
  private ConvWindow convWindow(Call c, Value x, String act) {
    activationOp(c, act, x);
    requireChannelsLast(c);
    requireRank(c, x, 4);
    return new ConvWindow(ints(c, "kernel_size", 2, null), ints(c, "strides", 2, new int[] {1, 1}),
        ints(c, "dilation_rate", 2, new int[] {1, 1}));
  }

  /** The Conv node (NHWC output shape) with its fused activation, once the weights are initializers. */
  private Value convNode(Call c, Value x, ConvWindow win, int groups, int cout, String kName, String bName, String act) {
    int[] k = win.kernel();
    int[] s = win.strides();
    int[] d = win.dilations();
    Padding pad = padding(c, x, k, s, d);
    int[] out = {x.shape()[0], outSize(c, x.shape()[1], k[0], s[0], d[0], pad, 0, x), outSize(c, x.shape()[2], k[1], s[1], d[1], pad, 1, x), cout};
    Op conv = new Op.Conv(ImmutableIntArray.copyOf(k), ImmutableIntArray.copyOf(s), ImmutableIntArray.copyOf(d), groups, pad);
    return withActivation(c, conv, List.of(x.ir(), kName, bName), out, act);
  }

  /**
   * [kh][kw][i][o] to [o][i][kh][kw]. For depthwise kernels called with i = 1 and o = in*mult:
   * the flat [kh][kw][in][mult] order equals [kh][kw][1][in*mult].
   */
  static float[] hwioToOihw(float[] hwio, int kh, int kw, int ci, int co) {
    float[] out = new float[hwio.length];
    for (int y = 0; y < kh; y++) {
      for (int x = 0; x < kw; x++) {
        for (int i = 0; i < ci; i++) {
          for (int o = 0; o < co; o++) {
            out[((o * ci + i) * kh + y) * kw + x] = hwio[((y * kw + x) * ci + i) * co + o];
          }
        }
      }
    }
    return out;
  }

  private Value batchNorm(Call c, Value x) {
    JsonNode cfg = c.config();
    int rank = x.rank();
    JsonNode axisNode = cfg.get("axis");
    int axis = -1;
    if (axisNode != null && axisNode.isArray()) {
      if (axisNode.size() != 1) {
        throw new UnsupportedOpException(c.layer(), "BatchNormalization", "normalization over axes " + axisNode + " in " + where);
      }
      axis = axisNode.get(0).asInt();
    } else if (axisNode != null && axisNode.isInt()) {
      axis = axisNode.asInt();
    }
    if (axis < 0) {
      axis += rank;
    }
    if (axis != rank - 1 || (rank != 4 && rank != 2)) {
      throw new UnsupportedOpException(c.layer(), "BatchNormalization", "axis " + axisNode + " on a rank-" + rank + " tensor in "
          + where + "; only the channel axis (last) of rank-2 or rank-4 tensors is supported");
    }
    int ch = x.shape()[rank - 1];
    boolean center = cfg.path("center").asBoolean(true);
    boolean scale = cfg.path("scale").asBoolean(true);
    float eps = (float) cfg.path("epsilon").asDouble(1e-3);
    // TensorFlow's fused kernel, which Keras uses for 4-D inputs unless told not to, raises epsilon
    // to at least 1.001e-5 (a cuDNN limit); the model's numbers were produced with that value.
    JsonNode virtualBatch = cfg.path("virtual_batch_size");
    boolean fused = rank == 4 && cfg.path("fused").asBoolean(true) && !cfg.path("renorm").asBoolean(false)
        && (virtualBatch.isMissingNode() || virtualBatch.isNull());
    if (fused && eps < 1.001e-5f) {
      eps = 1.001e-5f;
    }
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    String gamma = scale ? bias(c, w, "gamma", ch) : constant(c.layer() + "/gamma", ch, 1f);
    String beta = center ? bias(c, w, "beta", ch) : constant(c.layer() + "/beta", ch, 0f);
    String mean = bias(c, w, "moving_mean", ch);
    String var = bias(c, w, "moving_variance", ch);
    String out = emit(c.base(), new Op.BatchNorm(eps), List.of(x.ir(), gamma, beta, mean, var), c.base(), x.shape());
    return new Value(out, x.shape(), null);
  }

  private Value activationLayer(Call c, Value x) {
    String act = activationName(c);
    Op op = activationOp(c, act, x);
    if (op == null) {
      return x;
    }
    return new Value(emitActivation(c.base(), act, op, x.ir(), c.base(), x.shape()), x.shape(), null);
  }

  /** The activation node(s) on {@code in}; swish/silu is x * sigmoid(x). */
  private String emitActivation(String nodeName, String act, Op op, String in, String out, int[] shape) {
    if (act.equals("swish") || act.equals("silu")) {
      String sig = emit(nodeName + "/sigmoid", op, List.of(in), out + "/sigmoid", shape);
      return emit(nodeName, new Op.Mul(), List.of(in, sig), out, shape);
    }
    return emit(nodeName, op, List.of(in), out, shape);
  }

  private Value reluLayer(Call c, Value x) {
    JsonNode cfg = c.config();
    double slope = cfg.path("negative_slope").asDouble(0);
    double threshold = cfg.path("threshold").asDouble(0);
    if (slope != 0 || threshold != 0) {
      throw new UnsupportedOpException(c.layer(), "ReLU", "negative_slope " + slope + ", threshold " + threshold + " in " + where
          + "; only max(x, 0), optionally capped by max_value, is supported");
    }
    JsonNode max = cfg.get("max_value");
    Op op = max == null || max.isNull() ? new Op.Relu() : new Op.Clip(0f, (float) max.asDouble());
    if (op instanceof Op.Clip && ((Op.Clip) op).max() < 0) {
      throw format("layer '" + c.layer() + "' (ReLU): max_value " + max + " is negative");
    }
    return new Value(emit(c.base(), op, List.of(x.ir()), c.base(), x.shape()), x.shape(), null);
  }

  private Value softmaxLayer(Call c, Value x) {
    JsonNode axisNode = c.config().get("axis");
    int axis = -1;
    if (axisNode != null && axisNode.isArray()) {
      if (axisNode.size() != 1) {
        throw new UnsupportedOpException(c.layer(), "Softmax", "softmax over axes " + axisNode + " in " + where);
      }
      axis = axisNode.get(0).asInt();
    } else if (axisNode != null && axisNode.isInt()) {
      axis = axisNode.asInt();
    }
    return new Value(emit(c.base(), new Op.Softmax(irAxis(c, x, axis)), List.of(x.ir()), c.base(), x.shape()), x.shape(), null);
  }

  private Value add(Call c, List<Value> ins) {
    if (ins.size() < 2) {
      throw format("layer '" + c.layer() + "' (Add) has " + ins.size() + " input(s), needs at least 2");
    }
    int[] shape = plain(c, ins.get(0)).shape();
    for (Value v : ins.subList(1, ins.size())) {
      shape = broadcast(c, shape, plain(c, v).shape());
    }
    String acc = ins.get(0).ir();
    for (int i = 1; i < ins.size(); i++) {
      boolean last = i == ins.size() - 1;
      String nodeName = i == 1 ? c.base() : c.base() + "/" + i;
      acc = emit(nodeName, new Op.Add(), List.of(acc, ins.get(i).ir()), last ? c.base() : c.base() + "/sum" + i, shape);
    }
    return new Value(acc, shape, null);
  }

  private Value concat(Call c, List<Value> ins) {
    if (ins.size() < 2) {
      throw format("layer '" + c.layer() + "' (Concatenate) has " + ins.size() + " input(s), needs at least 2");
    }
    int kAxis = c.config().path("axis").asInt(-1);
    Value first = plain(c, ins.get(0));
    int rank = first.rank();
    int a = kAxis < 0 ? kAxis + rank : kAxis;
    if (a <= 0 || a >= rank) {
      throw new UnsupportedOpException(c.layer(), "Concatenate", "axis " + kAxis + " of rank-" + rank + " tensors in " + where);
    }
    int[] shape = first.shape().clone();
    List<String> names = new ArrayList<>();
    names.add(first.ir());
    for (Value v : ins.subList(1, ins.size())) {
      plain(c, v);
      if (v.rank() != rank) {
        throw format("layer '" + c.layer() + "' (Concatenate) joins tensors of ranks " + rank + " and " + v.rank());
      }
      for (int i = 1; i < rank; i++) {
        if (i != a && shape[i] != v.shape()[i] && shape[i] != Shape.UNKNOWN && v.shape()[i] != Shape.UNKNOWN) {
          throw format("layer '" + c.layer() + "' (Concatenate): shapes " + Arrays.toString(first.shape()) + " and "
              + Arrays.toString(v.shape()) + " differ outside axis " + kAxis);
        }
      }
      shape[a] = shape[a] == Shape.UNKNOWN || v.shape()[a] == Shape.UNKNOWN ? Shape.UNKNOWN : shape[a] + v.shape()[a];
      names.add(v.ir());
    }
    return new Value(emit(c.base(), new Op.Concat(irAxis(c, first, kAxis)), names, c.base(), shape), shape, null);
  }

  private Value pool(Call c, Value x, boolean average) {
    requireChannelsLast(c);
    requireRank(c, x, 4);
    int[] k = ints(c, "pool_size", 2, new int[] {2, 2});
    JsonNode strides = c.config().get("strides");
    int[] s = strides == null || strides.isNull() ? k : ints(c, "strides", 2, k);
    int[] d = {1, 1};
    Op op;
    Padding pad;
    if (average) {
      // Keras's own "same" averages only real cells; zeros from a ZeroPadding2D layer are real cells.
      boolean zeroPadded = x.pendingPad() != null;
      if (zeroPadded && !optText(c.config(), "padding", "valid").equals("valid")) {
        throw new UnsupportedOpException(c.layer(), c.className(), "'same' padding after ZeroPadding2D in " + where
            + " (the two paddings count differently in the average)");
      }
      pad = padding(c, x, k, s, d);
      op = new Op.AveragePool(ImmutableIntArray.copyOf(k), ImmutableIntArray.copyOf(s), pad, zeroPadded, false);
    } else {
      pad = padding(c, x, k, s, d);
      op = new Op.MaxPool(ImmutableIntArray.copyOf(k), ImmutableIntArray.copyOf(s), ImmutableIntArray.copyOf(d), pad, false);
    }
    int[] out = {x.shape()[0], outSize(c, x.shape()[1], k[0], s[0], 1, pad, 0, x), outSize(c, x.shape()[2], k[1], s[1], 1, pad, 1, x), x.shape()[3]};
    return new Value(emit(c.base(), op, List.of(x.ir()), c.base(), out), out, null);
  }

  private Value globalAveragePool(Call c, Value x) {
    requireChannelsLast(c);
    requireRank(c, x, 4);
    boolean keep = c.config().path("keepdims").asBoolean(false);
    int[] kept = {x.shape()[0], 1, 1, x.shape()[3]};
    if (keep) {
      return new Value(emit(c.base(), new Op.GlobalAveragePool(), List.of(x.ir()), c.base(), kept), kept, null);
    }
    String gap = emit(c.base(), new Op.GlobalAveragePool(), List.of(x.ir()), c.base() + "/pooled", kept);
    int[] out = {x.shape()[0], x.shape()[3]};
    return new Value(emit(c.base() + "/flatten", new Op.Flatten(1), List.of(gap), c.base(), out), out, null);
  }

  private Value flatten(Call c, Value x) {
    requireChannelsLast(c);
    int[] out = {x.shape()[0], known(x.shape(), 1) ? product(x.shape(), 1) : Shape.UNKNOWN};
    String in = toKerasOrder(c, x);
    return new Value(emit(c.base(), new Op.Flatten(1), List.of(in), c.base(), out), out, null);
  }

  private Value dense(Call c, Value x) {
    JsonNode cfg = c.config();
    String act = activationName(c);
    activationOp(c, act, x);
    int units = positive(c, "units");
    int in = x.shape()[x.rank() - 1];
    if (in == Shape.UNKNOWN) {
      throw format("layer '" + c.layer() + "' (Dense): input " + Arrays.toString(x.shape()) + " has an unknown last dimension");
    }
    Map<String, WeightSource.WeightArray> w = layerWeights(c);
    WeightSource.WeightArray kernel = require(c, w, "kernel", in, units);
    String kName = initializer(c.layer() + "/kernel", Shape.of(in, units), kernel.data());
    boolean useBias = cfg.path("use_bias").asBoolean(true);
    String bName = useBias ? bias(c, w, "bias", units) : "";
    int[] out = x.shape().clone();
    out[out.length - 1] = units;
    if (x.rank() == 2) {
      return withActivation(c, new Op.Gemm(1f, 1f, false, false), List.of(x.ir(), kName, bName), out, act);
    }
    // Keras applies Dense to the last axis of any rank: for spatial data that is C of NHWC.
    String nhwc = toKerasOrder(c, x);
    Op actOp = activationOp(c, act, new Value("", out, null));
    boolean back = x.rank() == 4;
    String product = emit(c.base(), new Op.MatMul(), List.of(nhwc, kName),
        !useBias && actOp == null && !back ? c.base() : c.base() + "/matmul", out);
    String y = product;
    if (useBias) {
      y = emit(c.base() + "/bias_add", new Op.Add(), List.of(product, bName),
          actOp == null && !back ? c.base() : c.base() + "/biased", out);
    }
    if (back) {
      y = emit(c.base() + "/to_nchw", new Op.Transpose(TO_NCHW), List.of(y), actOp == null ? c.base() : c.base() + "/nchw", out);
    }
    if (actOp != null) {
      y = emitActivation(c.base() + "/" + act, act, actOp, y, c.base(), out);
    }
    return new Value(y, out, null);
  }

  private Value zeroPadding(Call c, Value x) {
    requireChannelsLast(c);
    requireRank(c, x, 4);
    JsonNode p = c.config().get("padding");
    int[] tblr;
    if (p == null || p.isNull()) {
      tblr = new int[] {1, 1, 1, 1};
    } else if (p.isInt()) {
      tblr = new int[] {p.asInt(), p.asInt(), p.asInt(), p.asInt()};
    } else if (p.isArray() && p.size() == 2 && p.get(0).isInt() && p.get(1).isInt()) {
      tblr = new int[] {p.get(0).asInt(), p.get(0).asInt(), p.get(1).asInt(), p.get(1).asInt()};
    } else if (p.isArray() && p.size() == 2 && p.get(0).isArray() && p.get(1).isArray()
        && p.get(0).size() == 2 && p.get(1).size() == 2) {
      tblr = new int[] {p.get(0).get(0).asInt(), p.get(0).get(1).asInt(), p.get(1).get(0).asInt(), p.get(1).get(1).asInt()};
    } else {
      throw format("layer '" + c.layer() + "' (ZeroPadding2D): padding " + p + " is not an int, [h, w] or [[top, bottom], [left, right]]");
    }
    for (int v : tblr) {
      if (v < 0) {
        throw format("layer '" + c.layer() + "' (ZeroPadding2D): negative padding " + p);
      }
    }
    // The IR has no Pad op: the padding travels with the tensor until a Conv or AveragePool folds it in.
    int[] acc = x.pendingPad() == null ? new int[4] : x.pendingPad().clone();
    for (int i = 0; i < 4; i++) {
      acc[i] += tblr[i];
    }
    int[] s = x.shape();
    int[] out = {s[0], s[1] == Shape.UNKNOWN ? s[1] : s[1] + tblr[0] + tblr[1], s[2] == Shape.UNKNOWN ? s[2] : s[2] + tblr[2] + tblr[3], s[3]};
    return new Value(x.ir(), out, acc);
  }

  private Value reshape(Call c, Value x) {
    JsonNode t = c.config().get("target_shape");
    if (t == null || !t.isArray() || t.isEmpty()) {
      throw format("layer '" + c.layer() + "' (Reshape) has no target_shape");
    }
    int[] target = new int[t.size()];
    int inferred = -1;
    for (int i = 0; i < target.length; i++) {
      target[i] = t.get(i).asInt(0);
      if (target[i] == -1 && inferred < 0) {
        inferred = i;
      } else if (target[i] <= 0) {
        throw format("layer '" + c.layer() + "' (Reshape): target_shape " + t + " has a dimension that is neither positive nor one -1");
      }
    }
    int[] out = new int[target.length + 1];
    out[0] = x.shape()[0];
    System.arraycopy(target, 0, out, 1, target.length);
    if (inferred >= 0 && known(x.shape(), 1)) {
      int rest = product(target, 0) / -1;
      int total = product(x.shape(), 1);
      if (rest == 0 || total % rest != 0) {
        throw format("layer '" + c.layer() + "' (Reshape): cannot reshape " + Arrays.toString(x.shape()) + " to " + t);
      }
      out[inferred + 1] = total / rest;
    } else if (inferred < 0 && known(x.shape(), 1) && product(x.shape(), 1) != product(target, 0)) {
      throw format("layer '" + c.layer() + "' (Reshape): cannot reshape " + Arrays.toString(x.shape()) + " to " + t);
    }
    String in = toKerasOrder(c, x);
    int[] irShape = new int[out.length];
    irShape[0] = 0;
    System.arraycopy(target, 0, irShape, 1, target.length);
    boolean rank4 = out.length == 4;
    String y = emit(c.base(), new Op.Reshape(ImmutableIntArray.copyOf(irShape)), List.of(in),
        rank4 ? c.base() + "/nhwc" : c.base(), out);
    if (rank4) {
      y = emit(c.base() + "/to_nchw", new Op.Transpose(TO_NCHW), List.of(y), c.base(), out);
    }
    return new Value(y, out, null);
  }

  // ---------------------------------------------------------------- activations

  private String activationName(Call c) {
    JsonNode a = c.config().get("activation");
    if (a == null || a.isNull()) {
      return "linear";
    }
    if (a.isTextual()) {
      return a.asText();
    }
    // Keras 3 serializes built-in activations as {"class_name": "function", "config": "relu", ...}.
    if (a.isObject() && a.path("config").isTextual()) {
      return a.get("config").asText();
    }
    throw new UnsupportedOpException(c.layer(), c.className(), "custom activation " + a + " in " + where);
  }

  /** The op for a Keras activation name, null for "linear". */
  private Op activationOp(Call c, String act, Value x) {
    ActivationConverter converter = ACTIVATIONS.get(act);
    if (converter == null) {
      throw unsupportedActivation(c.layer(), c.className(), act);
    }
    return converter.convert(this, c, x);
  }

  private UnsupportedOpException unsupportedActivation(String layer, String cls, String act) {
    return new UnsupportedOpException(layer, cls, "activation '" + act + "' in " + where + "; supported activations: "
        + Joiner.on(", ").join(ACTIVATIONS.keySet()));
  }

  /** {@code op} applied to {@code inputs}, then the layer's activation; the last tensor is named after the layer. */
  private Value withActivation(Call c, Op op, List<String> inputs, int[] out, String act) {
    Op actOp = activationOp(c, act, new Value("", out, null));
    String y = emit(c.base(), op, inputs, actOp == null ? c.base() : c.base() + "/preact", out);
    if (actOp != null) {
      y = emitActivation(c.base() + "/" + act, act, actOp, y, c.base(), out);
    }
    return new Value(y, out, null);
  }

  // ---------------------------------------------------------------- padding and shapes

  /**
   * The IR padding for a window op, folding in zero padding left by ZeroPadding2D layers (which
   * needs the spatial size when the layer itself pads "same").
   */
  private Padding padding(Call c, Value x, int[] k, int[] s, int[] d) {
    String mode = optText(c.config(), "padding", "valid");
    Padding own;
    if (mode.equals("valid")) {
      own = Padding.valid();
    } else if (mode.equals("same")) {
      own = Padding.sameUpper();
    } else {
      throw new UnsupportedOpException(c.layer(), c.className(), "padding '" + mode + "' in " + where);
    }
    int[] pp = x.pendingPad();
    if (pp == null) {
      return own;
    }
    int[] pre = {pp[0], pp[2]};
    int[] post = {pp[1], pp[3]};
    if (own instanceof Padding.Same) {
      int h = x.shape()[1];
      int w = x.shape()[2];
      if (h == Shape.UNKNOWN || w == Shape.UNKNOWN) {
        throw new UnsupportedOpException(c.layer(), c.className(), "'same' padding after ZeroPadding2D on inputs of unknown"
            + " spatial size in " + where);
      }
      Padding.Explicit e = own.resolve(new int[] {h, w}, ImmutableIntArray.copyOf(k), ImmutableIntArray.copyOf(s),
          ImmutableIntArray.copyOf(d));
      for (int i = 0; i < 2; i++) {
        pre[i] += e.begins().get(i);
        post[i] += e.ends().get(i);
      }
    }
    return Padding.Explicit.of(pre, post);
  }

  /** Output extent of one spatial axis; the input extent in {@code x} includes any pending zero pad. */
  private int outSize(Call c, int in, int k, int s, int d, Padding pad, int axis, Value x) {
    int size;
    if (pad instanceof Padding.Same) {
      size = ShapeInference.windowOutputs(new int[] {in}, ImmutableIntArray.of(k), ImmutableIntArray.of(s),
          ImmutableIntArray.of(d), pad, false)[0];
    } else {
      int begin = 0;
      int end = 0;
      int pending = 0;
      if (pad instanceof Padding.Explicit) {
        // x's Keras shape already counts the pending pad; the op's own pads include it too.
        Padding.Explicit e = (Padding.Explicit) pad;
        int[] pp = x.pendingPad();
        pending = pp == null ? 0 : axis == 0 ? pp[0] + pp[1] : pp[2] + pp[3];
        begin = e.begins().get(axis);
        end = e.ends().get(axis);
      }
      size = ShapeInference.windowOutput(in == Shape.UNKNOWN ? in : in - pending, begin, end, k, s, d, false);
    }
    if (size == 0) {
      throw format("layer '" + c.layer() + "' (" + c.className() + "): window " + k + " (dilation " + d
          + ") does not fit an input of extent " + in);
    }
    return size;
  }

  private int[] broadcast(Call c, int[] a, int[] b) {
    String message = "layer '" + c.layer() + "' (" + c.className() + ") combines tensors of shapes " + Arrays.toString(a)
        + " and " + Arrays.toString(b);
    if (a.length != b.length) {
      throw format(message);
    }
    try {
      return ShapeInference.broadcast(Shape.of(a), Shape.of(b)).toArray();
    } catch (GraphException e) {
      throw format(message);
    }
  }

  /** IR axis for a Keras axis of {@code x} (Keras's last axis of a rank-4 tensor is the IR's axis 1). */
  private int irAxis(Call c, Value x, int kerasAxis) {
    int r = x.rank();
    int a = kerasAxis < 0 ? kerasAxis + r : kerasAxis;
    if (a < 0 || a >= r) {
      throw format("layer '" + c.layer() + "' (" + c.className() + "): axis " + kerasAxis + " is out of range for rank " + r);
    }
    if (r != 4) {
      return a;
    }
    return a == 0 ? 0 : a == 3 ? 1 : a + 1;
  }

  /** The tensor in Keras's element order: rank-4 tensors are transposed back to NHWC. */
  private String toKerasOrder(Call c, Value x) {
    if (x.rank() != 4) {
      return x.ir();
    }
    return emit(c.base() + "/to_nhwc", new Op.Transpose(TO_NHWC), List.of(x.ir()), c.base() + "/nhwc", x.shape());
  }

  private Value plain(Call c, Value v) {
    requireNoPendingPad(v, c.layer(), c.className());
    return v;
  }

  private void requireNoPendingPad(Value v, String layer, String consumer) {
    if (v.pendingPad() != null) {
      throw new UnsupportedOpException(layer, consumer, "reads the output of a ZeroPadding2D layer in " + where
          + "; zero padding is only supported directly before Conv2D, DepthwiseConv2D or AveragePooling2D");
    }
  }

  private Value single(Call c, List<Value> ins) {
    if (ins.size() != 1) {
      throw format("layer '" + c.layer() + "' (" + c.className() + ") takes one input, got " + ins.size());
    }
    return ins.get(0);
  }

  private void requireRank(Call c, Value x, int rank) {
    if (x.rank() != rank) {
      throw format("layer '" + c.layer() + "' (" + c.className() + ") needs a rank-" + rank + " input, got shape "
          + Arrays.toString(x.shape()));
    }
  }

  private void requireChannelsLast(Call c) {
    String df = optText(c.config(), "data_format", "channels_last");
    if (!df.equals("channels_last")) {
      throw new UnsupportedOpException(c.layer(), c.className(), "data_format '" + df + "' in " + where
          + "; only channels_last is supported");
    }
  }

  private static boolean known(int[] shape, int from) {
    for (int i = from; i < shape.length; i++) {
      if (shape[i] == Shape.UNKNOWN) {
        return false;
      }
    }
    return true;
  }

  private static int product(int[] shape, int from) {
    long p = 1;
    for (int i = from; i < shape.length; i++) {
      p *= shape[i];
    }
    return Math.toIntExact(p);
  }

  // ---------------------------------------------------------------- weights

  private Map<String, WeightSource.WeightArray> layerWeights(Call c) {
    Map<String, WeightSource.WeightArray> w = weights.layer(c.layer());
    if (w == null) {
      throw new ModelFormatException("file " + where + ": no weights stored for layer '" + c.layer() + "' (" + c.className() + ")");
    }
    return w;
  }

  private WeightSource.WeightArray require(Call c, Map<String, WeightSource.WeightArray> w, String role, int... dims) {
    WeightSource.WeightArray a = w.get(role);
    if (a == null) {
      throw new ModelFormatException("file " + where + ": layer '" + c.layer() + "' (" + c.className() + ") has no '" + role
          + "' weight (stored: " + w.keySet() + ")");
    }
    if (!Arrays.equals(a.dims(), dims)) {
      throw new ModelFormatException("file " + where + ": layer '" + c.layer() + "' (" + c.className() + "): weight '" + role
          + "' (" + a.path() + ") has shape " + a.dimsString() + ", expected " + Arrays.toString(dims));
    }
    return a;
  }

  /** A rank-1 weight of length n, added as initializer "<layer>/<role>". */
  private String bias(Call c, Map<String, WeightSource.WeightArray> w, String role, int n) {
    return initializer(c.layer() + "/" + role, Shape.of(n), require(c, w, role, n).data());
  }

  private String constant(String name, int n, float value) {
    float[] v = new float[n];
    Arrays.fill(v, value);
    return initializer(name, Shape.of(n), v);
  }

  /** Weights of a layer called several times are shared: a second call reuses the same initializer. */
  private String initializer(String name, Shape shape, float[] data) {
    if (graph.hasInitializer(name)) {
      return name;
    }
    if (!tensorNames.add(name)) {
      throw format("weight name '" + name + "' collides with another tensor");
    }
    graph.initializer(name, Tensor.wrapFloats(shape, data));
    shapes.put(name, shape);
    return name;
  }

  // ---------------------------------------------------------------- naming and emission

  /** Adds a node with a unique name and one output, returns the output's (unique) tensor name. */
  private String emit(String nodeName, Op op, List<String> inputs, String output, int[] kerasShape) {
    String n = unique(nodeName, nodeNames);
    String t = claimTensor(output);
    graph.node(Node.of(n, op, inputs, List.of(t)));
    shapes.put(t, Shape.of(kerasShape));
    return t;
  }

  private String claimTensor(String name) {
    return unique(name, tensorNames);
  }

  private static String unique(String name, Set<String> taken) {
    if (taken.add(name)) {
      return name;
    }
    for (int i = 1; ; i++) {
      String candidate = name + "_" + i;
      if (taken.add(candidate)) {
        return candidate;
      }
    }
  }

  // ---------------------------------------------------------------- config access

  private String layerName(JsonNode l) {
    JsonNode n = l.get("name");
    if (n == null || !n.isTextual()) {
      n = l.path("config").get("name");
    }
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw format("a layer has no name: " + abbreviate(l.toString()));
    }
    return n.asText();
  }

  private JsonNode layerConfig(JsonNode l) {
    JsonNode cfg = l.get("config");
    if (cfg == null || !cfg.isObject()) {
      throw format("layer '" + layerName(l) + "' has no config object");
    }
    return cfg;
  }

  private int[] ints(Call c, String key, int n, int[] dflt) {
    JsonNode v = c.config().get(key);
    if (v == null || v.isNull()) {
      if (dflt == null) {
        throw format("layer '" + c.layer() + "' (" + c.className() + ") has no '" + key + "'");
      }
      return dflt.clone();
    }
    int[] out = new int[n];
    if (v.isInt()) {
      Arrays.fill(out, v.asInt());
    } else if (v.isArray() && v.size() == n) {
      for (int i = 0; i < n; i++) {
        if (!v.get(i).isInt()) {
          throw format("layer '" + c.layer() + "' (" + c.className() + "): '" + key + "' " + v + " is not a list of integers");
        }
        out[i] = v.get(i).asInt();
      }
    } else {
      throw format("layer '" + c.layer() + "' (" + c.className() + "): '" + key + "' " + v + " is not " + n + " integers");
    }
    for (int x : out) {
      if (x < 1) {
        throw format("layer '" + c.layer() + "' (" + c.className() + "): '" + key + "' " + v + " must be positive");
      }
    }
    return out;
  }

  private int positive(Call c, String key) {
    JsonNode v = c.config().get(key);
    if (v == null || !v.isInt() || v.asInt() < 1) {
      throw format("layer '" + c.layer() + "' (" + c.className() + "): '" + key + "' " + v + " is not a positive integer");
    }
    return v.asInt();
  }

  private String text(JsonNode n, String key, String what) {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual()) {
      throw format(what + " has no '" + key + "' string");
    }
    return v.asText();
  }

  private static String optText(JsonNode n, String key, String dflt) {
    JsonNode v = n.get(key);
    return v == null || !v.isTextual() ? dflt : v.asText();
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  private ModelFormatException format(String message) {
    return new ModelFormatException("file " + where + ": " + message);
  }
}
