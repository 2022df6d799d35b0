"""Plain-numpy transcription of MONAI's post-processing transforms on scipy.ndimage: the oracle for
postprocess.keepLargestComponent, fillHoles, removeSmallObjects and apply.

MONAI is not a dependency; these functions copy its code paths (Project-MONAI/MONAI 1.3-1.5):
  - monai/transforms/post/array.py  KeepLargestConnectedComponent.__call__, RemoveSmallObjects, FillHoles
  - monai/transforms/utils.py       get_largest_connected_component_mask, remove_small_objects, fill_holes,
                                    get_unique_labels
with skimage's label(connectivity=c) and remove_small_objects (0.19) as scipy's label with
generate_binary_structure(rank, c). MONAI's connectivity counts orthogonal hops; torch-unet's counts neighbours
(4, 8 in 2D; 6, 18, 26 in 3D). Where torch-unet differs by design (postprocess.h), the driver feeds MONAI's
functions what torch-unet's semantics call for:
  - removeSmallObjects on a label map: MONAI's on each class's mask (MONAI's own reads the values as objects);
    on one-hot masks, MONAI's on each channel (MONAI's own labels the channel axis too);
  - fillHoles on a label map: a background region that cannot reach the border and touches one class only
    becomes that class; on binary label maps this is checked equal to MONAI's fill_holes.
Ties for the largest component are reported: torch-unet keeps all of them, MONAI one.

Reads {"cases": [{"op", "mask" (N x C x spatial or N x H x W), "options"}]} on stdin; prints
{"results": [tensors], "ties": [bool]}.
"""
import json
import sys

import numpy as np
import torch
from scipy import ndimage

from tensor_io import decode, encode

HOPS = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}  # torch-unet's neighbour count -> MONAI's connectivity
DEFAULTS = {"keepLargestComponent": {2: 8, 3: 26}, "fillHoles": {2: 8, 3: 26}, "removeSmallObjects": {2: 4, 3: 6}}


def label(img, connectivity):
    return ndimage.label(img, structure=ndimage.generate_binary_structure(img.ndim, connectivity))


def get_unique_labels(img, is_onehot, discard=0):
    if is_onehot:
        labels = {i for i, s in enumerate(img) if s.sum() > 0}
    else:
        labels = set(np.unique(img).tolist())
    labels.discard(discard)
    return labels


def get_largest_connected_component_mask(img, connectivity, ties):
    features, num_features = label(img, connectivity)
    if num_features <= 1:
        return img.astype(bool)
    counts = np.bincount(features[np.nonzero(features)])
    ranked = np.sort(counts)[::-1]
    if ranked[0] == ranked[1]:
        ties.append(True)
    features_to_keep = np.argsort(counts)[::-1][:1]
    return np.isin(features, features_to_keep)


def keep_largest_connected_component(img, applied_labels, independent, connectivity, ties):
    is_onehot = img.shape[0] > 1
    if applied_labels is None:
        applied_labels = tuple(get_unique_labels(img, is_onehot, discard=0))
    if independent:
        for i in applied_labels:
            foreground = img[i] > 0 if is_onehot else img[0] == i
            mask = get_largest_connected_component_mask(foreground, connectivity, ties)
            if is_onehot:
                img[i][foreground != mask] = 0
            else:
                img[0][foreground != mask] = 0
        return img
    if not is_onehot:
        foreground = np.isin(img[0], list(applied_labels))
        mask = get_largest_connected_component_mask(foreground, connectivity, ties)
        img[0][foreground != mask] = 0
        return img
    foreground = (img[list(applied_labels), ...] == 1).any(0)
    mask = get_largest_connected_component_mask(foreground, connectivity, ties)
    for i in applied_labels:
        img[i][foreground != mask] = 0
    return img


def skimage_remove_small_objects(ar, min_size, connectivity):
    out = ar.copy()
    if out.dtype == bool:
        ccs, _ = label(ar, connectivity)
    else:
        ccs = out
    too_small = np.bincount(ccs.ravel()) < min_size
    out[too_small[ccs]] = 0
    return out


def remove_small_objects_monai(img, min_size, connectivity, independent_channels):
    if len(np.unique(img)) == 1:
        return img
    if not independent_channels:
        img_np = img > 0
    else:
        img_np = img.astype(bool if img.max() <= 1 else np.int32)
    out = skimage_remove_small_objects(img_np, min_size, connectivity)
    if not independent_channels:
        out = img * out
    return out


def remove_small_objects(img, applied_labels, min_size, connectivity, independent):
    is_onehot = img.shape[0] > 1
    if applied_labels is None:
        applied_labels = sorted(get_unique_labels(img, is_onehot, discard=0))
    # (the mask of a class or of the union, the channels its removed elements leave)
    if is_onehot:
        planes = [(img[c] != 0, [c]) for c in applied_labels]
    else:
        planes = [(img[0] == c, [0]) for c in applied_labels]
    if not independent and planes:
        planes = [(np.any([plane for plane, _ in planes], axis=0), list(applied_labels) if is_onehot else [0])]
    for plane, channels in planes:
        kept = remove_small_objects_monai(plane[None], min_size, connectivity, True)[0]
        for c in channels:
            img[c][plane & ~kept] = 0
    return img


def fill_holes_monai(img_arr, applied_labels, connectivity):
    num_channels = img_arr.shape[0]
    is_one_hot = num_channels > 1
    structure = ndimage.generate_binary_structure(img_arr.ndim - 1, connectivity)
    applied_labels = set(applied_labels) if applied_labels is not None else get_unique_labels(img_arr, is_one_hot)
    applied_labels.discard(0)
    for lab in sorted(applied_labels):
        tmp = np.zeros(img_arr.shape[1:], dtype=bool)
        ndimage.binary_dilation(tmp, structure=structure, iterations=-1,
                                mask=np.logical_not(img_arr[lab]) if is_one_hot else img_arr[0] != lab,
                                origin=0, border_value=1, output=tmp)
        if is_one_hot:
            img_arr[lab] = np.logical_not(tmp)
        else:
            img_arr[0, np.logical_not(tmp)] = lab
    return img_arr


def fill_holes_label_map(img, applied_labels, connectivity):
    labels = img[0]
    structure = ndimage.generate_binary_structure(labels.ndim, connectivity)
    background, count = ndimage.label(labels == 0, structure=structure)
    applied = set(applied_labels) if applied_labels is not None else set(np.unique(labels).tolist())
    applied.discard(0)
    out = labels.copy()
    for k, box in enumerate(ndimage.find_objects(background), start=1):
        if any(s.start == 0 or s.stop == size for s, size in zip(box, labels.shape)):
            continue  # reaches the border
        grown = tuple(slice(s.start - 1, s.stop + 1) for s in box)
        region = background[grown] == k
        ring = ndimage.binary_dilation(region, structure=structure) & ~region
        classes = np.unique(labels[grown][ring])
        if len(classes) == 1 and classes[0] in applied:
            out[grown][region] = classes[0]
    if set(np.unique(labels).tolist()) <= {0, 1}:
        assert np.array_equal(out, fill_holes_monai(img.copy(), applied_labels, connectivity)[0])
    return out[None]


def fill_holes(img, applied_labels, connectivity):
    if img.shape[0] > 1:
        if applied_labels is not None and 0 in applied_labels:
            raise ValueError("MONAI's fill_holes never fills channel 0")
        return fill_holes_monai(img, applied_labels, connectivity)
    return fill_holes_label_map(img, applied_labels, connectivity)


def run(op, sample, options, ties):
    """One sample C x spatial through torch-unet's op with its options (torch-unet's names and defaults)."""
    rank = sample.ndim - 1

    def hops(name):
        return HOPS[options.get("connectivity") or DEFAULTS[name][rank]]

    labels = options.get("labels")
    if op == "keepLargestComponent":
        return keep_largest_connected_component(sample, labels, options.get("independent", True),
                                                hops(op), ties)
    if op == "fillHoles":
        return fill_holes(sample, labels, hops(op))
    if op == "removeSmallObjects":
        return remove_small_objects(sample, labels, options.get("minSize", 64), hops(op),
                                    options.get("independent", True))
    for step in ("removeSmallObjects", "keepLargestComponent", "fillHoles"):
        if options.get(step):
            sample = run(step, sample, {} if options[step] is True else options[step], ties)
    return sample


def main():
    request = json.load(sys.stdin)
    results, ties = [], []
    for case in request["cases"]:
        mask = decode(case["mask"]).numpy()
        batched = mask[:, None] if mask.ndim == 3 else mask
        found = []
        out = np.stack([run(case["op"], sample.copy(), case["options"], found) for sample in batched])
        results.append(encode(torch.from_numpy(out.reshape(mask.shape).astype(mask.dtype))))
        ties.append(bool(found))
    json.dump({"results": results, "ties": ties}, sys.stdout)


if __name__ == "__main__":
    main()
