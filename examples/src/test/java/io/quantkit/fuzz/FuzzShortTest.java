package io.quantkit.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The short form of the fuzz suite that CI runs: 100 seeded mutations per input format, each of
 * which must end in a valid result or a typed one-line error within the time bound and leave no
 * partial output. The long form is {@code ./quantkit fuzz --format all --count 1000 --seed S}.
 * A failure message names the case; {@code ./quantkit fuzz --format F --seed 20251202 --first I
 * --count 1 --keep DIR} reruns it and keeps its input.
 */
@Tag("integration")
class FuzzShortTest {
  private static final long SEED = 20251202L;
  private static final int CASES = 100;

  @ParameterizedTest
  @EnumSource(Fuzzer.Format.class)
  void everyMutationEndsInAResultOrATypedError(Fuzzer.Format format, @TempDir Path work) throws Exception {
    Fuzzer.Report r = Fuzzer.builder().seed(SEED).cases(0, CASES).timeout(Duration.ofSeconds(60)).workDir(work).build()
        .run(format);
    System.out.printf("fuzz %s: %d cases, %s, %.1f s%n", format.cliName(), r.count(), r.outcomes(), r.millis() / 1000.0);
    assertTrue(r.passed(), format + ": " + r.failures());
    assertEquals(CASES, r.valid() + r.rejected());
    assertTrue(r.rejected() > 0 && r.valid() > 0, "the mutations reach both outcomes: " + r.outcomes());
  }
}
