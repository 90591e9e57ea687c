package io.quantkit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.hash.Hashing;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.ir.Graph;
import io.quantkit.keras.KerasModel;
import io.quantkit.reference.ReferenceBackend;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Plans calibrated on the reference executor are the same bytes on every machine: Java's float
 * arithmetic is IEEE binary32 on every CPU (no fused multiply-add unless asked for, no reordered
 * sums), the executor sums every dot product in one fixed order whatever the number of workers,
 * and the statistics are exact (min/max, integer histogram counts). That is why the CLI calibrates
 * there by default.
 *
 * <p>The expected SHA-256 digests were recorded on an AMD EPYC with AVX-512 VNNI; CI's AVX2
 * machines must reproduce them. Entropy is left out: its KL search calls {@code Math.log}, which
 * the JVM may implement with CPU-specific code.
 */
class ReferenceCalibrationCpuIndependenceTest {
  private static final Map<CalibrationMethod, String> EXPECTED_SHA256 = Map.of(
      CalibrationMethod.MINMAX, "90a1c2859289601debc1b2c25088ff36cc65434764c2a7d73d77e17a4b3ef95f",
      CalibrationMethod.PERCENTILE, "095a0722170a9f70f3056495a3f7173d948943d821e304041a7a1b1876221253",
      CalibrationMethod.MSE, "9d4d8be02e13dd610ff55392a16320443d6d31f03714b69d00f7902831b86187");

  private static Graph resnet8;
  private static Dataset calib;

  @BeforeAll
  static void load() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    resnet8 = KerasModel.load(home.resnet8Model());
    calib = Cifar10.train(home).limit(64);
  }

  private static String plan(CalibrationMethod method, int threads) {
    return Calibration.builder().method(method).calibSize(64).batchSize(16)
        .runnerOptions(RunnerOptions.builder().threads(threads).build()).build()
        .calibrate(resnet8, calib, new ReferenceBackend()).toJson();
  }

  @Test
  void planBytesDoNotDependOnTheMachine() {
    Map<CalibrationMethod, String> actual = new java.util.EnumMap<>(CalibrationMethod.class);
    for (CalibrationMethod method : new CalibrationMethod[] {CalibrationMethod.MINMAX, CalibrationMethod.PERCENTILE,
        CalibrationMethod.MSE}) {
      String one = plan(method, 1);
      assertEquals(one, plan(method, 3), method + ": the number of workers changes the plan");
      String sha = Hashing.sha256().hashString(one, StandardCharsets.UTF_8).toString();
      System.out.println("reference-calibrated ResNet8 plan, " + method + ": sha256 " + sha);
      actual.put(method, sha);
    }
    assertEquals(EXPECTED_SHA256, actual, "the plans differ from the ones recorded on another CPU");
  }
}
