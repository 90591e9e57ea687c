/**
 * The reference executor: a pure-Java interpreter of the IR with ONNX opset-13 semantics, used as
 * the oracle every other backend is compared with. Entry point: {@link
 * io.quantkit.reference.ReferenceBackend} (backend name "reference").
 */
package io.quantkit.reference;
