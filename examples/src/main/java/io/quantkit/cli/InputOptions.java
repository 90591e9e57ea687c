package io.quantkit.cli;

import io.quantkit.data.Preprocessing;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * What the model is fed and how it is scored: image preprocessing (preset, resize, crop, scale,
 * mean/std, channel order, layout, element type), numpy arrays instead of images, and the task
 * (classification or regression). Shared by eval, compare, quantize, sweep and debug so one model
 * is calibrated, evaluated and compared on the same inputs.
 */
final class InputOptions {
  /** Graph metadata key under which quantize records the preprocessing in the models it writes. */
  static final String METADATA_KEY = "quantkit.preprocessing";

  @Option(names = "--preset", paramLabel = "NAME",
      description = "Image preprocessing convention: raw (pixels 0..255, the default), unit (/255), tf (-1..1), "
          + "torch (ImageNet mean/std on 0..1, NCHW) or caffe (BGR minus ImageNet means); the flags below override it.")
  String preset;

  @Option(names = "--resize", paramLabel = "N|HxW",
      description = "Resize images: N scales the shorter side to N (aspect kept; use with --crop), HxW to exactly H x W (bilinear).")
  String resize;

  @Option(names = "--crop", paramLabel = "HxW", description = "Center-crop to H x W (or N x N) after --resize.")
  String crop;

  @Option(names = "--scale", paramLabel = "X", description = "Multiply pixel values by X, e.g. 1/255 or 0.00784.")
  String scale;

  @Option(names = "--mean", split = ",", paramLabel = "M", description = "Subtract after scaling: one value or one per channel, e.g. 0.485,0.456,0.406.")
  List<Double> mean;

  @Option(names = "--std", split = ",", paramLabel = "S", description = "Divide after the mean: one value or one per channel.")
  List<Double> std;

  @Option(names = "--bgr", description = "Feed channels in BGR order (mean/std are then in BGR order too).")
  boolean bgr;

  @Option(names = "--gray", description = "Feed one luminance channel (0.299 R + 0.587 G + 0.114 B); default: when the model's "
      + "image input has one channel.")
  boolean gray;

  @Option(names = "--layout", paramLabel = "nhwc|nchw",
      description = "Image layout the model takes (default: from the model's input shape; NHWC when it does not tell).")
  String layout;

  @Option(names = "--input-dtype", paramLabel = "TYPE",
      description = "float32, uint8, int8 or int32 (default: the model input's type).")
  String inputDtype;

  @Option(names = "--arrays", paramLabel = "FILE",
      description = "Numpy .npz (or .npy) with one array per model input (named after the input, or in input order) instead of images.")
  Path arrays;

  @Option(names = "--labels-key", paramLabel = "KEY",
      description = "With --arrays: the array of integer labels (default: 'labels' if present; '' for none).")
  String labelsKey;

  @Option(names = "--task", paramLabel = "classify|regress",
      description = "classify (top-1 against labels) or regress (per-output SQNR and relative error). Default: regress when the "
          + "output has the input's shape (an autoencoder), else classify.")
  String task;

  /** Whether the input values were stated: a preset (even raw), --scale, --mean or --std. */
  boolean valuesStated() {
    return preset != null || scale != null || mean != null || std != null;
  }

  /** Whether any preprocessing flag was given (a preset counts, even raw). */
  boolean stated() {
    return preset != null || resize != null || crop != null || scale != null || mean != null || std != null || bgr
        || gray || layout != null || inputDtype != null;
  }

  /**
   * The preprocessing for a model with {@code inputs}: the preset and flags; without any, the one
   * recorded in the model (a QDQ model quantize wrote); layout and element type default to what the
   * model's input declares.
   */
  Preprocessing preprocessing(Graph model) {
    return preprocessing(model == null ? List.of() : model.inputs(), model == null ? null : model.metadata().get(METADATA_KEY));
  }

  Preprocessing preprocessing(List<ValueInfo> inputs, String recorded) {
    if (!stated() && recorded != null) {
      return Preprocessing.parse(recorded);
    }
    Preprocessing.Builder b = (preset == null ? Preprocessing.none() : Preprocessing.preset(preset)).toBuilder();
    List<String> items = new ArrayList<>();
    if (resize != null) {
      items.add("resize=" + resize.trim());
    }
    if (crop != null) {
      items.add("crop=" + crop.trim());
    }
    if (scale != null) {
      items.add("scale=" + scale.trim());
    }
    if (!items.isEmpty()) {
      Preprocessing p = Preprocessing.parse(String.join(",", items));
      if (resize != null) {
        b.resizeShorter(p.resizeShorter()).resize(p.resizeHeight(), p.resizeWidth());
      }
      if (crop != null) {
        b.crop(p.cropHeight(), p.cropWidth());
      }
      if (scale != null) {
        b.scale(p.scale());
      }
    }
    if (mean != null) {
      b.mean(mean.stream().mapToDouble(Double::doubleValue).toArray());
    }
    if (std != null) {
      b.std(std.stream().mapToDouble(Double::doubleValue).toArray());
    }
    if (bgr) {
      b.bgr(true);
    }
    ValueInfo in = inputs.size() == 1 ? inputs.get(0) : null;
    if (layout != null) {
      switch (layout.toLowerCase(Locale.ROOT)) {
        case "nhwc" -> b.layout(Preprocessing.Layout.NHWC);
        case "nchw" -> b.layout(Preprocessing.Layout.NCHW);
        default -> throw new IllegalArgumentException("--layout must be nhwc or nchw, not '" + layout + "'");
      }
    } else if (in != null) {
      // what the model plainly declares wins over a preset's layout (torch: NCHW)
      layoutOf(in.shape()).ifPresent(b::layout);
    }
    if (gray) {
      b.gray(true);
    } else if (in != null && in.shape().rank() == 4) {
      // a one-channel image input takes luminance (MNIST-like models) from RGB files
      Preprocessing.Layout l = b.build().layout();
      int channels = l == Preprocessing.Layout.NCHW ? in.shape().dim(1) : in.shape().dim(3);
      if (channels == 1) {
        b.gray(true);
      }
    }
    if (inputDtype != null) {
      b.dtype(switch (inputDtype.toLowerCase(Locale.ROOT)) {
        case "float32", "float" -> DataType.FLOAT32;
        case "uint8" -> DataType.UINT8;
        case "int8" -> DataType.INT8;
        case "int32" -> DataType.INT32;
        default -> throw new IllegalArgumentException("--input-dtype must be float32, uint8, int8 or int32, not '" + inputDtype + "'");
      });
    } else if (in != null && in.type() != DataType.INT64) {
      b.dtype(in.type());
    }
    return b.build();
  }

  /** NCHW for a rank-4 input with 1 or 3 channels second and not last, NHWC for the converse. */
  static Optional<Preprocessing.Layout> layoutOf(Shape s) {
    if (s.rank() != 4) {
      return Optional.empty();
    }
    boolean second = s.dim(1) == 1 || s.dim(1) == 3;
    boolean last = s.dim(3) == 1 || s.dim(3) == 3;
    if (second && !last) {
      return Optional.of(Preprocessing.Layout.NCHW);
    }
    if (last && !second) {
      return Optional.of(Preprocessing.Layout.NHWC);
    }
    return Optional.empty();
  }

  /**
   * True for regression: --task regress, or (no --task) an output whose shape per sample equals an
   * input's (an autoencoder).
   */
  boolean regression(Graph model) {
    if (task != null) {
      switch (task.toLowerCase(Locale.ROOT)) {
        case "classify", "classification" -> {
          return false;
        }
        case "regress", "regression" -> {
          return true;
        }
        default -> throw new IllegalArgumentException("--task must be classify or regress, not '" + task + "'");
      }
    }
    if (model == null) {
      return false;
    }
    for (String out : model.outputs()) {
      Shape os = outputShape(model, out);
      if (os == null) {
        continue;
      }
      for (ValueInfo in : model.inputs()) {
        if (sameSample(in.shape(), os)) {
          return true;
        }
      }
    }
    return false;
  }

  private static Shape outputShape(Graph g, String out) {
    try {
      return io.quantkit.ir.ShapeInference.infer(g).get(out).shape();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean sameSample(Shape a, Shape b) {
    if (a.rank() != b.rank() || a.rank() < 2) {
      return false;
    }
    for (int d = 1; d < a.rank(); d++) {
      if (a.dim(d) != b.dim(d) || a.dim(d) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Says on {@code err} when the preprocessing came from the model rather than the flags. */
  void note(Graph model, java.io.PrintWriter err) {
    String recorded = model == null ? null : model.metadata().get(METADATA_KEY);
    if (arrays == null && !stated() && recorded != null) {
      err.println("preprocessing recorded in the model: " + recorded);
    }
  }

  /**
   * {@code graph} with the plan's preprocessing recorded in its metadata, so eval and compare of
   * the written model prepare images the way calibration did.
   */
  static Graph record(Graph graph, io.quantkit.quant.QuantPlan plan) {
    String p = plan.metadata().get("preprocessing");
    return p == null || p.startsWith("arrays ") ? graph : graph.toBuilder().metadata(METADATA_KEY, p).build();
  }
}
