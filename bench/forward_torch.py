"""PyTorch-eager side of bench/forward.ts and bench/predict.ts: loads torch-unet's exported weights into
test/reference/unet.py, writes its logits for the check input, optionally exports the network to ONNX, then times
eval-mode forward passes under torch.inference_mode() whenever the bench asks, so that the sides take turns on the
cores.

Usage: spawned by bench/peer.ts's PyTorchEager; one JSON request per line on stdin, one JSON reply per line on stdout.
first line: {"dir": str, "config": {...UNetConfig}, "threads": int, "checkShape": [N, C, H, W], "height": int,
             "width": int, "onnx"?: str} -> {"torchVersion": str, "threads": int}
            (with "onnx", the model is exported there by torch.onnx.export: opset 13, input "images" and output
            "logits" with a dynamic batch axis, traced at height x width; needs no `onnx` Python package)
then:       {"batch": int, "warmup": int, "runs": int} -> {"ms": [float, ...]}
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "reference"))
from unet import UNet  # noqa: E402

DTYPES = {"float32": np.float32, "int64": np.int64}


def load_state(directory):
    """weights.bin holds every tensor's raw little-endian bytes at the offsets listed in manifest.json."""
    with open(os.path.join(directory, "manifest.json")) as file:
        manifest = json.load(file)
    raw = np.fromfile(os.path.join(directory, "weights.bin"), dtype=np.uint8)
    state = {}
    for entry in manifest:
        dtype = np.dtype(DTYPES[entry["dtype"]])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        chunk = raw[entry["offset"]:entry["offset"] + count * dtype.itemsize]
        state[entry["name"]] = torch.from_numpy(chunk.view(dtype).reshape(entry["shape"]).copy())
    return state


def build_model(config, directory):
    model = UNet(in_channels=config["inChannels"], classes=config["classes"], depth=config["depth"],
                 base_filters=config["baseFilters"], growth=config["growth"], norm=config["norm"],
                 activation=config["activation"], upsampling=config["upsampling"], dropout=config["dropout"])
    model.load_state_dict(load_state(directory), strict=True)
    return model.eval()


def time_forward(model, images, warmup, runs):
    for _ in range(warmup):
        model(images)
    milliseconds = []
    for _ in range(runs):
        start = time.perf_counter()
        model(images)
        milliseconds.append((time.perf_counter() - start) * 1000.0)
    return milliseconds


def export_onnx(model, path, channels, height, width):
    """Traced at height x width: the reference's padding branch and final crop become constants for that size."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on the constant padding branch
        torch.onnx.export(model, torch.zeros(1, channels, height, width), path, input_names=["images"],
                          output_names=["logits"], dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=13, do_constant_folding=True)


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    setup = json.loads(sys.stdin.readline())
    torch.set_num_threads(setup["threads"])
    directory = setup["dir"]
    model = build_model(setup["config"], directory)
    channels = setup["config"]["inChannels"]
    if setup.get("onnx"):
        export_onnx(model, setup["onnx"], channels, setup["height"], setup["width"])
    with torch.inference_mode():
        check = np.fromfile(os.path.join(directory, "check_input.bin"), dtype=np.float32)
        logits = model(torch.from_numpy(check.reshape(setup["checkShape"])))
        logits.numpy().astype(np.float32).tofile(os.path.join(directory, "check_logits_torch.bin"))
        reply({"torchVersion": torch.__version__, "threads": torch.get_num_threads()})
        for line in sys.stdin:
            plan = json.loads(line)
            images = torch.randn(plan["batch"], channels, setup["height"], setup["width"])
            reply({"ms": time_forward(model, images, plan["warmup"], plan["runs"])})


if __name__ == "__main__":
    main()
