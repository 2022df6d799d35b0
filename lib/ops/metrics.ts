// Segmentation metrics with MONAI's semantics (DiceMetric, MeanIoU), the seeds' MaskIoU, pixel accuracy
// and the confusion matrix. Like the losses, every function runs on a worker thread and returns a Promise.
import { native } from '../binding/loader.js';
import { checkTargets, checkTensor, shapeText, type Tensor, type TensorLike } from '../tensor.js';

export type MetricReduction = 'none' | 'mean' | 'sum' | 'mean_batch' | 'sum_batch' | 'mean_channel' | 'sum_channel';

export interface OverlapMetricOptions {
  /** Keep channel 0 (the background). Default true. */
  includeBackground?: boolean;
  /** An empty ground truth gives NaN for that image and class, and reductions skip it. Default true. */
  ignoreEmpty?: boolean;
  /**
   * Default 'mean' (a number: mean over classes, then images). 'sum' is a number too; 'none' a Tensor N x C,
   * 'mean_batch' / 'sum_batch' a Tensor C, 'mean_channel' / 'sum_channel' a Tensor N.
   */
  reduction?: MetricReduction;
}

export type MetricResult<O> = O extends { reduction: 'none' | 'mean_batch' | 'sum_batch' | 'mean_channel' | 'sum_channel' }
  ? Tensor<Float32Array | Float64Array>
  : number;

function checkPrediction(pred: unknown, name = 'pred'): TensorLike {
  const checked = checkTensor(pred, name);
  if (checked.shape.length < 3) {
    throw new RangeError(`${name}: expected NC[spatial] with at least one spatial dimension, got ${shapeText(checked.shape)}`);
  }
  return checked;
}

type OverlapMetric = <T extends OverlapMetricOptions>(pred: TensorLike, target: TensorLike, options?: T) => Promise<MetricResult<T>>;

const overlapMetric =
  (kind: 'dice' | 'iou'): OverlapMetric =>
  async (pred, target, options) => {
    const checkedPred = checkPrediction(pred);
    const checkedTarget = checkTargets(target, 'target', checkedPred, 'pred');
    return native.computeMetric(kind, checkedPred, checkedTarget, options ?? {}) as Promise<never>;
  };

/**
 * MONAI's DiceMetric: 2|X∩Y| / (|X| + |Y|) per image and class. `pred` is binarised or one-hot NC...;
 * `target` is one-hot NC... or class indices N1... / N... (one-hot encoded here).
 */
export const dice: OverlapMetric = overlapMetric('dice');

/** MONAI's MeanIoU: |X∩Y| / |X∪Y| per image and class; inputs as for dice. */
export const iou: OverlapMetric = overlapMetric('iou');

/** Binary masks (N1HW or NHW, nonzero = foreground): intersection / (area1 + area2 - intersection + 1e-5), one per image. */
export async function maskIoU(pred: TensorLike, target: TensorLike): Promise<Tensor<Float32Array>> {
  const checkedPred = checkTensor(pred, 'pred');
  const checkedTarget = checkTensor(target, 'target');
  sameShape(checkedPred, checkedTarget);
  if (checkedPred.shape.length < 2) throw new RangeError(`pred: expected N1HW or NHW masks, got ${shapeText(checkedPred.shape)}`);
  return native.computeMetric('maskIoU', checkedPred, checkedTarget, {}) as Promise<Tensor<Float32Array>>;
}

/** Fraction of pixels where two class-index maps (or binary masks) of the same shape agree. */
export async function pixelAccuracy(pred: TensorLike, target: TensorLike): Promise<number> {
  const checkedPred = checkTensor(pred, 'pred');
  const checkedTarget = checkTensor(target, 'target');
  sameShape(checkedPred, checkedTarget);
  return native.computeMetric('pixelAccuracy', checkedPred, checkedTarget, {}) as Promise<number>;
}

/** classes x classes counts (int64): row = target class, column = predicted class. Inputs are class-index maps. */
export async function confusionMatrix(pred: TensorLike, target: TensorLike, classes: number): Promise<Tensor<BigInt64Array>> {
  const checkedPred = checkTensor(pred, 'pred');
  const checkedTarget = checkTensor(target, 'target');
  sameShape(checkedPred, checkedTarget);
  return native.computeMetric('confusionMatrix', checkedPred, checkedTarget, { classes }) as Promise<Tensor<BigInt64Array>>;
}

/** sigmoid(logits) >= threshold as float 0/1, the form dice and iou take for one-channel (binary) models. */
export async function binarize(logits: TensorLike, options?: { threshold?: number }): Promise<Tensor<Float32Array>> {
  const checkedLogits = checkTensor(logits, 'logits');
  return native.computeMetric('binarize', checkedLogits, undefined, options ?? {}) as Promise<Tensor<Float32Array>>;
}

/**
 * The channel with the largest logit: one-hot NC... float (default, the form dice and iou take) or, with
 * `oneHot: false`, class indices N1... as int64.
 */
export async function argmax(logits: TensorLike, options?: { oneHot?: boolean }): Promise<Tensor> {
  const checkedLogits = checkPrediction(logits, 'logits');
  return native.computeMetric('argmax', checkedLogits, undefined, options ?? {}) as Promise<Tensor>;
}

function sameShape(pred: TensorLike, target: TensorLike): void {
  const same = pred.shape.length === target.shape.length && pred.shape.every((size, i) => size === target.shape[i]);
  if (!same) {
    throw new RangeError(`target: expected the shape of pred ${shapeText(pred.shape)}, got ${shapeText(target.shape)}`);
  }
}

export type DistanceMetric = 'euclidean' | 'chessboard' | 'taxicab';

export interface DistanceTransformOptions {
  /** Default 'euclidean'. */
  distanceMetric?: DistanceMetric;
  /** The size of an element along each dimension (one number for all); Euclidean distances only, as scipy. Default 1. */
  spacing?: number | number[];
}

/**
 * For each element of a mask of 1 to 3 spatial dimensions (no batch or channel axes): the exact distance to the
 * nearest zero element, 0 on zeros, as float64; +Infinity everywhere when there is no zero. scipy.ndimage's
 * distance_transform_edt (spacing as its `sampling`) and distance_transform_cdt (chessboard, taxicab).
 */
export async function distanceTransform(mask: TensorLike, options?: DistanceTransformOptions): Promise<Tensor<Float64Array>> {
  const checked = checkTensor(mask, 'mask');
  if (checked.shape.length < 1 || checked.shape.length > 3) {
    throw new RangeError(`mask: expected 1 to 3 spatial dimensions, got ${shapeText(checked.shape)}`);
  }
  return native.computeMetric('distanceTransform', checked, undefined, options ?? {}) as Promise<Tensor<Float64Array>>;
}
