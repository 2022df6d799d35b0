"""Oracle for the U-Net: builds test/reference/unet.py, runs it in eval mode (logits) and in train mode
(default loss and gradients), and prints weights, inputs and results as JSON for the TypeScript tests.

Usage: /usr/bin/python3 test/oracle/unet_case.py < request.json
request: {"config": {...UNetOptions in camelCase}, "shape": [N, C, H, W], "seed": int, "threads": int}
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
sys.path.insert(0, os.path.dirname(__file__))
from tensor_io import encode  # noqa: E402
from unet import UNet, perturb_batch_norm_statistics  # noqa: E402


def dice_ce(logits, target, classes):
    """MONAI DiceCELoss defaults with sigmoid (one class) or softmax + one-hot targets (more)."""
    if classes == 1:
        probabilities, onehot = torch.sigmoid(logits), target
        ce = F.binary_cross_entropy_with_logits(logits, target)
    else:
        probabilities = torch.softmax(logits, 1)
        onehot = F.one_hot(target[:, 0].long(), classes).permute(0, 3, 1, 2).to(logits.dtype)
        ce = F.cross_entropy(logits, target[:, 0].long())
    intersection = (probabilities * onehot).sum((2, 3))
    denominator = probabilities.sum((2, 3)) + onehot.sum((2, 3))
    dice = (1.0 - (2.0 * intersection + 1e-5) / (denominator + 1e-5)).mean()
    return dice + ce


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(request.get("threads", 2))
    config = request["config"]
    torch.manual_seed(request["seed"])
    model = UNet(in_channels=config["inChannels"], classes=config["classes"], depth=config["depth"],
                 base_filters=config["baseFilters"], growth=config["growth"], norm=config["norm"],
                 activation=config["activation"], upsampling=config["upsampling"])
    perturb_batch_norm_statistics(model)
    n, _, h, w = request["shape"]
    x = torch.randn(request["shape"])
    classes = config["classes"]
    if classes == 1:
        target = (torch.rand(n, 1, h, w) > 0.5).float()
    else:
        target = torch.randint(0, classes, (n, 1, h, w)).to(torch.int32)

    state = {name: encode(value) for name, value in model.state_dict().items()}
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.train()
    loss = dice_ce(model(x), target, classes)
    loss.backward()
    gradients = {name: encode(p.grad) for name, p in model.named_parameters()}
    print(json.dumps({
        "state": state, "x": encode(x), "target": encode(target), "logits": encode(logits),
        "loss": loss.item(), "gradients": gradients,
        "parameterCount": sum(p.numel() for p in model.parameters()),
    }))


if __name__ == "__main__":
    main()
