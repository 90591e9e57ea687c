package io.quantkit.tf;

import com.google.common.collect.ImmutableList;
import io.quantkit.backend.Runner;
import io.quantkit.backend.Signature;
import io.quantkit.ir.Graph;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;

/**
 * A SavedModel run as it is, by one of its signatures: inputs and outputs are the signature's keys,
 * and there is no IR ({@link #graph()} throws).
 *
 * <p>Thread-safe, like {@link TfRunner}; {@link #close} frees the bundle's session and graph.
 */
final class SavedModelRunner implements Runner {
  private final Path dir;
  private final Signature signature;
  private final Map<String, Output<?>> inputs;
  private final List<SessionHolder.Fetch> fetches;
  private final SessionHolder holder;

  SavedModelRunner(Path dir, SavedModelBundle bundle, Signature signature, Map<String, Output<?>> inputs,
      List<SessionHolder.Fetch> fetches) {
    this.dir = dir;
    this.signature = signature;
    this.inputs = inputs;
    this.fetches = ImmutableList.copyOf(fetches);
    this.holder = new SessionHolder("SavedModel " + dir, bundle.session(), bundle);
  }

  @Override
  public Graph graph() {
    throw new UnsupportedOperationException("the SavedModel " + dir + " runs as it is, without an IR graph; use signature()");
  }

  @Override
  public Signature signature() {
    return signature;
  }

  @Override
  public String backendName() {
    return TfBackend.NAME;
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> given) {
    Inputs.check("SavedModel " + dir, signature.inputs(), given);
    Map<Output<?>, Tensor> feeds = new LinkedHashMap<>();
    for (ValueInfo in : signature.inputs()) {
      feeds.put(inputs.get(in.name()), given.get(in.name()));
    }
    return holder.run(feeds, new ArrayList<>(fetches), Inputs.describe(given));
  }

  @Override
  public void close() {
    holder.close();
  }
}
