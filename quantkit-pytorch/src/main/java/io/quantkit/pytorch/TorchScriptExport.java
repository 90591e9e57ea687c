package io.quantkit.pytorch;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.quantkit.backend.Signature;

/**
 * A graph written as a TorchScript archive, in memory: the bytes, the TorchScript source inside
 * them, the run contract, and what the INT8 translation chose.
 *
 * @param bytes the archive (a zip); callers must not change the array
 * @param code the TorchScript source of {@code code/__torch__/quantkit.py}
 * @param signature inputs and outputs of {@code forward}
 * @param quantized whether the module runs on PyTorch's quantized tensors (a QDQ graph)
 * @param kernels how many ops run on which PyTorch kernel, e.g. {@code quantized::conv2d=9}
 * @param warnings ops the plan quantizes that run in FP32 on dequantized values instead, each
 *     naming the node and tensor and saying why
 */
public record TorchScriptExport(byte[] bytes, String code, Signature signature, boolean quantized,
    ImmutableMap<String, Integer> kernels, ImmutableList<String> warnings) {

  @Override
  public String toString() {
    return "TorchScriptExport(" + signature.modelName() + ", " + bytes.length + " bytes, " + (quantized ? "INT8 " + kernels : "FP32")
        + (warnings.isEmpty() ? "" : ", " + warnings.size() + " warnings") + ")";
  }
}
