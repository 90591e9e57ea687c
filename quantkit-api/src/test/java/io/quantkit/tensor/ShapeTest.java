package io.quantkit.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ShapeTest {

  @Test
  void rejectsDimensionsBelowUnknownNamingAllOfThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -3, 4));
    assertEquals("negative dimension -3 in [2, -3, 4]", e.getMessage());
  }

  @Test
  void copiesItsArgument() {
    int[] dims = {1, 32, 32, 3};
    Shape s = Shape.of(dims);
    dims[0] = 7;
    assertArrayEquals(new int[] {1, 32, 32, 3}, s.toArray());
  }

  @Test
  void longDimensionsMapNegativesToUnknown() {
    assertEquals(Shape.of(-1, 10), Shape.of(-1L, 10L));
    assertEquals(Shape.of(-1, 3), Shape.of(-7L, 3L));
    assertSame(Shape.scalar(), Shape.of(new long[0]));
    assertThrows(IllegalArgumentException.class, () -> Shape.of(1L << 40));
  }
}
