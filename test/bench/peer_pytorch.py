"""PyTorch peer of Strata's training step, for `npm run bench -- --peer pytorch`.

Builds the same U-Net as src-main/training/model.ts from the design JSON the bench writes
(the architecture, every node's inferred output shape, the batch and the thread count), and
trains it with the same loss (batch IoU) and optimiser (SGD with momentum) on the same synthetic
batch. It is driven over stdin so the bench can interleave its steps with Strata's on a shared
machine: each line "step" runs one training step and answers one JSON line {"sec": ...};
"quit" (or end of input) ends it. The first line printed is {"ready": true, ...}.

Usage: python3 peer_pytorch.py DESIGN.json
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

BN_EPSILON = 1e-3  # Keras's BatchNormalization default, as model.ts
BN_MOMENTUM = 0.01  # Keras momentum 0.99 in PyTorch's convention
BATCH_IOU_EPS = 1e-6


def same_padding(size, kernel, stride):
    """TensorFlow's 'same' padding of one axis: (before, after), the odd pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv(nn.Module):
    """Conv2d with TensorFlow 'same' padding (asymmetric where TF's is) and a bias."""

    def __init__(self, size, cin, cout, kernel, stride):
        super().__init__()
        before, after = same_padding(size, kernel, stride)
        self.symmetric = before == after
        self.pad = (before, after, before, after)
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=before if self.symmetric else 0)

    def forward(self, x):
        return self.conv(x if self.symmetric else F.pad(x, self.pad))


class Up(nn.Module):
    """Stride-2 transposed conv to the exact target size (the adjoint of a 'same' conv from it)."""

    def __init__(self, size_in, size_out, cin, cout, kernel):
        super().__init__()
        pad = (kernel - 1) // 2
        extra = size_out - ((size_in - 1) * 2 - 2 * pad + kernel)
        if not 0 <= extra < 2:
            raise ValueError(f"transposed conv {size_in}->{size_out} with kernel {kernel} is not a stride-2 'same' adjoint")
        self.conv = nn.ConvTranspose2d(cin, cout, kernel, 2, padding=pad, output_padding=extra)

    def forward(self, x):
        return self.conv(x)


def bn(c):
    return nn.BatchNorm2d(c, eps=BN_EPSILON, momentum=BN_MOMENTUM)


class Block(nn.Module):
    """Pre-activation residual block: x + conv(relu(bn(conv(relu(bn(x))))))."""

    def __init__(self, size, c, kernel, bn_after):
        super().__init__()
        self.bn1, self.conv1 = bn(c), SameConv(size, c, c, kernel, 1)
        self.bn2, self.conv2 = bn(c), SameConv(size, c, c, kernel, 1)
        self.bn_out = bn(c) if bn_after else None

    def forward(self, x):
        r = self.conv1(F.relu(self.bn1(x)))
        r = self.conv2(F.relu(self.bn2(r)))
        y = x + r
        return self.bn_out(y) if self.bn_out is not None else y


class Node(nn.Module):
    """One design node, as model.ts runs it."""

    def __init__(self, node, in_shape, out_shape):
        super().__init__()
        self.kind = node["kind"]
        kind = self.kind
        layers = []
        if kind == "conv":
            layers.append(SameConv(in_shape["h"], in_shape["c"], node["filters"], node["kernel"], node["stride"]))
        elif kind == "resnet":
            for _ in range(node["blocks"]):
                layers.append(Block(in_shape["h"], in_shape["c"], node["kernel"], node.get("bnAfterBlock", False)))
        elif kind == "down":
            for _ in range(node["convs"]):
                layers.append(SameConv(in_shape["h"], in_shape["c"], in_shape["c"], node["kernel"], 1))
            layers.append(SameConv(in_shape["h"], in_shape["c"], out_shape["c"], node["kernel"], 2))
            if node["bn"] != "none":
                layers.append(bn(out_shape["c"]))
        elif kind == "up":
            layers.append(Up(in_shape["h"], out_shape["h"], in_shape["c"], out_shape["c"], node["kernel"]))
            if node["bn"] == "strided":
                layers.append(bn(out_shape["c"]))
            for _ in range(node["convs"]):
                layers.append(SameConv(out_shape["h"], out_shape["c"], out_shape["c"], node.get("convKernel", 3), 1))
            if node["bn"] == "after":
                layers.append(bn(out_shape["c"]))
        elif kind == "bn":
            layers.append(bn(in_shape["c"]))
        elif kind == "merge":
            if node["mode"] != "add":
                layers.append(SameConv(in_shape["h"], 2 * in_shape["c"], in_shape["c"], 1, 1))
            self.mode = node["mode"]
        elif kind == "head":
            layers.append(SameConv(in_shape["h"], in_shape["c"], 1, 1, 1))
            layers.append(bn(1))
        elif kind != "input":
            raise ValueError(f"node '{node['id']}': unknown kind '{kind}'")
        self.layers = nn.Sequential(*layers)

    def forward(self, x, skip=None):
        if self.kind == "merge":
            if self.mode == "add":
                return x + skip
            return self.layers(torch.cat([x, skip], 1))
        return self.layers(x)


class UNet(nn.Module):
    def __init__(self, arch, shapes):
        super().__init__()
        self.inputs = {}
        for e in arch["edges"]:
            self.inputs.setdefault(e["to"], {})[e.get("port", "in")] = e["from"]
        nodes = {n["id"]: n for n in arch["nodes"]}
        self.order = topological_order(arch)
        self.nodes = nn.ModuleDict()
        for nid in self.order:
            src = self.inputs.get(nid, {}).get("in")
            in_shape = shapes[src] if src is not None else shapes[nid]
            self.nodes[nid.replace("-", "_")] = Node(nodes[nid], in_shape, shapes[nid])
        self.head = next(n["id"] for n in arch["nodes"] if n["kind"] == "head")

    def forward(self, x):
        out = {}
        for nid in self.order:
            ports = self.inputs.get(nid, {})
            main = x if "in" not in ports else out[ports["in"]]
            skip = out[ports["skip"]] if "skip" in ports else None
            out[nid] = self.nodes[nid.replace("-", "_")](main, skip)
        return out[self.head]


def topological_order(arch):
    deps = {n["id"]: set() for n in arch["nodes"]}
    for e in arch["edges"]:
        deps[e["to"]].add(e["from"])
    order, done = [], set()
    while len(order) < len(deps):
        ready = [n["id"] for n in arch["nodes"] if n["id"] not in done and deps[n["id"]] <= done]
        if not ready:
            raise ValueError("the design has a cycle")
        order.extend(ready)
        done.update(ready)
    return order


def batch_iou_loss(y, p):
    inter = (y * p).sum()
    union = (y + p - y * p).sum()
    return 1 - (inter + BATCH_IOU_EPS) / (union + BATCH_IOU_EPS)


def synthetic_batch(batch, h, w, c):
    """The bench's batch: x[i] = sin(0.37 i) in NHWC order, y[i] = [sin(0.011 i) > 0.3]."""
    i = torch.arange(batch * h * w * c, dtype=torch.float64)
    x = torch.sin(i * 0.37).float().reshape(batch, h, w, c).permute(0, 3, 1, 2).contiguous()
    j = torch.arange(batch * h * w, dtype=torch.float64)
    y = (torch.sin(j * 0.011) > 0.3).float().reshape(batch, 1, h, w)
    return x, y


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peer_pytorch.py DESIGN.json")
    with open(sys.argv[1], encoding="utf8") as f:
        design = json.load(f)
    torch.set_num_threads(int(design["threads"]))
    torch.manual_seed(1)
    model = UNet(design["arch"], design["shapes"])
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=design["lr"], momentum=design["momentum"])
    inp = next(n for n in design["arch"]["nodes"] if n["kind"] == "input")
    x, y = synthetic_batch(int(design["batch"]), inp["height"], inp["width"], inp["channels"])
    convs = sum(1 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "convs": convs}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd != "step":
            sys.exit(f"peer_pytorch.py: unknown command {cmd!r}")
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = batch_iou_loss(y, torch.sigmoid(model(x)))
        loss.backward()
        opt.step()
        value = loss.item()
        print(json.dumps({"sec": time.perf_counter() - t0, "loss": value}), flush=True)


if __name__ == "__main__":
    main()
