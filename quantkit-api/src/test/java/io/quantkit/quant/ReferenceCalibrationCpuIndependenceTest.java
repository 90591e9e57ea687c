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
 * <p>The expected SHA-256 digests (plan format quantkit.quant-plan/2) were recorded on an AMD EPYC
 * with AVX-512 VNNI; a change of the plan format changes them too. CI's AVX2
 * machines must reproduce them. Entropy is left out: its KL search calls {@code Math.log}, which
 * the JVM may implement with CPU-specific code.
 */
class ReferenceCalibrationCpuIndependenceTest {
  private static final Map<CalibrationMethod, String> EXPECTED_SHA256 = Map.of(
      CalibrationMethod.MINMAX, "41b6211c586b99ddafa1dfec5dba4f61b16bc80c8757b5f0c2d77b35c283b9c7",
      CalibrationMethod.PERCENTILE, "9bf27f333ebf94dca51f275bb5d2fd57211fefd34657afea3fbf980e92983b1a",
      CalibrationMethod.MSE, "3d35ece4d44eba0d4be88fbf554cc4a5bd0b67a0c9ce8f3a7ee6b776f85e14a0");

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
