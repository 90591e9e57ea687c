package io.quantkit.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.QuantkitException;
import io.quantkit.internal.JsonFiles;
import io.quantkit.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Classification accuracy of one model/backend/precision on one dataset, optionally against a
 * baseline run on the same samples (typically FP32 vs INT8).
 *
 * <p>Predictions are the arg-max of each score row; ties go to the lowest class index. Top-5
 * counts a sample when its label ranks among the five best scores (ties ordered by class index,
 * the same rule), and is 1.0 when there are five classes or fewer. A class without samples has a
 * null per-class accuracy.
 *
 * <p>Immutable; arrays handed out are copies. JSON field names are part of the file format, tagged
 * {@link #FORMAT}; reports written before the tag existed still load.
 */
@JsonPropertyOrder({"format", "model", "backend", "precision", "dataset", "samples", "top1", "top5", "dropPoints", "flips",
    "classNames", "perClassAccuracy", "confusion", "predictions"})
/**
 * Thread-safety: immutable and thread-safe; its {@link Builder} accumulates and is not.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class AccuracyReport {
  /** Format tag written into every report file. */
  public static final String FORMAT = "quantkit.accuracy-report/1";

  private final int samples;
  private final double top1;
  private final double top5;
  /** Unmodifiable; nulls mark classes without samples (so not an ImmutableList). */
  private final List<Double> perClassAccuracyList;
  private final int[][] confusion;
  private final ImmutableList<String> classNames;
  private final String model;
  private final String backend;
  private final String precision;
  private final String dataset;
  private final int[] predictions;
  private final Double dropPoints;
  private final Integer flips;

  @JsonCreator
  static AccuracyReport fromJsonFields(
      @JsonProperty("format") String format,
      @JsonProperty("samples") int samples,
      @JsonProperty("top1") double top1,
      @JsonProperty("top5") double top5,
      @JsonProperty("perClassAccuracy") List<Double> perClassAccuracy,
      @JsonProperty("confusion") int[][] confusion,
      @JsonProperty("classNames") List<String> classNames,
      @JsonProperty("model") String model,
      @JsonProperty("backend") String backend,
      @JsonProperty("precision") String precision,
      @JsonProperty("dataset") String dataset,
      @JsonProperty("predictions") int[] predictions,
      @JsonProperty("dropPoints") Double dropPoints,
      @JsonProperty("flips") Integer flips) {
    JsonFiles.checkFormat(format, "accuracy report", Set.of(FORMAT));
    return new AccuracyReport(samples, top1, top5, perClassAccuracy, confusion, classNames, model, backend, precision,
        dataset, predictions, dropPoints, flips);
  }

  AccuracyReport(
      int samples,
      double top1,
      double top5,
      List<Double> perClassAccuracy,
      int[][] confusion,
      List<String> classNames,
      String model,
      String backend,
      String precision,
      String dataset,
      int[] predictions,
      Double dropPoints,
      Integer flips) {
    Preconditions.checkArgument(classNames != null && !classNames.isEmpty(), "report without class names");
    int k = classNames.size();
    Preconditions.checkArgument(confusion != null && confusion.length == k, "confusion matrix must be %sx%s", k, k);
    for (int[] row : confusion) {
      Preconditions.checkArgument(row != null && row.length == k, "confusion matrix must be %sx%s", k, k);
    }
    Preconditions.checkArgument(predictions != null && predictions.length == samples,
        "%s predictions for %s samples", predictions == null ? 0 : predictions.length, samples);
    Preconditions.checkArgument(perClassAccuracy != null && perClassAccuracy.size() == k,
        "per-class accuracy must have %s entries", k);
    Preconditions.checkArgument((dropPoints == null) == (flips == null), "dropPoints and flips come together");
    Preconditions.checkArgument(samples >= 0, "samples is %s; it cannot be negative", samples);
    Preconditions.checkArgument(top1 >= 0 && top1 <= 1, "top1 is %s; an accuracy is a share from 0 to 1", top1);
    Preconditions.checkArgument(top5 >= 0 && top5 <= 1, "top5 is %s; an accuracy is a share from 0 to 1", top5);
    long counted = 0;
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        Preconditions.checkArgument(confusion[i][j] >= 0, "confusion[%s][%s] is %s; a count cannot be negative", i, j,
            confusion[i][j]);
        counted += confusion[i][j];
      }
    }
    Preconditions.checkArgument(counted == samples, "the confusion matrix counts %s samples, not %s", counted, samples);
    for (int i = 0; i < predictions.length; i++) {
      Preconditions.checkArgument(predictions[i] >= 0 && predictions[i] < k,
          "predictions[%s] is %s; a class index is 0..%s", i, predictions[i], k - 1);
    }
    this.samples = samples;
    this.top1 = top1;
    this.top5 = top5;
    this.perClassAccuracyList = Collections.unmodifiableList(new ArrayList<>(perClassAccuracy));
    this.confusion = deepCopy(confusion);
    this.classNames = ImmutableList.copyOf(classNames);
    this.model = model;
    this.backend = backend;
    this.precision = precision;
    this.dataset = dataset;
    this.predictions = predictions.clone();
    this.dropPoints = dropPoints;
    this.flips = flips;
  }

  /** Starts accumulating scores for a dataset with these classes. */
  public static Builder builder(List<String> classNames) {
    return new Builder(classNames);
  }

  /**
   * The report computed from whole score rows {@code scores[sample][class]}; labels are the true
   * classes.
   */
  public static AccuracyReport of(float[][] scores, int[] labels, List<String> classNames) {
    return builder(classNames).add(scores, labels).build();
  }

  /**
   * One report for consecutive runs over consecutive parts of a dataset, in order: the same numbers
   * (counts, predictions, top-1, top-5, per-class accuracy) one run over all samples gives. Labels
   * (model, backend, precision) come from the first part and the dataset is named {@code dataset};
   * a baseline is added afterwards with {@link #withBaseline}. Used to gather the shards of a
   * distributed evaluation.
   *
   * @throws QuantkitException when the parts are empty, carry a baseline or differ in classes
   */
  public static AccuracyReport concat(List<AccuracyReport> parts, String dataset) {
    if (parts.isEmpty()) {
      throw new QuantkitException("no reports to concatenate");
    }
    AccuracyReport first = parts.get(0);
    int k = first.classNames.size();
    int[][] confusion = new int[k][k];
    int samples = 0;
    long top5Hits = 0;
    for (AccuracyReport p : parts) {
      if (!p.classNames.equals(first.classNames)) {
        throw new QuantkitException("report classes " + p.classNames + " differ from " + first.classNames);
      }
      if (p.hasBaseline()) {
        throw new QuantkitException("concatenate reports without baseline, then compare the whole");
      }
      samples += p.samples;
      // top5 is hits / samples of two ints: multiplying back and rounding recovers the count exactly
      top5Hits += Math.round(p.top5 * p.samples);
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          confusion[i][j] += p.confusion[i][j];
        }
      }
    }
    int[] predictions = new int[samples];
    int at = 0;
    for (AccuracyReport p : parts) {
      System.arraycopy(p.predictions, 0, predictions, at, p.samples);
      at += p.samples;
    }
    // the same arithmetic as Builder.build
    int correct = 0;
    List<Double> perClass = new ArrayList<>(k);
    for (int t = 0; t < k; t++) {
      int n = Arrays.stream(confusion[t]).sum();
      correct += confusion[t][t];
      perClass.add(n == 0 ? null : (double) confusion[t][t] / n);
    }
    double top1 = samples == 0 ? 0.0 : (double) correct / samples;
    double top5 = samples == 0 ? 0.0 : (double) top5Hits / samples;
    return new AccuracyReport(samples, top1, top5, perClass, confusion, first.classNames, first.model, first.backend,
        first.precision, dataset, predictions, null, null);
  }

  /** This report compared with {@code baseline}: fills dropPoints and flips. */
  public AccuracyReport withBaseline(AccuracyReport baseline) {
    Objects.requireNonNull(baseline, "baseline");
    if (baseline.samples != samples) {
      throw new QuantkitException("baseline has " + baseline.samples + " samples, this report " + samples
          + ": compare runs over the same samples");
    }
    if (baseline.dataset != null && dataset != null && !baseline.dataset.equals(dataset)) {
      throw new QuantkitException("baseline was measured on " + baseline.dataset + ", this report on " + dataset
          + ": compare runs over the same dataset");
    }
    if (!baseline.classNames.equals(classNames)) {
      throw new QuantkitException("baseline classes " + baseline.classNames + " differ from " + classNames);
    }
    int flipped = 0;
    for (int i = 0; i < samples; i++) {
      if (predictions[i] != baseline.predictions[i]) {
        flipped++;
      }
    }
    return new AccuracyReport(samples, top1, top5, perClassAccuracyList, confusion, classNames, model, backend,
        precision, dataset, predictions, (baseline.top1 - top1) * 100.0, flipped);
  }

  /** The same numbers with other labels (e.g. after the fact). */
  public AccuracyReport withLabels(String newModel, String newBackend, String newPrecision, String newDataset) {
    return new AccuracyReport(samples, top1, top5, perClassAccuracyList, confusion, classNames, newModel, newBackend,
        newPrecision, newDataset, predictions, dropPoints, flips);
  }

  @JsonProperty
  public int samples() {
    return samples;
  }

  /** Share of samples whose arg-max is the label, 0..1. */
  @JsonProperty
  public double top1() {
    return top1;
  }

  @JsonProperty
  public double top5() {
    return top5;
  }

  /** Per class (label order): share of that class's samples predicted right; null without samples. */
  @JsonProperty
  public List<Double> perClassAccuracy() {
    return perClassAccuracyList;
  }

  /** {@code confusion[true][predicted]} sample counts (a copy). */
  @JsonProperty
  public int[][] confusion() {
    return deepCopy(confusion);
  }

  @JsonProperty
  public ImmutableList<String> classNames() {
    return classNames;
  }

  @JsonProperty
  public String model() {
    return model;
  }

  @JsonProperty
  public String backend() {
    return backend;
  }

  /** E.g. "fp32", "int8". */
  @JsonProperty
  public String precision() {
    return precision;
  }

  @JsonProperty
  public String dataset() {
    return dataset;
  }

  /** Top-1 class of each sample, in dataset order (a copy). */
  @JsonProperty
  public int[] predictions() {
    return predictions.clone();
  }

  /** Top-1 class of sample {@code i}. */
  public int prediction(int i) {
    return predictions[i];
  }

  /** Baseline top-1 minus this top-1, in percentage points (positive = worse); null without baseline. */
  @JsonProperty
  public Double dropPoints() {
    return dropPoints;
  }

  /** Samples whose top-1 differs from the baseline's; null without baseline. */
  @JsonProperty
  public Integer flips() {
    return flips;
  }

  public boolean hasBaseline() {
    return flips != null;
  }

  /** Number of correctly classified samples. */
  public int correct() {
    int c = 0;
    for (int i = 0; i < confusion.length; i++) {
      c += confusion[i][i];
    }
    return c;
  }

  /** The format tag of the JSON form, {@link #FORMAT}. */
  @JsonProperty
  String format() {
    return FORMAT;
  }

  public String toJson() {
    return JsonFiles.toJson(this, "accuracy report");
  }

  /** Parses a report; {@link io.quantkit.ModelFormatException} when the text is not one. */
  public static AccuracyReport fromJson(String json) {
    return JsonFiles.fromJson(json, AccuracyReport.class, "accuracy report");
  }

  /**
   * Writes the JSON form atomically (temporary file in the same folder, then a move).
   *
   * @throws QuantkitException naming the file when it cannot be written
   */
  public void save(Path file) {
    JsonFiles.save(file, this, "accuracy report");
  }

  /**
   * Reads a report written by {@link #save}.
   *
   * @throws io.quantkit.ModelFormatException naming the file when it is missing, unreadable or not a report
   */
  public static AccuracyReport load(Path file) {
    return JsonFiles.load(file, AccuracyReport.class, "accuracy report");
  }

  /** @deprecated the old name of {@link #save(Path)}. */
  @Deprecated(forRemoval = true)
  public void writeJson(Path file) {
    save(file);
  }

  /** @deprecated the old name of {@link #load(Path)}. */
  @Deprecated(forRemoval = true)
  public static AccuracyReport readJson(Path file) {
    return load(file);
  }

  /** A one-screen text table: headline, per-class accuracy and the confusion matrix. */
  public String toSummary() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "model %s | backend %s | precision %s%n", or(model), or(backend), or(precision)));
    sb.append(String.format(Locale.ROOT, "dataset %s | %d samples%n", or(dataset), samples));
    sb.append(String.format(Locale.ROOT, "top-1 %.2f %% (%d/%d) | top-5 %.2f %%%n", top1 * 100, correct(), samples, top5 * 100));
    if (hasBaseline()) {
      sb.append(String.format(Locale.ROOT, "vs baseline: %+.2f pt top-1 change, %d flipped predictions (%.2f %%)%n",
          -dropPoints, flips, samples == 0 ? 0.0 : 100.0 * flips / samples));
    }
    int width = 5;
    for (String c : classNames) {
      width = Math.max(width, c.length());
    }
    width = Math.min(width, 14);
    int k = classNames.size();
    sb.append(String.format(Locale.ROOT, "%n%-" + width + "s %8s %6s   confusion (rows true, columns predicted)%n",
        "class", "acc", "n"));
    for (int t = 0; t < k; t++) {
      int n = Arrays.stream(confusion[t]).sum();
      Double acc = perClassAccuracyList.get(t);
      sb.append(String.format(Locale.ROOT, "%-" + width + "s %8s %6d  ", clip(classNames.get(t), width),
          acc == null ? "-" : String.format(Locale.ROOT, "%.2f %%", acc * 100), n));
      for (int p = 0; p < k; p++) {
        sb.append(String.format(Locale.ROOT, " %5d", confusion[t][p]));
      }
      sb.append(System.lineSeparator());
    }
    return sb.toString();
  }

  private static String or(String s) {
    return s == null ? "-" : s;
  }

  private static String clip(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "~";
  }

  private static int[][] deepCopy(int[][] m) {
    int[][] c = new int[m.length][];
    for (int i = 0; i < m.length; i++) {
      c[i] = m[i].clone();
    }
    return c;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AccuracyReport)) {
      return false;
    }
    AccuracyReport r = (AccuracyReport) o;
    return samples == r.samples && Double.compare(top1, r.top1) == 0 && Double.compare(top5, r.top5) == 0
        && perClassAccuracyList.equals(r.perClassAccuracyList) && Arrays.deepEquals(confusion, r.confusion)
        && classNames.equals(r.classNames) && Objects.equals(model, r.model) && Objects.equals(backend, r.backend)
        && Objects.equals(precision, r.precision) && Objects.equals(dataset, r.dataset)
        && Arrays.equals(predictions, r.predictions) && Objects.equals(dropPoints, r.dropPoints)
        && Objects.equals(flips, r.flips);
  }

  @Override
  public int hashCode() {
    return Objects.hash(samples, top1, dataset, model, backend, precision, Arrays.hashCode(predictions));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "AccuracyReport(%s %s %s on %s: top1 %.4f, top5 %.4f, n %d%s)", model, backend,
        precision, dataset, top1, top5, samples,
        hasBaseline() ? String.format(Locale.ROOT, ", drop %.2f pt, %d flips", dropPoints, flips) : "");
  }

  /**
   * Accumulates score batches into a report. Feed batches in dataset order: predictions keep that
   * order, which is what makes flips against a baseline meaningful.
   */
  public static final class Builder {
    private final ImmutableList<String> classNames;
    private final int classes;
    private final int[][] confusion;
    private int[] predictions = new int[256];
    private int samples;
    private int top5Hits;
    private String model;
    private String backend;
    private String precision;
    private String dataset;
    private AccuracyReport baseline;

    private Builder(List<String> classNames) {
      this.classNames = ImmutableList.copyOf(classNames);
      this.classes = classNames.size();
      Preconditions.checkArgument(classes > 0, "no classes");
      this.confusion = new int[classes][classes];
    }

    public Builder model(String value) {
      this.model = value;
      return this;
    }

    public Builder backend(String value) {
      this.backend = value;
      return this;
    }

    public Builder precision(String value) {
      this.precision = value;
      return this;
    }

    public Builder dataset(String value) {
      this.dataset = value;
      return this;
    }

    /** Compare the built report with this one (same samples in the same order). */
    public Builder baseline(AccuracyReport value) {
      this.baseline = value;
      return this;
    }

    public int samples() {
      return samples;
    }

    /**
     * Adds one batch: {@code scores} holds {@code labels.length} rows of {@code classes} scores
     * (shape [N, classes], or any shape with N first and classes elements per sample).
     */
    public Builder add(Tensor scores, int[] labels) {
      int n = labels.length;
      Preconditions.checkArgument(scores.shape().rank() >= 1 && scores.shape().dim(0) == n
              && scores.size() == (long) n * classes,
          "scores of shape %s do not hold %s rows of %s class scores", scores.shape(), n, classes);
      FloatBuffer buf = scores.floatBuffer();
      float[] row = new float[classes];
      for (int i = 0; i < n; i++) {
        buf.get(row);
        addRow(row, labels[i]);
      }
      return this;
    }

    public Builder add(float[][] scores, int[] labels) {
      Preconditions.checkArgument(scores.length == labels.length, "%s score rows but %s labels", scores.length, labels.length);
      for (int i = 0; i < scores.length; i++) {
        Preconditions.checkArgument(scores[i].length == classes, "score row %s has %s entries, expected %s",
            samples, scores[i].length, classes);
        addRow(scores[i], labels[i]);
      }
      return this;
    }

    private void addRow(float[] row, int label) {
      Preconditions.checkArgument(label >= 0 && label < classes, "label %s of sample %s is not a class index 0..%s",
          label, samples, classes - 1);
      for (int c = 0; c < classes; c++) {
        if (Float.isNaN(row[c])) {
          throw new QuantkitException("scores of sample " + samples + " contain NaN (class " + c + ")");
        }
      }
      int best = Scores.argmax(row, 0, classes);
      // Rank of the label under "higher score first, then lower index first".
      float s = row[label];
      int rank = 0;
      for (int c = 0; c < classes; c++) {
        if (row[c] > s || (row[c] == s && c < label)) {
          rank++;
        }
      }
      if (rank < 5) {
        top5Hits++;
      }
      confusion[label][best]++;
      if (samples == predictions.length) {
        predictions = Arrays.copyOf(predictions, predictions.length * 2);
      }
      predictions[samples++] = best;
    }

    public AccuracyReport build() {
      int correct = 0;
      List<Double> perClass = new ArrayList<>(classes);
      for (int t = 0; t < classes; t++) {
        int n = Arrays.stream(confusion[t]).sum();
        correct += confusion[t][t];
        perClass.add(n == 0 ? null : (double) confusion[t][t] / n);
      }
      double top1 = samples == 0 ? 0.0 : (double) correct / samples;
      double top5 = samples == 0 ? 0.0 : (double) top5Hits / samples;
      AccuracyReport r = new AccuracyReport(samples, top1, top5, perClass, confusion, classNames, model, backend,
          precision, dataset, Arrays.copyOf(predictions, samples), null, null);
      return baseline == null ? r : r.withBaseline(baseline);
    }
  }
}
