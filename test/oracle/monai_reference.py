"""Plain-torch transcription of MONAI's segmentation losses and metrics: the oracle for torch-unet's tests.

MONAI is not a dependency; these functions copy its code paths for the options torch-unet supports
(no other_act, no soft_label, no callable or tensor-valued options). Sources (Project-MONAI/MONAI, dev branch,
MONAI 1.4/1.5 era):
  - monai/losses/dice.py        DiceLoss.forward, DiceCELoss (ce, bce, forward)
  - monai/losses/utils.py       compute_tp_fp_fn
  - monai/losses/focal_loss.py  FocalLoss.forward, softmax_focal_loss, sigmoid_focal_loss
  - monai/losses/tversky.py     TverskyLoss.forward
  - monai/networks/utils.py     one_hot
  - monai/metrics/meandice.py   DiceMetric / compute_dice / DiceHelper (apply_argmax=False, threshold=False)
  - monai/metrics/meaniou.py    MeanIoU / compute_iou
  - monai/metrics/utils.py      ignore_background, do_metric_reduction
MONAI's warnings (single-channel input ignoring softmax / to_onehot_y / include_background=False) are dropped.

Run with a python that has torch (/usr/bin/python3 here):
  /usr/bin/python3 test/oracle/monai_reference.py [test/fixtures/monai-cases.json]
checks that the oracle reproduces every expected value pinned from MONAI's unit tests.
"""

from __future__ import annotations

import json
import math
import os
import sys

import torch
import torch.linalg as LA
import torch.nn.functional as F

REDUCTIONS = ("mean", "sum", "none")
METRIC_REDUCTIONS = ("none", "mean", "sum", "mean_batch", "sum_batch", "mean_channel", "sum_channel")


# monai/networks/utils.py
def one_hot(labels, num_classes, dtype=torch.float, dim=1):
    if labels.ndim < dim + 1:
        shape = list(labels.shape) + [1] * (dim + 1 - len(labels.shape))
        labels = torch.reshape(labels, shape)
    sh = list(labels.shape)
    if sh[dim] != 1:
        raise AssertionError("labels should have a channel with length equal to one.")
    sh[dim] = num_classes
    o = torch.zeros(size=sh, dtype=dtype, device=labels.device)
    return o.scatter_(dim=dim, index=labels.long(), value=1)


# monai/losses/utils.py
def compute_tp_fp_fn(input, target, reduce_axis, ord, soft_label, decoupled=True):
    if ord == 1 and not soft_label:
        tp = torch.sum(input * target, dim=reduce_axis)
        if decoupled:
            fp = torch.sum(input, dim=reduce_axis) - tp
            fn = torch.sum(target, dim=reduce_axis) - tp
        else:
            fp = torch.sum(input * (1 - target), dim=reduce_axis)
            fn = torch.sum((1 - input) * target, dim=reduce_axis)
    else:
        pred_o = LA.vector_norm(input, ord=ord, dim=reduce_axis)
        ground_o = LA.vector_norm(target, ord=ord, dim=reduce_axis)
        difference = LA.vector_norm(input - target, ord=ord, dim=reduce_axis)
        if ord > 1:
            pred_o = torch.pow(pred_o, exponent=ord)
            ground_o = torch.pow(ground_o, exponent=ord)
            difference = torch.pow(difference, exponent=ord)
        tp = (pred_o + ground_o - difference) / 2
        fp = pred_o - tp
        fn = ground_o - tp
    return tp, fp, fn


def _activate_onehot_background(input, target, include_background, to_onehot_y, sigmoid, softmax):
    """The common head of DiceLoss.forward and TverskyLoss.forward."""
    if int(sigmoid) + int(softmax) > 1:
        raise ValueError("Incompatible values: more than 1 of [sigmoid=True, softmax=True].")
    if sigmoid:
        input = torch.sigmoid(input)
    n_pred_ch = input.shape[1]
    if softmax and n_pred_ch != 1:
        input = torch.softmax(input, 1)
    if to_onehot_y and n_pred_ch != 1:
        target = one_hot(target, num_classes=n_pred_ch)
    if not include_background and n_pred_ch != 1:
        target = target[:, 1:]
        input = input[:, 1:]
    if target.shape != input.shape:
        raise AssertionError(f"ground truth has different shape ({target.shape}) from input ({input.shape})")
    return input, target


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"Unsupported reduction: {reduction}, available options are {list(REDUCTIONS)}.")


def _class_weight(weight, num_of_classes):
    class_weight = torch.as_tensor(weight)
    if class_weight.ndim == 0:
        class_weight = torch.as_tensor([class_weight] * num_of_classes)
    elif class_weight.shape[0] != num_of_classes:
        raise ValueError(
            "the length of the `weight` sequence should be the same as the number of classes. "
            "If `include_background=False`, the weight should not include the background category class 0."
        )
    if class_weight.min() < 0:
        raise ValueError("the value/values of the `weight` should be no less than 0.")
    return class_weight


# monai/losses/dice.py DiceLoss
def dice_loss(input, target, include_background=True, to_onehot_y=False, sigmoid=False, softmax=False,
              squared_pred=False, jaccard=False, reduction="mean", smooth_nr=1e-5, smooth_dr=1e-5,
              batch=False, weight=None, soft_label=False):
    _check_reduction(reduction)
    input, target = _activate_onehot_background(input, target, include_background, to_onehot_y, sigmoid,
                                                softmax)
    reduce_axis = torch.arange(2, len(input.shape)).tolist()
    if batch:
        reduce_axis = [0] + reduce_axis
    ord = 2 if squared_pred else 1
    tp, fp, fn = compute_tp_fp_fn(input, target, reduce_axis, ord, soft_label)
    if not jaccard:
        fp *= 0.5
        fn *= 0.5
    numerator = 2 * tp + smooth_nr
    denominator = 2 * (tp + fp + fn) + smooth_dr
    f = 1 - numerator / denominator

    num_of_classes = target.shape[1]
    if weight is not None and num_of_classes != 1:
        f = f * _class_weight(weight, num_of_classes).to(f)

    if reduction == "mean":
        return torch.mean(f)
    if reduction == "sum":
        return torch.sum(f)
    broadcast_shape = list(f.shape[0:2]) + [1] * (len(input.shape) - 2)
    return f.view(broadcast_shape)


# monai/losses/dice.py DiceCELoss.ce / DiceCELoss.bce
def cross_entropy(input, target, weight=None, reduction="mean", label_smoothing=0.0):
    n_pred_ch, n_target_ch = input.shape[1], target.shape[1]
    if n_pred_ch != n_target_ch and n_target_ch == 1:
        target = torch.squeeze(target, dim=1).long()
    elif not torch.is_floating_point(target):
        target = target.to(dtype=input.dtype)
    weight = None if weight is None else torch.as_tensor(weight, dtype=input.dtype)
    return F.cross_entropy(input, target, weight=weight, reduction=reduction, label_smoothing=label_smoothing)


def binary_cross_entropy(input, target, pos_weight=None, reduction="mean"):
    if not torch.is_floating_point(target):
        target = target.to(dtype=input.dtype)
    pos_weight = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=input.dtype)
    return F.binary_cross_entropy_with_logits(input, target, pos_weight=pos_weight, reduction=reduction)


def dice_ce_parts(input, target, dice_options, ce_weight=None, lambda_dice=1.0, lambda_ce=1.0,
                  label_smoothing=0.0):
    """DiceCELoss.forward with the Dice options and the CE weight given separately (torch-unet's layout)."""
    reduction = dice_options.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"Unsupported DiceCE reduction: {reduction}, available options are ['mean', 'sum'].")
    if lambda_dice < 0.0 or lambda_ce < 0.0:
        raise ValueError("lambda_dice and lambda_ce should be no less than 0.0.")
    if input.dim() != target.dim():
        raise ValueError("the number of dimensions for input and target should be the same")
    if target.shape[1] != 1 and target.shape[1] != input.shape[1]:
        raise ValueError("number of channels for target is neither 1 (without one-hot encoding) nor the same "
                         "as input")
    dice = dice_loss(input, target, **dice_options)
    if input.shape[1] != 1:
        ce = cross_entropy(input, target, ce_weight, reduction, label_smoothing)
    else:
        ce = binary_cross_entropy(input, target, ce_weight, reduction)
    return lambda_dice * dice + lambda_ce * ce


# monai/losses/dice.py DiceCELoss(weight=...): the weight goes to CE and, less the background, to Dice
def dice_ce_loss(input, target, include_background=True, to_onehot_y=False, sigmoid=False, softmax=False,
                 squared_pred=False, jaccard=False, reduction="mean", smooth_nr=1e-5, smooth_dr=1e-5,
                 batch=False, weight=None, lambda_dice=1.0, lambda_ce=1.0, label_smoothing=0.0):
    dice_weight = weight[1:] if weight is not None and not include_background else weight
    dice_options = dict(include_background=include_background, to_onehot_y=to_onehot_y, sigmoid=sigmoid,
                        softmax=softmax, squared_pred=squared_pred, jaccard=jaccard, reduction=reduction,
                        smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch, weight=dice_weight)
    return dice_ce_parts(input, target, dice_options, weight, lambda_dice, lambda_ce, label_smoothing)


# monai/losses/focal_loss.py
def softmax_focal_loss(input, target, gamma=2.0, alpha=None):
    input_ls = input.log_softmax(1)
    loss = -(1 - input_ls.exp()).pow(gamma) * input_ls * target
    if alpha is not None:
        alpha_fac = torch.tensor([1 - alpha] + [alpha] * (target.shape[1] - 1)).to(loss)
        broadcast_dims = [-1] + [1] * len(target.shape[2:])
        loss = alpha_fac.view(broadcast_dims) * loss
    return loss


def sigmoid_focal_loss(input, target, gamma=2.0, alpha=None):
    loss = input - input * target - F.logsigmoid(input)
    invprobs = F.logsigmoid(-input * (target * 2 - 1))
    loss = (invprobs * gamma).exp() * loss
    if alpha is not None:
        alpha_factor = target * alpha + (1 - target) * (1 - alpha)
        loss = alpha_factor * loss
    return loss


def focal_loss(input, target, include_background=True, to_onehot_y=False, gamma=2.0, alpha=None, weight=None,
               reduction="mean", use_softmax=False):
    _check_reduction(reduction)
    n_pred_ch = input.shape[1]
    if to_onehot_y and n_pred_ch != 1:
        target = one_hot(target, num_classes=n_pred_ch)
    if not include_background and n_pred_ch != 1:
        target = target[:, 1:]
        input = input[:, 1:]
    if target.shape != input.shape:
        raise ValueError(f"ground truth has different shape ({target.shape}) from input ({input.shape})")
    input = input.float()
    target = target.float()
    if use_softmax:
        if not include_background and alpha is not None:
            alpha = None  # MONAI warns: alpha ignored when using softmax without the background
        loss = softmax_focal_loss(input, target, gamma, alpha)
    else:
        loss = sigmoid_focal_loss(input, target, gamma, alpha)

    num_of_classes = target.shape[1]
    if weight is not None and num_of_classes != 1:
        class_weight = _class_weight(weight, num_of_classes).to(loss)
        loss = class_weight.view([-1] + [1] * len(target.shape[2:])) * loss

    if reduction == "sum":
        loss = loss.mean(dim=list(range(2, len(target.shape))))  # MONAI's average_spatial_dims
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


# monai/losses/tversky.py
def tversky_loss(input, target, include_background=True, to_onehot_y=False, sigmoid=False, softmax=False,
                 alpha=0.5, beta=0.5, reduction="mean", smooth_nr=1e-5, smooth_dr=1e-5, batch=False,
                 soft_label=False):
    _check_reduction(reduction)
    input, target = _activate_onehot_background(input, target, include_background, to_onehot_y, sigmoid,
                                                softmax)
    reduce_axis = torch.arange(2, len(input.shape)).tolist()
    if batch:
        reduce_axis = [0] + reduce_axis
    tp, fp, fn = compute_tp_fp_fn(input, target, reduce_axis, 1, soft_label, False)
    fp *= alpha
    fn *= beta
    numerator = tp + smooth_nr
    denominator = tp + fp + fn + smooth_dr
    score = 1.0 - numerator / denominator
    if reduction == "sum":
        return torch.sum(score)
    if reduction == "none":
        return score
    return torch.mean(score)


# monai/metrics/meandice.py DiceHelper.compute_channel / __call__ as used by DiceMetric and compute_dice
def _dice_channel(y_pred, y, ignore_empty):
    y_o = torch.sum(y)
    if y_o > 0:
        return (2.0 * torch.sum(torch.masked_select(y, y_pred))) / (y_o + torch.sum(y_pred))
    if ignore_empty:
        return torch.tensor(float("nan"), device=y_o.device)
    denorm = y_o + torch.sum(y_pred)
    if denorm <= 0:
        return torch.tensor(1.0, device=y_o.device)
    return torch.tensor(0.0, device=y_o.device)


def compute_dice(y_pred, y, include_background=True, ignore_empty=True):
    if y_pred.ndimension() < 3:
        raise ValueError(f"y_pred should have at least 3 dimensions (batch, channel, spatial), "
                         f"got {y_pred.ndim}.")
    n_pred_ch = y_pred.shape[1]
    first_ch = 0 if include_background else 1
    data = []
    for b in range(y_pred.shape[0]):
        c_list = []
        for c in range(first_ch, n_pred_ch) if n_pred_ch > 1 else [1]:
            x_pred = (y_pred[b, 0] == c) if (y_pred.shape[1] == 1) else y_pred[b, c].bool()
            x = (y[b, 0] == c) if (y.shape[1] == 1) else y[b, c]
            c_list.append(_dice_channel(x_pred, x, ignore_empty))
        data.append(torch.stack(c_list))
    return torch.stack(data, dim=0).contiguous()


# monai/metrics/utils.py
def ignore_background(y_pred, y):
    y = y[:, 1:] if y.shape[1] > 1 else y
    y_pred = y_pred[:, 1:] if y_pred.shape[1] > 1 else y_pred
    return y_pred, y


# monai/metrics/meaniou.py
def compute_iou(y_pred, y, include_background=True, ignore_empty=True):
    if not include_background:
        y_pred, y = ignore_background(y_pred=y_pred, y=y)
    y = y.float()
    y_pred = y_pred.float()
    if y.shape != y_pred.shape:
        raise ValueError(f"y_pred and y should have same shapes, got {y_pred.shape} and {y.shape}.")
    reduce_axis = list(range(2, len(y_pred.shape)))
    intersection = torch.sum(y * y_pred, dim=reduce_axis)
    y_o = torch.sum(y, reduce_axis)
    y_pred_o = torch.sum(y_pred, dim=reduce_axis)
    union = y_o + y_pred_o - intersection
    if ignore_empty:
        return torch.where(y_o > 0, (intersection) / union, torch.tensor(float("nan"), device=y_o.device))
    return torch.where(union > 0, (intersection) / union, torch.tensor(1.0, device=y_o.device))


# monai/metrics/utils.py; works on a copy (MONAI writes the zeros into its argument)
def do_metric_reduction(f, reduction="mean"):
    if reduction not in METRIC_REDUCTIONS:
        raise ValueError(f"Unsupported reduction: {reduction}, available options are "
                         f"{list(METRIC_REDUCTIONS)}.")
    f = f.clone()
    nans = torch.isnan(f)
    not_nans = ~nans
    t_zero = torch.zeros(1, device=f.device, dtype=torch.float)
    if reduction == "none":
        return f, not_nans.float()
    f[nans] = 0
    if reduction == "mean":
        not_nans = not_nans.sum(dim=1).float()
        f = torch.where(not_nans > 0, f.sum(dim=1).float() / not_nans, t_zero)
        not_nans = (not_nans > 0).sum(dim=0).float()
        f = torch.where(not_nans > 0, f.sum(dim=0).float() / not_nans, t_zero)
    elif reduction == "sum":
        not_nans = not_nans.sum(dim=[0, 1]).float()
        f = torch.sum(f, dim=[0, 1])
    elif reduction == "mean_batch":
        not_nans = not_nans.sum(dim=0).float()
        f = torch.where(not_nans > 0, f.sum(dim=0).float() / not_nans, t_zero)
    elif reduction == "sum_batch":
        not_nans = not_nans.sum(dim=0).float()
        f = f.sum(dim=0).float()
    elif reduction == "mean_channel":
        not_nans = not_nans.sum(dim=1).float()
        f = torch.where(not_nans > 0, f.sum(dim=1).float() / not_nans, t_zero)
    elif reduction == "sum_channel":
        not_nans = not_nans.sum(dim=1).float()
        f = f.sum(dim=1).float()
    return f, not_nans


# --- torch-unet's camelCase options -> the functions above -------------------------------------------------

_DICE_KEYS = {"includeBackground": "include_background", "toOnehotY": "to_onehot_y", "sigmoid": "sigmoid",
              "softmax": "softmax", "squaredPred": "squared_pred", "jaccard": "jaccard",
              "reduction": "reduction", "smoothNr": "smooth_nr", "smoothDr": "smooth_dr", "batch": "batch",
              "weight": "weight"}
_FOCAL_KEYS = {"includeBackground": "include_background", "toOnehotY": "to_onehot_y", "gamma": "gamma",
               "alpha": "alpha", "weight": "weight", "useSoftmax": "use_softmax", "reduction": "reduction"}
_TVERSKY_KEYS = {"includeBackground": "include_background", "toOnehotY": "to_onehot_y", "sigmoid": "sigmoid",
                 "softmax": "softmax", "alpha": "alpha", "beta": "beta", "reduction": "reduction",
                 "smoothNr": "smooth_nr", "smoothDr": "smooth_dr", "batch": "batch"}


def _renamed(options, keys, fn):
    unknown = set(options) - set(keys)
    if unknown:
        raise KeyError(f"{fn}: options not supported by the oracle: {sorted(unknown)}")
    renamed = {keys[name]: value for name, value in options.items()}
    # torch-unet's one-value weight list is MONAI's scalar weight (the same value for every class)
    if isinstance(renamed.get("weight"), (list, tuple)) and len(renamed["weight"]) == 1:
        renamed["weight"] = float(renamed["weight"][0])
    return renamed


def evaluate(fn, input, target, options):
    """Runs `fn` ("dice", "diceCe", "focal", "tversky", "diceMetric", "iouMetric") with camelCase options.

    For "diceCe", `weight` is the Dice term's class weight and `ceWeight` the CE term's (BCE pos_weight for
    one channel); MONAI's DiceCELoss(weight=w) is weight=w[1:] (w without includeBackground), ceWeight=w.
    """
    options = dict(options)
    if fn == "dice":
        return dice_loss(input, target, **_renamed(options, _DICE_KEYS, fn))
    if fn == "diceCe":
        extra = {key: options.pop(key) for key in ("ceWeight", "lambdaDice", "lambdaCe", "labelSmoothing")
                 if key in options}
        return dice_ce_parts(input, target, _renamed(options, _DICE_KEYS, fn), extra.get("ceWeight"),
                             extra.get("lambdaDice", 1.0), extra.get("lambdaCe", 1.0),
                             extra.get("labelSmoothing", 0.0))
    if fn == "focal":
        return focal_loss(input, target, **_renamed(options, _FOCAL_KEYS, fn))
    if fn == "tversky":
        return tversky_loss(input, target, **_renamed(options, _TVERSKY_KEYS, fn))
    if fn in ("diceMetric", "iouMetric"):
        metric_keys = {"includeBackground": "include_background", "ignoreEmpty": "ignore_empty"}
        reduction = options.pop("reduction", "mean")
        compute = compute_dice if fn == "diceMetric" else compute_iou
        return do_metric_reduction(compute(input, target, **_renamed(options, metric_keys, fn)), reduction)[0]
    raise KeyError(f"unknown fn: {fn}")


def _close(actual, expected, rtol, atol):
    actual = actual.detach().double().flatten().tolist()
    expected = torch.as_tensor(expected, dtype=torch.float64).flatten().tolist()
    if len(actual) != len(expected):
        return False
    for a, e in zip(actual, expected):
        if math.isnan(e) or math.isnan(a):
            if not (math.isnan(e) and math.isnan(a)):
                return False
        elif abs(a - e) > atol + rtol * abs(e):
            return False
    return True


def check_fixtures(path):
    with open(path) as handle:
        cases = json.load(handle)
    failures = 0
    for case in cases:
        input, target = torch.tensor(case["input"]), torch.tensor(case["target"])
        result = evaluate(case["fn"], input, target, case["options"])
        ok = _close(result, case["expected"], case.get("rtol", 1e-4), case.get("atol", 1e-4))
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case['name']}: {result.tolist()} vs {case['expected']}")
    print(f"{len(cases) - failures} passed, {failures} failed")
    return failures == 0


if __name__ == "__main__":
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "monai-cases.json")
    sys.exit(0 if check_fixtures(sys.argv[1] if len(sys.argv) > 1 else default) else 1)
