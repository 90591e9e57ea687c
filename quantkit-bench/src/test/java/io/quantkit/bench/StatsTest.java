package io.quantkit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void medianOfOddAndEvenCounts() {
    assertEquals(3.0, Stats.of(5, 1, 3).median());
    assertEquals(2.5, Stats.of(4, 1, 3, 2).median());
    Stats s = Stats.of(List.of(7.0, 2.0, 9.0));
    assertEquals(2.0, s.min());
    assertEquals(9.0, s.max());
    assertEquals(3, s.n());
  }

  @Test
  void invertingMicrosecondsGivesImagesPerSecondWithTheRangeSwapped() {
    // 32 images in 4,000 / 5,000 / 8,000 us per call
    Stats rate = Stats.of(4000, 5000, 8000).inverted(32 * 1e6);
    assertEquals(6400.0, rate.median(), 1e-9);
    assertEquals(4000.0, rate.min(), 1e-9);
    assertEquals(8000.0, rate.max(), 1e-9);
  }

  @Test
  void formatsMedianAndRange() {
    assertEquals("2.00 (1.00–4.00)", Stats.of(1, 2, 4).format("%.2f"));
    assertEquals("2.00", Stats.of(2).format("%.2f"));
    assertEquals(75.0, Stats.of(1, 2, 4).spreadPercent(), 1e-9);
  }
}
