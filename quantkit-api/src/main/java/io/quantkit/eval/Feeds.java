package io.quantkit.eval;

import io.quantkit.BackendException;
import io.quantkit.QuantkitException;
import io.quantkit.backend.Runner;
import io.quantkit.backend.Signature;
import io.quantkit.data.Batch;
import io.quantkit.data.Dataset;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Batch} through a {@link Runner}: the batch's tensors go to the model's inputs by
 * name ({@link Batch#feed}), and a model whose batch dimension is fixed (an ONNX export with
 * batch 1, a TFLite-style [1, ...] input) gets the samples in slices of that size, the last
 * padded by repeating its final sample, with the outputs put back together.
 *
 * <p>Thread-safety: stateless; as thread-safe as the runner.
 */
public final class Feeds {
  private Feeds() {}

  /** The model's input names, in order. */
  public static List<String> inputNames(Signature s) {
    List<String> out = new ArrayList<>();
    for (ValueInfo v : s.inputs()) {
      out.add(v.name());
    }
    return out;
  }

  /** The fixed batch size the model's first input declares, or 0 when the batch is free. */
  public static int fixedBatch(Signature s) {
    ValueInfo in = s.inputs().get(0);
    return in.shape().rank() >= 1 && in.shape().dim(0) > 0 ? in.shape().dim(0) : 0;
  }

  /**
   * Every output of {@code runner} for samples {@code from..to-1} of {@code dataset}; a failure
   * that is not already a quantkit exception becomes a {@link BackendException} naming
   * {@code who} and the samples.
   */
  public static Map<String, Tensor> run(Runner runner, String who, Batch batch, int from, Dataset dataset) {
    Signature s = runner.signature();
    Map<String, Tensor> feed = batch.feed(inputNames(s));
    try {
      int fixed = fixedBatch(s);
      int n = batch.size();
      if (fixed == 0 || fixed == n) {
        return runner.run(feed);
      }
      List<Map<String, Tensor>> parts = new ArrayList<>();
      for (int at = 0; at < n; at += fixed) {
        int end = Math.min(n, at + fixed);
        Map<String, Tensor> slice = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : feed.entrySet()) {
          slice.put(e.getKey(), pad(e.getValue().sliceFirstAxis(at, end), fixed));
        }
        parts.add(runner.run(slice));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (String name : parts.get(0).keySet()) {
        List<Tensor> pieces = new ArrayList<>();
        for (Map<String, Tensor> p : parts) {
          pieces.add(p.get(name));
        }
        out.put(name, concat(pieces, n));
      }
      return out;
    } catch (QuantkitException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BackendException(who + " failed on samples " + from + ".." + (from + batch.size() - 1) + " of "
          + dataset.name() + ": " + e, e);
    }
  }

  /** The one output of a single-output model (or the one {@code output} names). */
  public static Tensor output(Runner runner, Map<String, Tensor> outputs) {
    String name = runner.signature().output();
    return outputs.get(name);
  }

  private static Tensor pad(Tensor t, int size) {
    int n = t.shape().dim(0);
    if (n == size) {
      return t;
    }
    byte[] bytes = t.toLittleEndianBytes();
    int per = bytes.length / n;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(bytes);
    for (int i = n; i < size; i++) {
      out.write(bytes, (n - 1) * per, per);
    }
    return Tensor.fromLittleEndian(t.type(), t.shape().withDim(0, size), ByteBuffer.wrap(out.toByteArray()));
  }

  /** The first {@code n} samples of the pieces, in order. */
  private static Tensor concat(List<Tensor> pieces, int n) {
    Tensor first = pieces.get(0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Tensor p : pieces) {
      out.writeBytes(p.toLittleEndianBytes());
    }
    int total = 0;
    for (Tensor p : pieces) {
      total += p.shape().dim(0);
    }
    byte[] all = out.toByteArray();
    int per = all.length / Math.max(1, total);
    ByteBuffer keep = ByteBuffer.wrap(all, 0, n * per).slice();
    return Tensor.fromLittleEndian(first.type(), first.shape().withDim(0, n), keep);
  }
}
