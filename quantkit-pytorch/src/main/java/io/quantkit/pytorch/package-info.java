/**
 * PyTorch for quantkit: {@link io.quantkit.pytorch.TorchScriptModel} writes IR graphs as
 * TorchScript archives in pure Java (FP32, and QDQ graphs as INT8 on PyTorch's quantized
 * operators), and {@link io.quantkit.pytorch.PyTorchBackend} (backend "pytorch") runs graphs and
 * TorchScript files on PyTorch 2.7.1 through DJL, with natives from the jars.
 *
 * <p>Thread-safety: {@code TorchScriptModel}, {@code PyTorchBackend} and {@code PyTorchEngine}
 * are thread-safe; a runner of this backend may be shared by threads ({@code run} is safe to call
 * concurrently); {@code TorchScriptExport} is an immutable value (its byte array must not be
 * changed).
 */
package io.quantkit.pytorch;
