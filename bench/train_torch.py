"""PyTorch-eager sides of bench/train.ts: the reference U-Net (test/reference/unet.py) with torch-unet's exported
weights, MONAI's DiceCE with sigmoid (Dice, smooth 1e-5, + BCE with logits) and torch.optim.Adam, in fp32 or under
torch.cpu.amp.autocast(dtype=torch.bfloat16) (the forward pass; the loss on fp32 logits, as PyTorch's AMP recipe
has it), timing training steps on one fixed batch whenever bench/train.ts asks, so that the sides take turns on
the cores.

Usage: spawned by bench/train.ts; one JSON request per line on stdin, one JSON reply per line on stdout.
{"op": "setup", "name": str, "autocast": bool, "dir": str, "config": {...UNetConfig}, "threads": int,
 "shape": [N, C, H, W], "lr": float}
    -> {"torchVersion": str, "threads": int, "losses": [first step, second step]}
    (loads dir/weights.bin, dir/images.bin (float32) and dir/masks.bin (uint8 0/1), builds a fresh Adam)
{"op": "time", "name": str, "warmup": int, "runs": int} -> {"ms": [float, ...]}
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from forward_torch import build_model, reply  # noqa: E402


def dice_ce(logits, target):
    """MONAI DiceCELoss(sigmoid=True) defaults, as test/oracle/unet_case.py's dice_ce for one class."""
    probabilities = torch.sigmoid(logits)
    intersection = (probabilities * target).sum((2, 3))
    denominator = probabilities.sum((2, 3)) + target.sum((2, 3))
    dice = (1.0 - (2.0 * intersection + 1e-5) / (denominator + 1e-5)).mean()
    return dice + F.binary_cross_entropy_with_logits(logits, target)


class Trainer:
    def __init__(self, setup):
        directory = setup["dir"]
        shape = setup["shape"]
        self.model = build_model(setup["config"], directory).train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=setup["lr"])
        images = np.fromfile(os.path.join(directory, "images.bin"), dtype=np.float32).reshape(shape)
        masks = np.fromfile(os.path.join(directory, "masks.bin"), dtype=np.uint8).reshape(shape)
        self.images = torch.from_numpy(images)
        self.masks = torch.from_numpy(masks.astype(np.float32))
        self.autocast = setup["autocast"]

    def step(self):
        self.optimizer.zero_grad()
        with torch.cpu.amp.autocast(enabled=self.autocast, dtype=torch.bfloat16):
            logits = self.model(self.images)
        loss = dice_ce(logits.float(), self.masks)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def time(self, warmup, runs):
        for _ in range(warmup):
            self.step()
        milliseconds = []
        for _ in range(runs):
            start = time.perf_counter()
            self.step()
            milliseconds.append((time.perf_counter() - start) * 1000.0)
        return milliseconds


def main():
    trainers = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "setup":
            torch.set_num_threads(request["threads"])
            trainer = trainers[request["name"]] = Trainer(request)
            losses = [trainer.step(), trainer.step()]
            reply({"torchVersion": torch.__version__, "threads": torch.get_num_threads(), "losses": losses})
        else:
            reply({"ms": trainers[request["name"]].time(request["warmup"], request["runs"])})


if __name__ == "__main__":
    main()
