package io.quantkit.tf;

import io.quantkit.backend.Backend;
import io.quantkit.backend.Backends;
import io.quantkit.backend.Runner;
import io.quantkit.backend.RunnerOptions;
import io.quantkit.data.Cifar10;
import io.quantkit.data.Dataset;
import io.quantkit.data.QuantkitHome;
import io.quantkit.eval.Comparison;
import io.quantkit.eval.ComparisonReport;
import io.quantkit.ir.Graph;
import io.quantkit.ir.Node;
import io.quantkit.keras.KerasModel;
import io.quantkit.quant.*;
import io.quantkit.tensor.Tensor;
import java.util.*;
import org.junit.jupiter.api.Test;

class ScratchInt8Test {
  @Test
  void int8() {
    QuantkitHome home = QuantkitHome.fromEnvironment();
    Graph fp32 = KerasModel.load(home.resnet8Model());
    Dataset test = Cifar10.test(home);
    Dataset calib = Cifar10.train(home).limit(500);
    RunnerOptions o = RunnerOptions.builder().threads(2).build();
    Object[][] configs = {{CalibrationMethod.MINMAX, false, QuantType.UINT8}, {CalibrationMethod.ENTROPY, true, QuantType.UINT8},
        {CalibrationMethod.MINMAX, true, QuantType.INT8}};
    for (Object[] c : configs) {
      QuantPlan plan = Calibration.builder().method((CalibrationMethod) c[0]).perChannelWeights((Boolean) c[1])
          .activations((QuantType) c[2]).calibSize(500).runnerOptions(o).build().calibrate(fp32, calib, Backends.named("onnx"));
      Graph q = Qdq.quantize(fp32, plan).graph();
      Map<String, Runner> runners = new LinkedHashMap<>();
      try (Runner tf = Backends.named("tf").compile(q, o); Runner ref = Backends.named("reference").compile(q, o);
          Runner ort = Backends.named("onnx").compile(q, o)) {
        runners.put("tf", tf); runners.put("reference", ref); runners.put("onnx", ort);
        ComparisonReport r = Comparison.builder().dataset(test).batchSize(100).build().run(runners);
        System.out.println(Arrays.toString(c) + " " + r.runners() + " " + r.pairs());
      }
      List<String> qs = new ArrayList<>();
      for (Node n : q.nodes()) if (n.op().type().equals("QuantizeLinear")) qs.add(n.output());
      Graph probe = q.withOutputs(qs);
      Tensor images = test.batch(0, 200).images();
      try (Runner tf = Backends.named("tf").compile(probe, o); Runner ref = Backends.named("reference").compile(probe, o)) {
        Map<String, Tensor> a = tf.run(Map.of(q.input().name(), images));
        Map<String, Tensor> b = ref.run(Map.of(q.input().name(), images));
        long diff = 0, total = 0, maxd = 0;
        for (String name : qs) {
          Tensor x = a.get(name), y = b.get(name);
          if (!x.shape().equals(y.shape())) System.out.println("SHAPE " + name + x.shape() + y.shape());
          long d = 0;
          for (int i = 0; i < x.size(); i++) { long e = Math.abs(x.getLong(i) - y.getLong(i)); if (e != 0) d++; maxd = Math.max(maxd, e); }
          diff += d; total += x.size();
          if (d > 0) System.out.println("  " + name + " " + d + "/" + x.size());
        }
        System.out.println("  quantized values differing: " + diff + " of " + total + ", max " + maxd);
      }
    }
  }
}
