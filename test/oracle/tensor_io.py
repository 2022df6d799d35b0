"""Tensors to and from the JSON the TypeScript tests read: {dtype, shape, b64} with raw little-endian bytes."""
import base64

import numpy as np
import torch

DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.uint8: "uint8", torch.int32: "int32",
          torch.int64: "int64"}


def encode(tensor):
    tensor = tensor.detach().cpu().contiguous()
    return {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape),
            "b64": base64.b64encode(tensor.numpy().tobytes()).decode("ascii")}


def decode(item):
    array = np.frombuffer(base64.b64decode(item["b64"]), dtype=np.dtype(item["dtype"])).reshape(item["shape"])
    return torch.from_numpy(array.copy())
