"""Outside check of quantkit's TorchScript files with real PyTorch (not run in CI).

Loads each .pt with torch.jit.load, lists a few named parameters, runs the CIFAR-10 binary test
batch through it and prints the top-1 accuracy, so the figures quantkit reports for its own
runners can be compared with what PyTorch itself computes. Debian's PyTorch 1.13:
    apt-get install -y python3-torch
    /usr/bin/python3 quantkit-pytorch/scripts/validate_torchscript.py \
        ../shared/quantkit-home/datasets/cifar-10-batches-bin/test_batch.bin resnet8.pt resnet8-int8.pt
"""
import sys

import numpy as np
import torch


def cifar(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % 3073:
        raise SystemExit("%s: %d bytes is not a whole number of 3073-byte records" % (path, raw.size))
    rec = raw.reshape(-1, 3073)
    labels = rec[:, 0].astype(np.int64)
    # planes R, G, B of 32x32 -> NHWC float32 raw pixel values 0..255 (the ResNet8 input contract)
    images = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels)


def main():
    images, labels = cifar(sys.argv[1])
    print("torch %s, quantized engine %s" % (torch.__version__, torch.backends.quantized.engine))
    for path in sys.argv[2:]:
        m = torch.jit.load(path)
        names = [n for n, _ in m.named_parameters()][:3]
        qweight = getattr(getattr(m, "conv2d_1", None), "weight", None)
        correct = 0
        with torch.no_grad():
            for start in range(0, len(labels), 100):
                scores = m(images[start:start + 100])
                correct += int((scores.argmax(1) == labels[start:start + 100]).sum())
        print("%s: %s, top-1 %.2f %% (%d/%d); parameters %s; conv2d_1.weight %s" % (
            path, m.original_name, 100.0 * correct / len(labels), correct, len(labels), names,
            None if qweight is None else "%s %s" % (qweight.dtype, tuple(qweight.shape))))


if __name__ == "__main__":
    main()
