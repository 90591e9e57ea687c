"""Writes src/test/resources/torch113-tiny.pt and its expected output with real PyTorch.

The fixture is a TorchScript file that PyTorch itself scripted and saved (not quantkit), so the
tests can check that the pytorch backend runs foreign files as they are. Run with Debian's torch:
    /usr/bin/python3 quantkit-pytorch/scripts/make_torch_fixture.py
"""
import os
import torch

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources")


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4, 2)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.conv(image))
        y = torch.mean(y, dim=[2, 3])
        return torch.softmax(self.fc(y), 1)


m = torch.jit.script(Tiny().eval())
torch.jit.save(m, os.path.join(here, "torch113-tiny.pt"))
x = (torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5) % 7) / 7.0
with torch.no_grad():
    y = m(x)
with open(os.path.join(here, "torch113-tiny.expected.txt"), "w") as f:
    f.write("# torch %s, input (arange(150).reshape(2,3,5,5) %% 7) / 7, output [2, 2]\n" % torch.__version__)
    f.write(" ".join(repr(float(v)) for v in y.flatten()) + "\n")
