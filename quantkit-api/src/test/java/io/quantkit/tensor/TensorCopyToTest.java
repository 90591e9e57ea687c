package io.quantkit.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class TensorCopyToTest {

  @Test
  void copiesFloatsIntoADirectNativeOrderViewFromIndexZeroLeavingPositionAndLimit() {
    FloatBuffer target = ByteBuffer.allocateDirect(5 * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    target.position(2).limit(4);
    Tensor.ofFloats(Shape.of(2, 2), 1.5f, -2f, 3.25f, 0f).copyTo(target);
    assertEquals(2, target.position());
    assertEquals(4, target.limit());
    float[] got = new float[5];
    target.clear().get(got);
    assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f, 0f}, got);
  }

  @Test
  void copiesOnlyTheSliceOfASlicedTensor() {
    // Rows 1..2 of a 3x2 tensor: the copy must start at the slice, not at the backing array's start.
    Tensor t = Tensor.ofInts(Shape.of(3, 2), 1, 2, 3, 4, 5, 6).sliceFirstAxis(1, 3);
    IntBuffer target = IntBuffer.allocate(4);
    t.copyTo(target);
    assertArrayEquals(new int[] {3, 4, 5, 6}, target.array());
  }

  @Test
  void copiesBytesUnchangedForUint8AndLongs() {
    ByteBuffer bytes = ByteBuffer.allocate(3);
    Tensor.ofBytes(DataType.UINT8, Shape.of(3), (byte) 255, (byte) 0, (byte) 128).copyTo(bytes);
    assertArrayEquals(new byte[] {(byte) 255, 0, (byte) 128}, bytes.array());
    LongBuffer longs = LongBuffer.allocate(2);
    Tensor.ofLongs(Shape.of(2), Long.MIN_VALUE, 7L).copyTo(longs);
    assertArrayEquals(new long[] {Long.MIN_VALUE, 7L}, longs.array());
  }

  @Test
  void rejectsAWrongTypeATooSmallAndAReadOnlyTarget() {
    Tensor t = Tensor.ofFloats(Shape.of(3), 1f, 2f, 3f);
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> t.copyTo(IntBuffer.allocate(3)));
    assertEquals(true, type.getMessage().startsWith("a FLOAT32 tensor copies into a FloatBuffer"), type.getMessage());
    IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> t.copyTo(FloatBuffer.allocate(2)));
    assertEquals("target holds 2 elements, the tensor 3", small.getMessage());
    assertThrows(ReadOnlyBufferException.class, () -> t.copyTo(FloatBuffer.allocate(3).asReadOnlyBuffer()));
  }
}
