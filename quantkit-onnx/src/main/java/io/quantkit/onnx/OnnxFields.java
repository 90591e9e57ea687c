package io.quantkit.onnx;

import com.google.common.collect.ImmutableMap;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.quantkit.ModelFormatException;
import java.util.List;
import java.util.Map;

/**
 * Finds ONNX fields quantkit's schema does not declare. Protobuf parses such a field as an
 * "unknown field" and the generated classes would let it vanish; a model that uses one (a node
 * overload, a sequence-typed input, a newer attribute kind) would then be read as something else.
 * The importer rejects it instead, naming the field.
 */
final class OnnxFields {
  private OnnxFields() {}

  /** ONNX's names of the fields onnx.proto leaves out, for messages ("NodeProto 8" -> "overload"). */
  private static final ImmutableMap<String, String> NAMES = ImmutableMap.<String, String>builder()
      .put("ModelProto 26", "configuration")
      .put("NodeProto 8", "overload")
      .put("NodeProto 10", "device_configurations")
      .put("TypeProto 4", "sequence_type")
      .put("TypeProto 5", "map_type")
      .put("TypeProto 7", "opaque_type")
      .put("TypeProto 8", "sparse_tensor_type")
      .put("TypeProto 9", "optional_type")
      .put("AttributeProto 14", "tp")
      .put("AttributeProto 15", "type_protos")
      .put("AttributeProto 22", "sparse_tensor")
      .put("AttributeProto 23", "sparse_tensors")
      .build();

  /**
   * Throws a {@link ModelFormatException} naming the first unknown field in {@code message} or any
   * message inside it; {@code path} names {@code message} ("ModelProto").
   */
  static void rejectUnknown(Message message, String path, String where) {
    Map<Integer, ?> unknown = message.getUnknownFields().asMap();
    if (!unknown.isEmpty()) {
      int number = unknown.keySet().iterator().next();
      String type = message.getDescriptorForType().getName();
      String name = NAMES.get(type + " " + number);
      throw new ModelFormatException(where + ": " + path + " has " + (name == null ? "field number " + number
          : "field '" + name + "' (" + number + ")") + ", which quantkit's ONNX reader does not know;"
          + " it would change what the model means, so the model is refused rather than read without it");
    }
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          rejectUnknown((Message) items.get(i), path + "." + f.getName() + "[" + i + "]", where);
        }
      } else {
        rejectUnknown((Message) e.getValue(), path + "." + f.getName(), where);
      }
    }
  }
}
