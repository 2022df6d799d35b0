"""Weights interop with PyTorch: writes state dicts the way torch.save does, and checks the ones torch-unet exports.

Usage: /usr/bin/python3 test/oracle/weights_interop.py <command> <config json> <path> [seed]
  save-reference <config> <path> [seed]  builds test/reference/unet.py's UNet (seed, default 0, with
      non-trivial batch-norm statistics) and torch.save()s its state_dict (an OrderedDict) to path;
      prints {"keys": [...], "tensors": {name: {shape, dtype, sum}}}.
  check <config> <path>                   torch.load()s path, requires a dict of str -> tensor,
      load_state_dict(strict=True)s it into the reference UNet; prints {"ok": true, "type", "tensors"}
      or {"ok": false, "error": "..."} (exit status 0 either way, so the test reads the reason).
  logits <config> <path> <input> [out]    as check, then runs the model in eval mode on the input
      torch.load()ed from <input> (a tensor, or a dict whose "x" is one); prints
      {"ok": true, "logits": {dtype, shape, b64}} and, given [out], torch.save()s {"logits", "x"} there.
<config> is the JSON text of the UNetOptions in camelCase (missing fields take the reference defaults).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
sys.path.insert(0, os.path.dirname(__file__))
from tensor_io import encode  # noqa: E402
from unet import UNet, perturb_batch_norm_statistics  # noqa: E402

OPTION_NAMES = {"inChannels": "in_channels", "classes": "classes", "depth": "depth", "baseFilters": "base_filters",
                "growth": "growth", "norm": "norm", "activation": "activation", "upsampling": "upsampling",
                "dropout": "dropout"}


def build_model(config):
    return UNet(**{OPTION_NAMES[key]: value for key, value in config.items() if key in OPTION_NAMES})


def describe(state):
    """Shape, dtype and sum (in float64) of each tensor, so the test compares without decoding bytes."""
    return {name: {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", ""),
                   "sum": tensor.detach().double().sum().item()} for name, tensor in state.items()}


def save_reference(config, path, seed):
    torch.manual_seed(seed)
    model = build_model(config)
    perturb_batch_norm_statistics(model, batches_tracked=7)  # a step count too, so every buffer is checked
    state = model.state_dict()
    torch.save(state, path)
    return {"keys": list(state.keys()), "tensors": describe(state)}


def load_checked(config, path):
    """Returns (model, loaded object) or raises ValueError with the reason the file does not fit."""
    loaded = torch.load(path, map_location="cpu")
    if not isinstance(loaded, dict):
        raise ValueError(f"torch.load returned a {type(loaded).__name__}, not a dict")
    for name, value in loaded.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise ValueError(f"entry {name!r} is a {type(value).__name__}, not a tensor")
    model = build_model(config)
    model.load_state_dict(loaded, strict=True)
    return model, loaded


def check(config, path):
    try:
        _, loaded = load_checked(config, path)
    except Exception as error:  # the test reports the reason rather than a Python traceback
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True, "type": type(loaded).__name__, "tensors": describe(loaded)}


def logits(config, path, input_path, output_path):
    try:
        model, _ = load_checked(config, path)
    except Exception as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    x = torch.load(input_path, map_location="cpu")
    x = x["x"] if isinstance(x, dict) else x
    model.eval()
    with torch.no_grad():
        result = model(x)
    if output_path:
        torch.save({"logits": result, "x": x}, output_path)
    return {"ok": True, "logits": encode(result)}


def main(argv):
    if len(argv) < 3 or argv[0] not in ("save-reference", "check", "logits"):
        sys.exit(__doc__)
    command, config, path = argv[0], json.loads(argv[1]), argv[2]
    torch.set_num_threads(1)
    if command == "save-reference":
        result = save_reference(config, path, int(argv[3]) if len(argv) > 3 else 0)
    elif command == "check":
        result = check(config, path)
    else:
        if len(argv) < 4:
            sys.exit(__doc__)
        result = logits(config, path, argv[3], argv[4] if len(argv) > 4 else None)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
