"""scipy.ndimage's distance transforms of the masks on stdin: distance_transform_edt with the given sampling for
'euclidean', distance_transform_cdt with the metric otherwise."""
import json
import sys

import numpy as np
from scipy import ndimage

from tensor_io import decode, encode
import torch

request = json.load(sys.stdin)
results = []
for case in request["cases"]:
    mask = decode(case["mask"]).numpy() != 0
    if case["metric"] == "euclidean":
        distances = ndimage.distance_transform_edt(mask, sampling=case.get("spacing"))
    else:
        distances = ndimage.distance_transform_cdt(mask, metric=case["metric"]).astype(np.float64)
    results.append(encode(torch.from_numpy(np.ascontiguousarray(distances, dtype=np.float64))))
json.dump({"distances": results}, sys.stdout)
