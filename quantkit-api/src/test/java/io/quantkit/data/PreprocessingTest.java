package io.quantkit.data;

import static io.quantkit.data.Checks.*;


import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import io.quantkit.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreprocessingTest {
  private static Tensor image(int h, int w, int c, float... v) {
    return Tensor.wrapFloats(Shape.of(1, h, w, c), v);
  }

  @Test
  void torchPresetIsImageNetMeanStdOnUnitRangeInNchw() {
    Tensor out = Preprocessing.preset("torch").apply(image(1, 1, 3, 255, 0, 127.5f));
    assertThat(out.shape()).isEqualTo(Shape.of(1, 3, 1, 1));
    float[] v = out.toFloatArray();
    assertThat(v[0]).isCloseTo((1 - 0.485f) / 0.229f, within(1e-5f));
    assertThat(v[1]).isCloseTo((0 - 0.456f) / 0.224f, within(1e-5f));
    assertThat(v[2]).isCloseTo((0.5f - 0.406f) / 0.225f, within(1e-5f));
  }

  @Test
  void caffeSwapsToBgrAndSubtractsBgrMeans() {
    float[] v = Preprocessing.preset("caffe").apply(image(1, 1, 3, 10, 20, 30)).toFloatArray();
    assertThat(v[0]).isCloseTo(30 - 103.939f, within(1e-4f));
    assertThat(v[1]).isCloseTo(20 - 116.779f, within(1e-4f));
    assertThat(v[2]).isCloseTo(10 - 123.68f, within(1e-4f));
  }

  @Test
  void tfIsMinusOneToOneUnitIsOverTwoFiftyFiveRawIsIdentity() {
    assertThat(Preprocessing.preset("tf").apply(image(1, 2, 1, 0, 255)).toFloatArray()).containsExactly(-1f, 1f);
    assertThat(Preprocessing.preset("unit").apply(image(1, 1, 1, 51)).toFloatArray()[0]).isCloseTo(0.2f, within(1e-6f));
    assertThat(Preprocessing.preset("raw").isIdentity()).isTrue();
    assertThat(Preprocessing.none().format()).isEqualTo("raw");
    Tensor t = image(1, 1, 1, 3);
    assertThat(Preprocessing.none().apply(t).toFloatArray()).containsExactly(3f);
  }

  @Test
  void bilinearResizeUsesHalfPixelCentres() {
    // 1x2 -> 1x4: source x = (o + 0.5) / 2 - 0.5 = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
    Tensor out = Preprocessing.parse("resize=1x4").apply(image(1, 2, 1, 0, 10));
    assertThat(out.shape()).isEqualTo(Shape.of(1, 1, 4, 1));
    assertThat(out.toFloatArray()).containsExactly(0f, 2.5f, 7.5f, 10f);
    // same size: untouched
    assertThat(Preprocessing.parse("resize=1x2").apply(image(1, 2, 1, 0, 10)).toFloatArray()).containsExactly(0f, 10f);
  }

  @Test
  void shorterSideResizeKeepsAspectThenCentreCrops() {
    Preprocessing p = Preprocessing.parse("resize=4,crop=2");
    assertThat(p.outputSize(2, 3)).containsExactly(2, 2);
    // torchvision: the longer side is truncated: 4 * 3 / 2 = 6
    assertThat(Preprocessing.parse("resize=4").outputSize(2, 3)).containsExactly(4, 6);
    assertThat(Preprocessing.parse("resize=4").outputSize(7, 5)).containsExactly(5, 4);
    float[] v = new float[16];
    for (int i = 0; i < 16; i++) {
      v[i] = i;
    }
    // 4x4 centre crop 2x2: rows 1..2, columns 1..2
    assertThat(Preprocessing.parse("crop=2x2").apply(image(4, 4, 1, v)).toFloatArray()).containsExactly(5f, 6f, 9f, 10f);
    assertThatThrownBy(() -> Preprocessing.parse("crop=5x5").apply(image(4, 4, 1, v)))
        .hasMessageContaining("crop 5x5 is larger than the image 4x4");
  }

  @Test
  void nchwLayoutTransposesChannels() {
    // 1x2 image, 2 channels: pixel0 (1, 2), pixel1 (3, 4) -> channel planes (1, 3), (2, 4)
    Tensor out = Preprocessing.parse("nchw").apply(image(1, 2, 2, 1, 2, 3, 4));
    assertThat(out.shape()).isEqualTo(Shape.of(1, 2, 1, 2));
    assertThat(out.toFloatArray()).containsExactly(1f, 3f, 2f, 4f);
  }

  @Test
  void grayIsBt601LuminanceBeforeScaling() {
    Tensor out = Preprocessing.parse("gray,scale=1/255").apply(image(1, 1, 3, 100, 200, 50));
    assertThat(out.shape()).isEqualTo(Shape.of(1, 1, 1, 1));
    // 0.299 * 100 + 0.587 * 200 + 0.114 * 50 = 153
    assertThat(out.toFloatArray()[0]).isCloseTo(153 / 255f, within(1e-5f));
    assertThat(Preprocessing.parse("gray").sampleShape(Shape.of(4, 4, 3))).isEqualTo(Shape.of(4, 4, 1));
    assertThat(Preprocessing.parse("unit,gray").format()).isEqualTo("scale=1/255,gray");
  }

  @Test
  void integerDtypesAreRoundedAndClamped() {
    Tensor u8 = Preprocessing.parse("scale=2,dtype=uint8").apply(image(1, 3, 1, -1, 10.3f, 200));
    assertThat(u8.type()).isEqualTo(DataType.UINT8);
    assertThat(u8.toByteArray()).containsExactly(0, 21, (byte) 255);
    Tensor i8 = Preprocessing.parse("mean=128,dtype=int8").apply(image(1, 2, 1, 0, 255));
    assertThat(i8.toByteArray()).containsExactly(-128, 127);
  }

  @Test
  void textFormRoundTripsAndPresetsExpand() {
    Preprocessing p = Preprocessing.parse("torch,resize=256,crop=224");
    assertThat(p.format()).isEqualTo("resize=256,crop=224x224,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,nchw");
    for (String text : List.of("raw", "scale=1/255", "scale=1/127.5,mean=1", "resize=96x96,scale=1/255", "bgr,mean=103.939/116.779/123.68",
        "resize=256,crop=224x224,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,nchw", "scale=0.3,dtype=uint8")) {
      Preprocessing q = Preprocessing.parse(text);
      assertThat(q.format()).isEqualTo(text);
      assertThat(Preprocessing.parse(q.format())).isEqualTo(q);
    }
    for (String preset : Preprocessing.presetNames()) {
      Preprocessing q = Preprocessing.preset(preset);
      assertThat(Preprocessing.parse(q.format())).isEqualTo(q);
    }
    // later items override the preset
    assertThat(Preprocessing.parse("torch,nhwc").layout()).isEqualTo(Preprocessing.Layout.NHWC);
  }

  @Test
  void badTextNamesTheItem() {
    assertThatThrownBy(() -> Preprocessing.parse("unit,sclae=2")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'sclae=2'");
    assertThatThrownBy(() -> Preprocessing.parse("resize=0x5")).hasMessageContaining("'resize=0x5'");
    assertThatThrownBy(() -> Preprocessing.parse("std=0")).hasMessageContaining("'std=0'");
    assertThatThrownBy(() -> Preprocessing.preset("imagenet")).hasMessageContaining("[raw, unit, tf, torch, caffe]");
    assertThatThrownBy(() -> Preprocessing.parse("mean=1/2/3").apply(image(1, 1, 4, 1, 2, 3, 4)))
        .hasMessageContaining("4 channels");
  }

  @Test
  void preprocessedDatasetRecordsItsPreprocessingAndWarningShowsTheRange() {
    Dataset raw = new Dataset() {
      @Override
      public String name() {
        return "toy";
      }

      @Override
      public int size() {
        return 2;
      }

      @Override
      public List<String> classNames() {
        return List.of("a", "b");
      }

      @Override
      public Shape imageShape() {
        return Shape.of(1, 2, 1);
      }

      @Override
      public Batch batch(int from, int to) {
        float[] v = new float[(to - from) * 2];
        for (int i = 0; i < v.length; i++) {
          v[i] = (from * 2 + i) * 50;
        }
        return new Batch(Tensor.wrapFloats(Shape.of(to - from, 1, 2, 1), v), new int[to - from]);
      }
    };
    Dataset unit = Datasets.preprocess(raw, Preprocessing.preset("unit"));
    assertThat(unit.name()).isEqualTo("toy {scale=1/255}");
    assertThat(unit.batch(1, 2).images().toFloatArray()[1]).isCloseTo(150 / 255f, within(1e-6f));
    assertThat(Datasets.preprocess(raw, Preprocessing.parse("resize=2x4,nchw")).imageShape()).isEqualTo(Shape.of(1, 2, 4));
    assertThat(Preprocessing.unstatedWarning(raw, false, 64)).hasValueSatisfying(w -> assertThat(w).contains("values 0..150"));
    assertThat(Preprocessing.unstatedWarning(raw, true, 64)).isEmpty();
  }
}
