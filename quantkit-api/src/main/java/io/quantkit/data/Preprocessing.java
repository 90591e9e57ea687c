package io.quantkit.data;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How images become a model's input, as data: resize (the shorter side to a length, keeping the
 * aspect ratio, or to an exact size), center crop, scale, per-channel mean and standard deviation,
 * RGB or BGR channel order, NHWC or NCHW layout and the element type. Applied in that order to
 * NHWC RGB images of raw pixel values 0..255 (what every {@link Dataset} of images gives):
 * {@code out = (pixel * scale - mean[c]) / std[c]}, with mean and std in the model's channel
 * order (after the RGB to BGR swap).
 *
 * <p>Named presets cover the usual conventions ({@link #preset}): {@code raw} (pixels 0..255, as
 * Keras models trained without rescaling, e.g. MLPerf Tiny's ResNet8), {@code unit} (pixels / 255),
 * {@code tf} (-1..1, Keras {@code preprocess_input} mode "tf"), {@code torch} (torchvision's
 * ImageNet mean and std on 0..1, NCHW) and {@code caffe} (BGR minus the ImageNet channel means).
 *
 * <p>The text form ({@link #format()}, {@link #parse}) is what plans and reports record, e.g.
 * {@code resize=256,crop=224x224,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,nchw};
 * the identity is {@code raw}. {@code parse(format())} gives an equal object.
 *
 * <p>Thread-safety: immutable and thread-safe; its {@link Builder} is not.
 */
public final class Preprocessing {
  /** Memory order of an image batch. */
  public enum Layout {
    /** [N, H, W, C] (TensorFlow/Keras). */
    NHWC,
    /** [N, C, H, W] (PyTorch, most ONNX models). */
    NCHW
  }

  private static final ImmutableMap<String, String> PRESETS = ImmutableMap.of(
      "raw", "raw",
      "unit", "scale=1/255",
      "tf", "scale=1/127.5,mean=1",
      "torch", "scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,nchw",
      "caffe", "bgr,mean=103.939/116.779/123.68");

  private static final Preprocessing IDENTITY = builder().build();

  private final int resizeShorter;
  private final int resizeHeight;
  private final int resizeWidth;
  private final int cropHeight;
  private final int cropWidth;
  private final double scale;
  private final double[] mean;
  private final double[] std;
  private final boolean bgr;
  private final boolean gray;
  private final Layout layout;
  private final DataType dtype;

  private Preprocessing(Builder b) {
    this.resizeShorter = b.resizeShorter;
    this.resizeHeight = b.resizeHeight;
    this.resizeWidth = b.resizeWidth;
    this.cropHeight = b.cropHeight;
    this.cropWidth = b.cropWidth;
    this.scale = b.scale;
    this.mean = b.mean.clone();
    this.std = b.std.clone();
    this.bgr = b.bgr;
    this.gray = b.gray;
    this.layout = b.layout;
    this.dtype = b.dtype;
  }

  /** Raw pixels 0..255, NHWC, float32, no resize: what the datasets give. */
  public static Preprocessing none() {
    return IDENTITY;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The preset names, for help texts: raw, unit, tf, torch, caffe. */
  public static List<String> presetNames() {
    return PRESETS.keySet().asList();
  }

  /**
   * A named convention: {@code raw}, {@code unit}, {@code tf}, {@code torch} or {@code caffe}.
   *
   * @throws IllegalArgumentException for another name, listing the presets
   */
  public static Preprocessing preset(String name) {
    String text = PRESETS.get(name.toLowerCase(Locale.ROOT).trim());
    if (text == null) {
      throw new IllegalArgumentException("unknown preprocessing preset '" + name + "'; presets: " + PRESETS.keySet());
    }
    return parse(text);
  }

  /**
   * The text form: comma-separated items, each a preset name (expanded in place, later items
   * override it), {@code resize=N} (shorter side), {@code resize=HxW}, {@code crop=HxW} (or
   * {@code crop=N} for a square), {@code scale=X} or {@code scale=1/X}, {@code mean=A/B/C} (or one
   * value for every channel), {@code std=A/B/C}, {@code bgr} or {@code rgb}, {@code gray} (one
   * luminance channel, ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B), {@code nhwc} or
   * {@code nchw}, {@code dtype=float32|uint8|int8|int32}.
   *
   * @throws IllegalArgumentException naming the item that is wrong
   */
  public static Preprocessing parse(String text) {
    Preconditions.checkNotNull(text, "text");
    Builder b = builder();
    apply(b, text, 0);
    return b.build();
  }

  private static void apply(Builder b, String text, int depth) {
    for (String raw : text.split(",")) {
      String item = raw.trim().toLowerCase(Locale.ROOT);
      if (item.isEmpty()) {
        continue;
      }
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq).trim();
      String value = eq < 0 ? null : item.substring(eq + 1).trim();
      try {
        switch (key) {
          case "bgr" -> b.bgr(true);
          case "rgb" -> b.bgr(false);
          case "gray" -> b.gray(true);
          case "nhwc" -> b.layout(Layout.NHWC);
          case "nchw" -> b.layout(Layout.NCHW);
          case "resize" -> {
            int[] hw = size(value, false);
            if (hw.length == 1) {
              b.resizeShorter(hw[0]);
            } else {
              b.resize(hw[0], hw[1]);
            }
          }
          case "crop" -> {
            int[] hw = size(value, true);
            b.crop(hw[0], hw[1]);
          }
          case "scale" -> b.scale(number(value));
          case "mean" -> b.mean(numbers(value));
          case "std" -> b.std(numbers(value));
          case "dtype" -> b.dtype(dataType(value));
          case "layout" -> b.layout(Layout.valueOf(value.toUpperCase(Locale.ROOT)));
          default -> {
            if (value == null && PRESETS.containsKey(key) && depth == 0) {
              apply(b, PRESETS.get(key), depth + 1);
            } else if (value == null && key.equals("raw")) {
              // the identity: nothing to set
            } else {
              throw new IllegalArgumentException("unknown item");
            }
          }
        }
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new IllegalArgumentException("bad preprocessing item '" + raw.trim() + "' in '" + text + "'"
            + (e.getMessage() == null || e.getMessage().equals("unknown item") ? "" : ": " + e.getMessage())
            + "; items: a preset " + PRESETS.keySet() + ", resize=N|HxW, crop=HxW, scale=X|1/X, mean=A/B/C, std=A/B/C, "
            + "bgr|rgb, gray, nhwc|nchw, dtype=float32|uint8|int8|int32", e);
      }
    }
  }

  private static int[] size(String value, boolean square) {
    String[] parts = value.split("x");
    if (parts.length == 1) {
      int n = Integer.parseInt(parts[0].trim());
      return square ? new int[] {n, n} : new int[] {n};
    }
    if (parts.length != 2) {
      throw new IllegalArgumentException("expected N or HxW");
    }
    return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
  }

  private static double number(String value) {
    int slash = value.indexOf('/');
    if (slash >= 0) {
      return Double.parseDouble(value.substring(0, slash).trim()) / Double.parseDouble(value.substring(slash + 1).trim());
    }
    return Double.parseDouble(value);
  }

  private static double[] numbers(String value) {
    String[] parts = value.split("[/:]");
    double[] out = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Double.parseDouble(parts[i].trim());
    }
    return out;
  }

  private static DataType dataType(String value) {
    return switch (value) {
      case "float32", "float" -> DataType.FLOAT32;
      case "uint8" -> DataType.UINT8;
      case "int8" -> DataType.INT8;
      case "int32" -> DataType.INT32;
      default -> throw new IllegalArgumentException("dtype must be float32, uint8, int8 or int32");
    };
  }

  /** The canonical text form (see {@link #parse}); {@code raw} for the identity. */
  public String format() {
    List<String> items = new ArrayList<>();
    if (resizeShorter > 0) {
      items.add("resize=" + resizeShorter);
    } else if (resizeHeight > 0) {
      items.add("resize=" + resizeHeight + "x" + resizeWidth);
    }
    if (cropHeight > 0) {
      items.add("crop=" + cropHeight + "x" + cropWidth);
    }
    if (scale != 1) {
      items.add("scale=" + formatScale(scale));
    }
    if (bgr) {
      items.add("bgr");
    }
    if (gray) {
      items.add("gray");
    }
    if (!isZero(mean)) {
      items.add("mean=" + join(mean));
    }
    if (!isOne(std)) {
      items.add("std=" + join(std));
    }
    if (layout == Layout.NCHW) {
      items.add("nchw");
    }
    if (dtype != DataType.FLOAT32) {
      items.add("dtype=" + dtype.name().toLowerCase(Locale.ROOT));
    }
    return items.isEmpty() ? "raw" : String.join(",", items);
  }

  private static String formatScale(double s) {
    double inv = 1 / s;
    if (inv == Math.rint(inv) && 1 / inv == s) {
      return "1/" + (long) inv;
    }
    double inv2 = Math.rint(inv * 10) / 10;
    if (1 / inv2 == s) {
      return "1/" + num(inv2);
    }
    return num(s);
  }

  private static String join(double[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(i == 0 ? "" : "/").append(num(v[i]));
    }
    return sb.toString();
  }

  private static String num(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  private static boolean isZero(double[] v) {
    return Arrays.stream(v).allMatch(x -> x == 0);
  }

  private static boolean isOne(double[] v) {
    return Arrays.stream(v).allMatch(x -> x == 1);
  }

  /** Whether this changes nothing (raw NHWC float32 pixels, no resize). */
  public boolean isIdentity() {
    return equals(IDENTITY);
  }

  /** Whether it resizes or crops. */
  public boolean hasGeometry() {
    return resizeShorter > 0 || resizeHeight > 0 || cropHeight > 0;
  }

  /** The same without resize and crop (for images that were resized while decoded). */
  public Preprocessing withoutGeometry() {
    return toBuilder().resizeShorter(0).resize(0, 0).crop(0, 0).build();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.resizeShorter = resizeShorter;
    b.resizeHeight = resizeHeight;
    b.resizeWidth = resizeWidth;
    b.cropHeight = cropHeight;
    b.cropWidth = cropWidth;
    b.scale = scale;
    b.mean = mean.clone();
    b.std = std.clone();
    b.bgr = bgr;
    b.gray = gray;
    b.layout = layout;
    b.dtype = dtype;
    return b;
  }

  /** Shorter-side length to resize to; 0 when not. */
  public int resizeShorter() {
    return resizeShorter;
  }

  /** Exact resize height; 0 when not. */
  public int resizeHeight() {
    return resizeHeight;
  }

  /** Exact resize width; 0 when not. */
  public int resizeWidth() {
    return resizeWidth;
  }

  /** Center-crop height; 0 when not. */
  public int cropHeight() {
    return cropHeight;
  }

  /** Center-crop width; 0 when not. */
  public int cropWidth() {
    return cropWidth;
  }

  public double scale() {
    return scale;
  }

  /** Per-channel means (a copy): one value for every channel, or one per channel. */
  public double[] mean() {
    return mean.clone();
  }

  /** Per-channel standard deviations (a copy). */
  public double[] std() {
    return std.clone();
  }

  public boolean bgr() {
    return bgr;
  }

  /** Whether RGB images become one luminance channel. */
  public boolean gray() {
    return gray;
  }

  public Layout layout() {
    return layout;
  }

  public DataType dtype() {
    return dtype;
  }

  /** The height and width after resize and crop of an image of {@code h x w}. */
  public int[] outputSize(int h, int w) {
    int[] hw = resized(h, w);
    return cropHeight > 0 ? new int[] {cropHeight, cropWidth} : hw;
  }

  private int[] resized(int h, int w) {
    if (resizeShorter > 0) {
      // torchvision's rule: the longer side is truncated, not rounded
      return h <= w ? new int[] {resizeShorter, (int) ((long) resizeShorter * w / h)}
          : new int[] {(int) ((long) resizeShorter * h / w), resizeShorter};
    }
    return resizeHeight > 0 ? new int[] {resizeHeight, resizeWidth} : new int[] {h, w};
  }

  /** The shape of one sample after this, for a sample of {@code hwc} = [H, W, C]. */
  public Shape sampleShape(Shape hwc) {
    Preconditions.checkArgument(hwc.rank() == 3, "preprocessing applies to images [H, W, C], got %s", hwc);
    int[] hw = outputSize(hwc.dim(0), hwc.dim(1));
    int c = gray ? 1 : hwc.dim(2);
    return layout == Layout.NCHW ? Shape.of(c, hw[0], hw[1]) : Shape.of(hw[0], hw[1], c);
  }

  /**
   * Applies this to a batch of NHWC RGB float32 images ([N, H, W, C], raw pixel values).
   *
   * @throws IllegalArgumentException when the images are not [N, H, W, C] float32, the crop is
   *     larger than the resized image, or mean/std have neither 1 nor C values
   */
  public Tensor apply(Tensor images) {
    Shape s = images.shape();
    Preconditions.checkArgument(s.rank() == 4 && images.type() == DataType.FLOAT32,
        "preprocessing applies to float32 image batches [N, H, W, C], got %s %s", images.type(), s);
    int n = s.dim(0);
    int h = s.dim(1);
    int w = s.dim(2);
    int c = s.dim(3);
    int outC = gray ? 1 : c;
    Preconditions.checkArgument((mean.length == 1 || mean.length == outC) && (std.length == 1 || std.length == outC),
        "mean %s and std %s need 1 or %s values (the model gets %s channels)", Arrays.toString(mean), Arrays.toString(std),
        outC, outC);
    float[] x = images.toFloatArray();
    int[] rs = resized(h, w);
    if (rs[0] != h || rs[1] != w) {
      x = bilinear(x, n, h, w, c, rs[0], rs[1]);
      h = rs[0];
      w = rs[1];
    }
    if (cropHeight > 0) {
      Preconditions.checkArgument(cropHeight <= h && cropWidth <= w, "crop %sx%s is larger than the image %sx%s",
          cropHeight, cropWidth, h, w);
      x = crop(x, n, h, w, c, cropHeight, cropWidth);
      h = cropHeight;
      w = cropWidth;
    }
    if (gray) {
      Preconditions.checkArgument(c == 3, "gray turns RGB images into one channel; these images have %s channels", c);
      float[] g = new float[x.length / 3];
      for (int p = 0; p < g.length; p++) {
        g[p] = 0.299f * x[3 * p] + 0.587f * x[3 * p + 1] + 0.114f * x[3 * p + 2];
      }
      x = g;
      c = 1;
    }
    int pixels = h * w;
    float[] out = new float[x.length];
    float[] m = new float[c];
    float[] inv = new float[c];
    for (int ch = 0; ch < c; ch++) {
      m[ch] = (float) mean[mean.length == 1 ? 0 : ch];
      inv[ch] = (float) (1 / std[std.length == 1 ? 0 : ch]);
    }
    float sc = (float) scale;
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < pixels; p++) {
        int src = (i * pixels + p) * c;
        for (int ch = 0; ch < c; ch++) {
          // the model's channel ch comes from source channel c-1-ch when swapping RGB to BGR
          float v = x[src + (bgr ? c - 1 - ch : ch)];
          float y = (v * sc - m[ch]) * inv[ch];
          int dst = layout == Layout.NHWC ? src + ch : (i * c + ch) * pixels + p;
          out[dst] = y;
        }
      }
    }
    Shape shape = layout == Layout.NHWC ? Shape.of(n, h, w, c) : Shape.of(n, c, h, w);
    return convert(out, shape);
  }

  private Tensor convert(float[] v, Shape shape) {
    switch (dtype) {
      case FLOAT32:
        return Tensor.wrapFloats(shape, v);
      case UINT8:
      case INT8: {
        int lo = dtype == DataType.UINT8 ? 0 : -128;
        int hi = dtype == DataType.UINT8 ? 255 : 127;
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
          b[i] = (byte) Math.max(lo, Math.min(hi, Math.round(v[i])));
        }
        return Tensor.wrapBytes(dtype, shape, b);
      }
      case INT32: {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
          b[i] = Math.round(v[i]);
        }
        return Tensor.wrapInts(shape, b);
      }
      default:
        throw new IllegalStateException("dtype " + dtype);
    }
  }

  /**
   * Bilinear resampling with half-pixel centres (OpenCV's INTER_LINEAR, TF2's
   * {@code tf.image.resize} without antialiasing).
   */
  static float[] bilinear(float[] x, int n, int h, int w, int c, int oh, int ow) {
    float[] out = new float[n * oh * ow * c];
    int[] y0 = new int[oh];
    int[] y1 = new int[oh];
    float[] fy = new float[oh];
    axis(h, oh, y0, y1, fy);
    int[] x0 = new int[ow];
    int[] x1 = new int[ow];
    float[] fx = new float[ow];
    axis(w, ow, x0, x1, fx);
    for (int i = 0; i < n; i++) {
      int base = i * h * w * c;
      int obase = i * oh * ow * c;
      for (int oy = 0; oy < oh; oy++) {
        int r0 = base + y0[oy] * w * c;
        int r1 = base + y1[oy] * w * c;
        float wy = fy[oy];
        for (int ox = 0; ox < ow; ox++) {
          int a = x0[ox] * c;
          int b = x1[ox] * c;
          float wx = fx[ox];
          int o = obase + (oy * ow + ox) * c;
          for (int ch = 0; ch < c; ch++) {
            float top = x[r0 + a + ch] + (x[r0 + b + ch] - x[r0 + a + ch]) * wx;
            float bottom = x[r1 + a + ch] + (x[r1 + b + ch] - x[r1 + a + ch]) * wx;
            out[o + ch] = top + (bottom - top) * wy;
          }
        }
      }
    }
    return out;
  }

  private static void axis(int in, int out, int[] lo, int[] hi, float[] frac) {
    double ratio = (double) in / out;
    for (int o = 0; o < out; o++) {
      double src = Math.max(0, (o + 0.5) * ratio - 0.5);
      int l = Math.min((int) Math.floor(src), in - 1);
      lo[o] = l;
      hi[o] = Math.min(l + 1, in - 1);
      frac[o] = (float) (src - l);
    }
  }

  private static float[] crop(float[] x, int n, int h, int w, int c, int ch, int cw) {
    int top = (int) Math.round((h - ch) / 2.0);
    int left = (int) Math.round((w - cw) / 2.0);
    float[] out = new float[n * ch * cw * c];
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < ch; y++) {
        System.arraycopy(x, ((i * h + top + y) * w + left) * c, out, ((i * ch + y) * cw) * c, cw * c);
      }
    }
    return out;
  }

  /**
   * A warning for calibration images that come without any stated preprocessing: the range of
   * the values the model will be calibrated on (the first {@code samples} of {@code data}), so a
   * model trained on 0..1 or -1..1 is not silently calibrated on 0..255. Empty when
   * {@code stated}.
   */
  public static Optional<String> unstatedWarning(Dataset data, boolean stated, int samples) {
    if (stated || data.size() == 0) {
      return Optional.empty();
    }
    Batch b = data.batch(0, Math.min(Math.max(1, samples), data.size()));
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (Tensor t : b.inputs().values()) {
      for (float v : t.toFloatArray()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return Optional.of(String.format(Locale.ROOT, "no preprocessing stated: calibrating on the samples as they are, "
        + "values %s..%s (first %d samples of %s). If the model was trained on other values (pixels / 255, -1..1, "
        + "ImageNet mean/std), say so (--preset unit|tf|torch|caffe, --scale, --mean, --std); --preset raw keeps them "
        + "as they are and silences this warning", num(lo), num(hi), b.size(), data.name()));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p && resizeShorter == p.resizeShorter && resizeHeight == p.resizeHeight
        && resizeWidth == p.resizeWidth && cropHeight == p.cropHeight && cropWidth == p.cropWidth && scale == p.scale
        && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std) && bgr == p.bgr && gray == p.gray && layout == p.layout
        && dtype == p.dtype;
  }

  @Override
  public int hashCode() {
    return format().hashCode();
  }

  @Override
  public String toString() {
    return "Preprocessing(" + format() + ")";
  }

  /** Options; every one defaults to the identity. */
  public static final class Builder {
    private int resizeShorter;
    private int resizeHeight;
    private int resizeWidth;
    private int cropHeight;
    private int cropWidth;
    private double scale = 1;
    private double[] mean = {0};
    private double[] std = {1};
    private boolean bgr;
    private boolean gray;
    private Layout layout = Layout.NHWC;
    private DataType dtype = DataType.FLOAT32;

    private Builder() {}

    /** Resize so the shorter side is {@code side} pixels, keeping the aspect ratio (0: no resize). */
    public Builder resizeShorter(int side) {
      Preconditions.checkArgument(side >= 0 && side <= 16384, "resize side must be 1..16384, got %s", side);
      this.resizeShorter = side;
      if (side > 0) {
        resizeHeight = resizeWidth = 0;
      }
      return this;
    }

    /** Resize to exactly {@code height x width} (0, 0: no resize). */
    public Builder resize(int height, int width) {
      Preconditions.checkArgument(height >= 0 && width >= 0 && height <= 16384 && width <= 16384 && (height == 0) == (width == 0),
          "resize must be HxW with 1..16384 pixels each, got %sx%s", height, width);
      this.resizeHeight = height;
      this.resizeWidth = width;
      if (height > 0) {
        resizeShorter = 0;
      }
      return this;
    }

    /** Center-crop to {@code height x width} after resizing (0, 0: no crop). */
    public Builder crop(int height, int width) {
      Preconditions.checkArgument(height >= 0 && width >= 0 && height <= 16384 && width <= 16384 && (height == 0) == (width == 0),
          "crop must be HxW with 1..16384 pixels each, got %sx%s", height, width);
      this.cropHeight = height;
      this.cropWidth = width;
      return this;
    }

    /** Multiplies every pixel value (e.g. 1/255). */
    public Builder scale(double value) {
      Preconditions.checkArgument(Double.isFinite(value) && value != 0, "scale must be finite and non-zero, got %s", value);
      this.scale = value;
      return this;
    }

    /** Subtracted after scaling: one value for every channel, or one per channel. */
    public Builder mean(double... values) {
      Preconditions.checkArgument(values.length >= 1 && Arrays.stream(values).allMatch(Double::isFinite),
          "mean needs finite values, got %s", Arrays.toString(values));
      this.mean = values.clone();
      return this;
    }

    /** Divides after subtracting the mean: one value for every channel, or one per channel. */
    public Builder std(double... values) {
      Preconditions.checkArgument(values.length >= 1 && Arrays.stream(values).allMatch(v -> Double.isFinite(v) && v > 0),
          "std needs finite positive values, got %s", Arrays.toString(values));
      this.std = values.clone();
      return this;
    }

    /** Reverse the channel order (RGB images to a BGR model). */
    public Builder bgr(boolean value) {
      this.bgr = value;
      return this;
    }

    /** Turn RGB images into one luminance channel (0.299 R + 0.587 G + 0.114 B) before scaling. */
    public Builder gray(boolean value) {
      this.gray = value;
      return this;
    }

    public Builder layout(Layout value) {
      this.layout = Preconditions.checkNotNull(value);
      return this;
    }

    /** The model input's element type; integer types are rounded and clamped. */
    public Builder dtype(DataType value) {
      Preconditions.checkArgument(value != DataType.INT64, "dtype int64 is not supported for images");
      this.dtype = Preconditions.checkNotNull(value);
      return this;
    }

    public Preprocessing build() {
      if (mean.length > 1 && std.length > 1 && mean.length != std.length) {
        throw new IllegalArgumentException("mean has " + mean.length + " values but std " + std.length);
      }
      return new Preprocessing(this);
    }
  }
}
