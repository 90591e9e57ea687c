package io.quantkit.quant;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import io.quantkit.backend.Backend;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.ir.Graph;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Accuracy-driven fallback: keeps the fewest, most sensitive layers in FP32 until an
 * {@link AccuracyTarget} holds on a {@link ValidationSet}. Layers are ranked by
 * {@link SensitivityReport#bySensitivity()}; they are kept FP32 one by one in that order until the
 * target holds, then each of them is tried INT8 again (least sensitive first) and stays INT8 if the
 * target still holds. The result is an ordinary {@link QuantPlan}: the same activation parameters,
 * the kept layers in {@link QuantOptions#excludeNodes()}, and in its metadata the target, the
 * validation images, the kept layers and why ({@code fallback.*}).
 *
 * <p>The target is only ever checked on the validation set; report the test-set figure of the
 * chosen plan separately.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class AccuracyFallback {
  private final LayerSensitivity sensitivity;

  private AccuracyFallback(LayerSensitivity sensitivity) {
    this.sensitivity = sensitivity;
  }

  public static AccuracyFallback defaults() {
    return new AccuracyFallback(LayerSensitivity.defaults());
  }

  public AccuracyFallback runnerOptions(RunnerOptions value) {
    return new AccuracyFallback(sensitivity.runnerOptions(value));
  }

  /**
   * What the fallback chose.
   *
   * @param plan the plan to quantize with (the kept layers excluded)
   * @param keptFp32 the layers kept FP32, most sensitive first
   * @param met whether the target holds on the validation set (false: even all candidates FP32 did not reach it)
   * @param fp32 the FP32 model's score on the validation set
   * @param allInt8 the input plan's score on the validation set
   * @param chosen the returned plan's score on the validation set
   * @param sensitivity the per-layer measurements the ranking came from (null when every layer could stay INT8)
   * @param evaluations number of quantized configurations run on the validation set, the sensitivity study's included
   */
  public record Result(QuantPlan plan, ImmutableList<String> keptFp32, boolean met, Score fp32, Score allInt8,
      Score chosen, SensitivityReport sensitivity, int evaluations) {}

  public Result apply(Graph fp32, QuantPlan plan, ValidationSet validation, Backend backend, AccuracyTarget target) {
    return apply(fp32, plan, validation, backend, target, null);
  }

  /**
   * As {@link #apply(Graph, QuantPlan, ValidationSet, Backend, AccuracyTarget)}, ranking the layers
   * by {@code known}, a sensitivity report of the same plan on the same validation set (several
   * targets then share one study).
   */
  public Result apply(Graph fp32, QuantPlan plan, ValidationSet validation, Backend backend, AccuracyTarget target,
      SensitivityReport known) {
    Preconditions.checkNotNull(target, "target");
    ModelOutputs reference = sensitivity.reference(fp32, validation, backend);
    Score fp32Score = reference.score(reference);
    Score all = sensitivity.score(fp32, plan, plan.options(), validation, backend, reference);
    int evaluations = 1;
    if (target.isMetBy(all, fp32Score)) {
      QuantPlan out = annotate(plan, List.of(), target, validation, all, "every layer INT8 already meets the target");
      return new Result(out, ImmutableList.of(), true, fp32Score, all, all, null, evaluations);
    }
    SensitivityReport report = known != null ? known : sensitivity.measure(fp32, plan, validation, backend);
    evaluations += known != null ? 0 : 2 * report.layers().size();
    List<SensitivityReport.Layer> ranked = report.bySensitivity();
    List<String> kept = new ArrayList<>();
    Score current = all;
    for (SensitivityReport.Layer l : ranked) {
      kept.add(l.node());
      current = sensitivity.score(fp32, plan, with(plan, kept), validation, backend, reference);
      evaluations++;
      if (target.isMetBy(current, fp32Score)) {
        break;
      }
    }
    boolean met = target.isMetBy(current, fp32Score);
    if (met) {
      // the greedy order may have kept a layer that a later one made unnecessary
      for (int i = kept.size() - 2; i >= 0; i--) {
        List<String> fewer = new ArrayList<>(kept);
        String dropped = fewer.remove(i);
        Score s = sensitivity.score(fp32, plan, with(plan, fewer), validation, backend, reference);
        evaluations++;
        if (target.isMetBy(s, fp32Score)) {
          kept = fewer;
          current = s;
        } else {
          kept.set(i, dropped);
        }
      }
    }
    StringBuilder why = new StringBuilder();
    for (String k : kept) {
      SensitivityReport.Layer l = report.layers().stream().filter(x -> x.node().equals(k)).findFirst().orElseThrow();
      why.append(why.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT,
          "%s (%s): alone INT8 %d flips, %.2f dB; alone FP32 %d flips", k, l.op(), l.onlyThisInt8().flips(),
          l.onlyThisInt8().sqnrDb(), l.onlyThisFp32().flips()));
    }
    QuantPlan chosen = Qdq.quantize(fp32, plan, with(plan, kept)).plan();
    chosen = annotate(chosen, kept, target, validation, current, met ? why.toString()
        : "target not reached even with every ranked layer FP32; " + why);
    return new Result(chosen, ImmutableList.copyOf(kept), met, fp32Score, all, current, report, evaluations);
  }

  private static QuantOptions with(QuantPlan plan, List<String> kept) {
    Set<String> ex = new TreeSet<>(plan.options().excludeNodes());
    ex.addAll(kept);
    return plan.options().toBuilder().excludeNodes(ex).build();
  }

  private static QuantPlan annotate(QuantPlan plan, List<String> kept, AccuracyTarget target, ValidationSet validation,
      Score score, String why) {
    return plan.toBuilder()
        .metadata("fallback.target", target.toString())
        .metadata("fallback.validation", validation.description())
        .metadata("fallback.validationScore", score.toString())
        .metadata("fallback.keptFp32", String.join(",", kept))
        .metadata("fallback.reason", why)
        .build();
  }
}
