"""Oracle for losses and metrics: evaluates each case of a JSON request (stdin) with the MONAI transcription
(monai_reference.py) or, for bce and crossEntropy, with torch itself, and prints the results as JSON.

request: [{"fn": "dice" | "diceCe" | "focal" | "tversky" | "diceMetric" | "iouMetric" | "bce" | "crossEntropy",
           "input": encoded tensor, "target": encoded tensor, "options": {camelCase options}}]
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from monai_reference import evaluate  # noqa: E402
from tensor_io import decode, encode  # noqa: E402


def as_list(value):
    return value if isinstance(value, list) else [value]


def bce(input, target, options):
    pos_weight = options.get("posWeight")
    if pos_weight is not None:
        pos_weight = torch.tensor(as_list(pos_weight), dtype=input.dtype).reshape(-1, *([1] * (input.dim() - 2)))
    return F.binary_cross_entropy_with_logits(input, target.to(input.dtype), pos_weight=pos_weight,
                                              reduction=options.get("reduction", "mean"))


def cross_entropy(input, target, options):
    weight = options.get("weight")
    if weight is not None:
        weight = torch.tensor(as_list(weight), dtype=input.dtype)
    if target.shape == input.shape and target.is_floating_point():
        labels = target
    else:
        labels = target[:, 0].long() if target.dim() == input.dim() else target.long()
    return F.cross_entropy(input, labels, weight=weight, ignore_index=options.get("ignoreIndex", -100),
                           label_smoothing=options.get("labelSmoothing", 0.0),
                           reduction=options.get("reduction", "mean"))


def main():
    results = []
    for case in json.load(sys.stdin):
        input, target = decode(case["input"]), decode(case["target"])
        if case["fn"] == "bce":
            value = bce(input, target, case["options"])
        elif case["fn"] == "crossEntropy":
            value = cross_entropy(input, target, case["options"])
        else:
            value = evaluate(case["fn"], input, target, case["options"])
        results.append(encode(value.reshape(-1).to(torch.float64)))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
