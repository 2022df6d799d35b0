"""Plain-numpy transcription of MONAI's boundary metrics on scipy.ndimage: the oracle for metrics.hausdorff,
metrics.surfaceDistance and metrics.surfaceDice.

MONAI is not a dependency; these functions copy its code paths (Project-MONAI/MONAI 1.3-1.5) for the options
torch-unet supports (no subvoxels, no cuCIM):
  - monai/metrics/utils.py             prepare_spacing, get_mask_edges (crop=True), get_surface_distance,
                                       get_edge_surface_distance
  - monai/metrics/hausdorff_distance.py compute_hausdorff_distance, _compute_percentile_hausdorff_distance
  - monai/metrics/surface_distance.py  compute_average_surface_distance
  - monai/metrics/surface_dice.py      compute_surface_dice (use_subvoxels=False)
Distances are float32 and percentiles torch.quantile, as MONAI's, so its NaN for a percentile of infinite
distances (Project-MONAI/MONAI#9095) shows here too.

Reads {"cases": [{"pred", "target" (one-hot N x C x spatial), "metric": "hausdorff" | "surfaceDistance" |
"surfaceDice", "options": {...}}]} on stdin; prints {"values": [N x C float64 tensors]}.
"""
import json
import sys

import numpy as np
import torch
from scipy.ndimage import binary_erosion, distance_transform_cdt, distance_transform_edt

from monai_reference import do_metric_reduction, ignore_background
from tensor_io import decode, encode


def prepare_spacing(spacing, batch_size, img_dim):
    if spacing is None or isinstance(spacing, (int, float)):
        return [spacing] * batch_size
    if any(isinstance(s, (list, tuple)) for s in spacing):
        assert len(spacing) == batch_size
        return list(spacing)
    assert len(spacing) == img_dim
    return [spacing] * batch_size


def get_mask_edges(seg_pred, seg_gt, label_idx=1):
    if seg_pred.dtype != bool:
        seg_pred = seg_pred == label_idx
    if seg_gt.dtype != bool:
        seg_gt = seg_gt == label_idx
    or_vol = seg_pred | seg_gt
    if not or_vol.any():
        return np.zeros(seg_pred.shape, dtype=bool), np.zeros(seg_gt.shape, dtype=bool)
    # CropForeground(margin=1, allow_smaller=True) on the union
    present = np.nonzero(or_vol)
    box = tuple(slice(max(int(p.min()) - 1, 0), min(int(p.max()) + 2, size)) for p, size in zip(present, or_vol.shape))
    seg_pred, seg_gt = seg_pred[box], seg_gt[box]
    edges_pred = binary_erosion(seg_pred) ^ seg_pred
    edges_gt = binary_erosion(seg_gt) ^ seg_gt
    return edges_pred, edges_gt


def get_surface_distance(seg_pred, seg_gt, distance_metric="euclidean", spacing=None):
    if not seg_gt.any():
        dis = np.inf * np.ones_like(seg_gt, dtype=np.float32)
    else:
        if not np.any(seg_pred):
            dis = np.inf * np.ones_like(seg_gt, dtype=np.float32)
            dis = dis[seg_gt]
            return torch.from_numpy(dis.astype(np.float32))
        if distance_metric == "euclidean":
            dis = distance_transform_edt(~seg_gt, sampling=spacing)
        elif distance_metric in {"chessboard", "taxicab"}:
            dis = distance_transform_cdt(~seg_gt, metric=distance_metric)
        else:
            raise ValueError(f"distance_metric {distance_metric} is not implemented.")
    return torch.from_numpy(np.asarray(dis[seg_pred], dtype=np.float32))


def get_edge_surface_distance(y_pred, y, distance_metric="euclidean", spacing=None, symmetric=False):
    edges_pred, edges_gt = get_mask_edges(y_pred, y)
    if symmetric:
        return (
            get_surface_distance(edges_pred, edges_gt, distance_metric, spacing),
            get_surface_distance(edges_gt, edges_pred, distance_metric, spacing),
        )
    return (get_surface_distance(edges_pred, edges_gt, distance_metric, spacing),)


def _compute_percentile_hausdorff_distance(surface_distance, percentile=None):
    if surface_distance.shape == (0,):
        return torch.tensor(torch.nan, dtype=torch.float)
    if not percentile:
        return surface_distance.max()
    if 0 <= percentile <= 100:
        return torch.quantile(surface_distance, percentile / 100)
    raise ValueError(f"percentile should be a value between 0 and 100, get {percentile}.")


def _prepare(y_pred, y, include_background):
    if not include_background:
        y_pred, y = ignore_background(y_pred, y)
    return y_pred.numpy(), y.numpy()


def compute_hausdorff_distance(y_pred, y, include_background=False, distance_metric="euclidean", percentile=None,
                               directed=False, spacing=None):
    y_pred, y = _prepare(y_pred, y, include_background)
    batch_size, n_class = y_pred.shape[:2]
    hd = torch.empty((batch_size, n_class), dtype=torch.float)
    spacing_list = prepare_spacing(spacing, batch_size, y_pred.ndim - 2)
    for b, c in np.ndindex(batch_size, n_class):
        distances = get_edge_surface_distance(y_pred[b, c], y[b, c], distance_metric, spacing_list[b], not directed)
        percentile_distances = [_compute_percentile_hausdorff_distance(d, percentile) for d in distances]
        hd[b, c] = torch.max(torch.stack(percentile_distances))
    return hd


def compute_average_surface_distance(y_pred, y, include_background=False, symmetric=False,
                                     distance_metric="euclidean", spacing=None):
    y_pred, y = _prepare(y_pred, y, include_background)
    batch_size, n_class = y_pred.shape[:2]
    asd = torch.empty((batch_size, n_class), dtype=torch.float)
    spacing_list = prepare_spacing(spacing, batch_size, y_pred.ndim - 2)
    for b, c in np.ndindex(batch_size, n_class):
        distances = get_edge_surface_distance(y_pred[b, c], y[b, c], distance_metric, spacing_list[b], symmetric)
        surface_distance = torch.cat(distances)
        asd[b, c] = torch.nan if surface_distance.shape == (0,) else surface_distance.mean()
    return asd


def compute_surface_dice(y_pred, y, class_thresholds, include_background=False, distance_metric="euclidean",
                         spacing=None):
    y_pred, y = _prepare(y_pred, y, include_background)
    batch_size, n_class = y_pred.shape[:2]
    assert len(class_thresholds) == n_class
    nsd = torch.empty((batch_size, n_class), dtype=torch.float)
    spacing_list = prepare_spacing(spacing, batch_size, y_pred.ndim - 2)
    for b, c in np.ndindex(batch_size, n_class):
        pred_gt, gt_pred = get_edge_surface_distance(y_pred[b, c], y[b, c], distance_metric, spacing_list[b], True)
        boundary_complete = len(pred_gt) + len(gt_pred)
        boundary_correct = torch.sum(pred_gt <= class_thresholds[c]) + torch.sum(gt_pred <= class_thresholds[c])
        nsd[b, c] = torch.nan if boundary_complete == 0 else boundary_correct / boundary_complete
    return nsd


METRICS = {
    "hausdorff": (compute_hausdorff_distance, {"includeBackground": "include_background", "distanceMetric":
                  "distance_metric", "percentile": "percentile", "directed": "directed", "spacing": "spacing"}),
    "surfaceDistance": (compute_average_surface_distance, {"includeBackground": "include_background", "symmetric":
                        "symmetric", "distanceMetric": "distance_metric", "spacing": "spacing"}),
    "surfaceDice": (compute_surface_dice, {"classThresholds": "class_thresholds", "includeBackground":
                    "include_background", "distanceMetric": "distance_metric", "spacing": "spacing"}),
}


def main():
    request = json.load(sys.stdin)
    values = []
    for case in request["cases"]:
        fn, names = METRICS[case["metric"]]
        options = dict(case.get("options", {}))
        reduction = options.pop("reduction", "none")
        kwargs = {names[key]: value for key, value in options.items()}
        scores = fn(decode(case["pred"]), decode(case["target"]), **kwargs)
        reduced, _ = do_metric_reduction(scores, reduction)
        values.append(encode(reduced.to(torch.float64).reshape(-1)))
    json.dump({"values": values}, sys.stdout)


if __name__ == "__main__":
    main()
