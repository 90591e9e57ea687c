package io.quantkit.backend;

import com.google.common.base.Preconditions;
import io.quantkit.UnsupportedOpException;

/**
 * One node a backend or importer cannot handle, and why: an element of {@link Backend#check} and
 * of {@link io.quantkit.UnsupportedOpsException}.
 *
 * @param nodeName the node (or layer) name
 * @param opType the op type as the model names it (ONNX op type, Keras layer class, IR op type)
 * @param reason what is missing, e.g. "backend 'tf' has no kernel for LRN"
 */
public record UnsupportedNode(String nodeName, String opType, String reason) {
  public UnsupportedNode {
    Preconditions.checkNotNull(nodeName, "nodeName");
    Preconditions.checkNotNull(opType, "opType");
    Preconditions.checkNotNull(reason, "reason");
  }

  public static UnsupportedNode of(UnsupportedOpException e) {
    return new UnsupportedNode(e.nodeName(), e.opType(), e.detail());
  }

  @Override
  public String toString() {
    return opType + " '" + nodeName + "'" + (reason.isEmpty() ? "" : ": " + reason);
  }
}
