// Segmentation metrics with MONAI's semantics (DiceMetric, MeanIoU, the Hausdorff distance, the average surface
// distance, surface Dice), the seeds' MaskIoU, pixel accuracy, the confusion matrix and the distance transform. Like the losses, every function runs on a worker thread and returns a Promise.
import type { MetricOptions } from '../binding/contract.js';
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

export interface SurfaceMetricOptions {
  /** Keep channel 0 (the background) when there are several. Default false, as MONAI's boundary metrics. */
  includeBackground?: boolean;
  /** Default 'euclidean'. Chessboard and taxicab count steps and ignore spacing, as MONAI. */
  distanceMetric?: DistanceMetric;
  /**
   * The size of an element along each spatial axis: one number for all, one per axis, or one such list per image
   * (number[][]); 1 along each axis when left out.
   */
  spacing?: number | number[] | number[][];
  /** As for dice. Default 'mean'; images and classes with NaN are skipped, Infinity is kept. */
  reduction?: MetricReduction;
}

export interface HausdorffOptions extends SurfaceMetricOptions {
  /** This percentile (0 < p <= 100) of each direction's distances instead of their maximum, e.g. 95. */
  percentile?: number;
  /** Only prediction -> truth distances. Default false (both directions). */
  directed?: boolean;
}

export interface SurfaceDistanceOptions extends SurfaceMetricOptions {
  /** The mean over both directions' distances together. Default false (prediction -> truth only). */
  symmetric?: boolean;
}

export interface SurfaceDiceOptions extends SurfaceMetricOptions {
  /** The tolerance of each class scored (after the background is dropped), in spacing units. */
  classThresholds: number[];
}

type SurfaceMetric<Options> = <T extends Options>(pred: TensorLike, target: TensorLike, options?: T) => Promise<MetricResult<T>>;

const surfaceMetric =
  <Options>(kind: 'hausdorff' | 'surfaceDistance' | 'surfaceDice'): SurfaceMetric<Options> =>
  async (pred, target, options) => {
    const checkedPred = checkPrediction(pred);
    const checkedTarget = checkTargets(target, 'target', checkedPred, 'pred');
    return native.computeMetric(kind, checkedPred, checkedTarget, (options ?? {}) as MetricOptions) as Promise<never>;
  };

/**
 * MONAI's HausdorffDistanceMetric: per image and class, the largest distance (or `percentile`) from the edge of
 * one mask to the edge of the other, the larger of both directions. Inputs as for dice; 2D or 3D. NaN where both
 * masks are empty, Infinity where one is (also with a percentile, where MONAI gives NaN).
 */
export const hausdorff: SurfaceMetric<HausdorffOptions> = surfaceMetric('hausdorff');

/** MONAI's SurfaceDistanceMetric: the mean distance from the prediction's edge to the truth's (`symmetric`: both ways). */
export const surfaceDistance: SurfaceMetric<SurfaceDistanceOptions> = surfaceMetric('surfaceDistance');

/**
 * MONAI's SurfaceDiceMetric (normalised surface Dice): the share of both edges within `classThresholds[c]` of the
 * other edge. NaN where both masks are empty, 0 where one is.
 */
export function surfaceDice<T extends SurfaceDiceOptions>(pred: TensorLike, target: TensorLike, options: T): Promise<MetricResult<T>> {
  return surfaceMetric<SurfaceDiceOptions>('surfaceDice')(pred, target, options);
}
