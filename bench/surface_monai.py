"""The peer of bench/surface.ts: MONAI's Hausdorff distance (its algorithm on scipy, as test/oracle/monai_surface.py
transcribes it), timed on request. One JSON line in, one out:
  {"case": name, "pred": path, "target": path, "shape": [...]}  loads a case's float32 masks
  {"case": name, "runs": k, "percentile": p}                     -> {"ms": [...], "values": [...]}
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "oracle"))
from monai_surface import compute_hausdorff_distance  # noqa: E402

cases = {}
for line in sys.stdin:
    request = json.loads(line)
    if "pred" in request:
        load = lambda path: torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(request["shape"]))
        cases[request["case"]] = (load(request["pred"]), load(request["target"]))
        print(json.dumps({"loaded": request["case"], "threads": torch.get_num_threads()}), flush=True)
        continue
    pred, target = cases[request["case"]]
    milliseconds = []
    for _ in range(request["runs"]):
        start = time.perf_counter()
        values = compute_hausdorff_distance(pred, target, percentile=request["percentile"])
        milliseconds.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"ms": milliseconds, "values": values.reshape(-1).tolist()}), flush=True)
