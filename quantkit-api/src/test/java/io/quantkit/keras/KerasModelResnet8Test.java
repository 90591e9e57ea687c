package io.quantkit.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.ImmutableIntArray;
import io.jhdf.HdfFile;
import io.quantkit.backend.Runner;
import io.quantkit.data.Cifar10;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.AccuracyReport;
import io.quantkit.eval.Evaluation;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.ir.Op;
import io.quantkit.ir.Padding;
import io.quantkit.reference.ReferenceBackend;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Imports the MLPerf Tiny ResNet8 reference model (a real Keras 2.4 file) from the shared folder. */
class KerasModelResnet8Test {
  private static Path file;
  private static KerasImporter.Result result;
  private static Graph graph;

  /** The shared model; tests read it where the build's QUANTKIT_HOME points and never download it. */
  static Path resnet8() {
    Path p = QuantkitHome.defaultDir().resolve(QuantkitHome.RESNET8_MODEL_PATH);
    assertTrue(Files.isRegularFile(p), p.toAbsolutePath() + " is missing (set QUANTKIT_HOME to the shared quantkit-home)");
    return p;
  }

  @BeforeAll
  static void load() {
    file = resnet8();
    result = KerasModel.importFile(file);
    graph = result.graph();
  }

  @Test
  void opCountsMatchTheArchitecture() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Node n : graph.nodes()) {
      counts.merge(n.op().type(), 1, Integer::sum);
    }
    // 9 convolutions (7 3x3 + 2 1x1 shortcuts), 7 BN, 7 ReLU, 3 residual adds, pooling, flatten
    // (with its NHWC transpose), dense and softmax, plus the input transpose.
    Map<String, Integer> expected = new TreeMap<>(Map.of(
        "Transpose", 2, "Conv", 9, "BatchNormalization", 7, "Relu", 7, "Add", 3,
        "AveragePool", 1, "Flatten", 1, "Gemm", 1, "Softmax", 1));
    assertEquals(expected, counts);
    // 9 x (kernel, bias) + 7 x (gamma, beta, mean, variance) + dense (kernel, bias)
    assertEquals(48, graph.initializers().size());
  }

  @Test
  void inputContractIsKerasNhwc() {
    assertEquals(1, graph.inputs().size());
    assertEquals("input_1", graph.input().name());
    assertEquals(DataType.FLOAT32, graph.input().type());
    assertEquals(Shape.of(-1, 32, 32, 3), graph.input().shape());
    Node first = graph.nodes().get(0);
    assertEquals(new Op.Transpose(ImmutableIntArray.of(0, 3, 1, 2)), first.op());
    assertEquals(List.of("input_1"), first.inputs());
    assertEquals(List.of(first), graph.consumers("input_1"));
    assertEquals("NHWC", graph.metadata().get("input_layout"));
    assertEquals("pretrainedResnet.h5", graph.metadata().get("source"));
    assertEquals("keras 2.4.0", graph.metadata().get("framework"));
    assertEquals("model", graph.name());
  }

  @Test
  void outputIsTheSoftmaxOfDense() {
    assertEquals(List.of("dense"), graph.outputs());
    assertEquals(Shape.of(-1, 10), result.kerasShapes().get("dense"));
    Node softmax = graph.producer("dense").orElseThrow();
    assertEquals(new Op.Softmax(1), softmax.op());
    Node gemm = graph.producer(softmax.input(0)).orElseThrow();
    assertEquals(new Op.Gemm(1f, 1f, false, false), gemm.op());
    assertEquals(List.of("flatten", "dense/kernel", "dense/bias"), gemm.inputs());
    // Flatten reads NHWC, as Keras's Flatten does.
    Node flatten = graph.producer("flatten").orElseThrow();
    Node toNhwc = graph.producer(flatten.input(0)).orElseThrow();
    assertEquals(new Op.Transpose(ImmutableIntArray.of(0, 2, 3, 1)), toNhwc.op());
    assertEquals("average_pooling2d", toNhwc.input(0));
  }

  @Test
  void layersKeepTheirNamesAndAttributes() {
    Node conv = graph.node("conv2d_5").orElseThrow();
    assertEquals(List.of("activation_2", "conv2d_5/kernel", "conv2d_5/bias"), conv.inputs());
    assertEquals(List.of("conv2d_5"), conv.outputs());
    Op.Conv c = (Op.Conv) conv.op();
    assertEquals(ImmutableIntArray.of(1, 1), c.kernel());
    assertEquals(ImmutableIntArray.of(2, 2), c.strides());
    assertEquals(Padding.sameUpper(), c.padding());
    assertEquals(1, c.groups());
    assertEquals(Shape.of(-1, 16, 16, 32), result.kerasShapes().get("conv2d_5"));

    assertEquals(List.of("activation", "batch_normalization_2"), graph.node("add").orElseThrow().inputs());
    assertEquals(new Op.BatchNorm(1e-3f), graph.node("batch_normalization").orElseThrow().op());
    Op.AveragePool pool = (Op.AveragePool) graph.node("average_pooling2d").orElseThrow().op();
    assertEquals(ImmutableIntArray.of(8, 8), pool.kernel());
    assertEquals(ImmutableIntArray.of(8, 8), pool.strides());
    assertEquals(Padding.valid(), pool.padding());
    assertEquals(false, pool.countIncludePad());
  }

  @Test
  void firstConvKernelIsTransposedToOihw() throws IOException {
    Tensor w = graph.initializer("conv2d/kernel").orElseThrow();
    assertEquals(Shape.of(16, 3, 3, 3), w.shape());
    float[] oihw = w.toFloatArray();
    // Values printed by h5py (an HDF5 reader independent of jhdf) for kernel[kh][kw][in][out].
    assertEquals(0.1258375644683838f, oihw[idx(0, 0, 0, 0)]);
    assertEquals(-0.08303387463092804f, oihw[idx(5, 0, 1, 2)]);
    assertEquals(-0.21284504234790802f, oihw[idx(15, 2, 2, 1)]);
    assertEquals(0.1825277954339981f, oihw[idx(7, 1, 0, 2)]);
    // Every element against jhdf's nested-array view of the stored kernel.
    try (HdfFile h = new HdfFile(file)) {
      float[][][][] k = (float[][][][]) h.getDatasetByPath("model_weights/conv2d/conv2d/kernel:0").getData();
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 3; x++) {
          for (int i = 0; i < 3; i++) {
            for (int o = 0; o < 16; o++) {
              assertEquals(k[y][x][i][o], oihw[idx(o, i, y, x)], "kernel[" + y + "][" + x + "][" + i + "][" + o + "]");
            }
          }
        }
      }
      float[] bias = (float[]) h.getDatasetByPath("model_weights/conv2d/conv2d/bias:0").getData();
      assertArrayEquals(bias, graph.initializer("conv2d/bias").orElseThrow().toFloatArray());
    }
  }

  private static int idx(int o, int i, int y, int x) {
    return ((o * 3 + i) * 3 + y) * 3 + x;
  }

  @Test
  void denseAndBatchNormWeightsAreCopiedAsStored() {
    Tensor dense = graph.initializer("dense/kernel").orElseThrow();
    assertEquals(Shape.of(64, 10), dense.shape());
    // h5py: dense/kernel:0[3, 7] and [63, 0]
    assertEquals(-0.119064562022686f, dense.getFloat(3 * 10 + 7));
    assertEquals(0.8095147609710693f, dense.getFloat(63 * 10));
    Tensor var = graph.initializer("batch_normalization/moving_variance").orElseThrow();
    assertEquals(Shape.of(16), var.shape());
    assertEquals(735.1058959960938f, var.getFloat(4)); // h5py: moving_variance:0[4]
  }

  /**
   * End to end: the imported graph, run on the reference executor over the first 200 CIFAR-10
   * test images, must classify about as well as the published 87.19 % (full test set). 200 images
   * give a binomial standard error near 2.4 points, so 80 % leaves a wide margin for the sample,
   * while a layout mistake (wrong transpose, SAME padding on the wrong side, flatten order)
   * collapses it. (Measured: 178/200. The integration test
   * io.quantkit.integration.ResNet8AccuracyTest covers all 1,000 shared images.)
   */
  @Test
  void classifiesCifarImagesAsPublished() {
    AccuracyReport report;
    try (Runner runner = new ReferenceBackend().compile(graph)) {
      report = Evaluation.builder().dataset(Cifar10.test().limit(200)).batchSize(50).build().run(runner);
    }
    assertEquals(200, report.samples());
    // Counted in images (80 % of 200), never a float at its bound.
    assertTrue(report.correct() >= 160, "top-1: " + report.correct() + " of the first " + report.samples()
        + " CIFAR-10 test images");
  }
}
