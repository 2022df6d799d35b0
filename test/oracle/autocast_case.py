"""Oracle for bf16: the reference U-Net (test/reference/unet.py) under PyTorch's CPU autocast in bfloat16, as a
PyTorch user runs mixed precision, beside the same network in fp32.

Usage: /usr/bin/python3 test/oracle/autocast_case.py < request.json
request: {"config": {...UNetOptions in camelCase}, "shape": [N, C, H, W], "seed": int, "lr": float}
prints: {"state", "x", "target": tensors; "logits": fp32 eval logits; "logitsBf16": eval logits under autocast
(cast to fp32); "lossesBf16": the default loss (Dice + BCE) of two Adam steps under autocast, in train mode}
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
sys.path.insert(0, os.path.dirname(__file__))
from tensor_io import encode  # noqa: E402
from unet import UNet, perturb_batch_norm_statistics  # noqa: E402
from unet_case import dice_ce  # noqa: E402


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(2)
    config = request["config"]
    torch.manual_seed(request["seed"])
    model = UNet(in_channels=config["inChannels"], classes=1, depth=config["depth"],
                 base_filters=config["baseFilters"], norm=config["norm"], upsampling=config["upsampling"])
    perturb_batch_norm_statistics(model)
    n, _, h, w = request["shape"]
    x = torch.randn(request["shape"])
    target = (torch.rand(n, 1, h, w) > 0.5).float()
    state = {name: encode(value) for name, value in model.state_dict().items()}

    model.eval()
    with torch.no_grad():
        logits = model(x)
        with torch.cpu.amp.autocast(dtype=torch.bfloat16):
            logits_bf16 = model(x).float()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=request["lr"])
    losses = []
    for _ in range(2):
        optimizer.zero_grad()
        with torch.cpu.amp.autocast(dtype=torch.bfloat16):
            output = model(x)
        loss = dice_ce(output.float(), target, 1)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(json.dumps({"state": state, "x": encode(x), "target": encode(target), "logits": encode(logits),
                      "logitsBf16": encode(logits_bf16), "lossesBf16": losses}))


if __name__ == "__main__":
    main()
