// Segmentation losses with MONAI's semantics: the same options (in camelCase), defaults and numbers.
// Every function runs on a worker thread and returns a Promise, so a server's event loop stays free
// even for large batches. reduction 'mean' | 'sum' resolves to a number, 'none' to a Tensor.
import type { LossOptions } from '../binding/contract.js';
import type { LossName } from './loss_spec.js';
import { native } from '../binding/loader.js';
import { checkTargets, checkTensor, shapeText, type Tensor, type TensorLike } from '../tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

/** monai.losses.DiceLoss */
export interface DiceOptions {
  /** Keep channel 0 (the background) in the loss. Default true; ignored for one channel. */
  includeBackground?: boolean;
  /** One-hot encode class-index targets (N1HW or NHW) to the input's channels. Default false. */
  toOnehotY?: boolean;
  /** Apply a sigmoid to the input first. Default false. */
  sigmoid?: boolean;
  /** Apply a softmax over channels to the input first. Default false; ignored for one channel. */
  softmax?: boolean;
  /** Square the prediction and target in the denominator. Default false. */
  squaredPred?: boolean;
  /** Jaccard (IoU) form: denominator 2 * (|X| + |Y| - |X∩Y|). Default false. */
  jaccard?: boolean;
  /** Default 'mean'. 'none' gives a Tensor N x C x 1 x 1. */
  reduction?: Reduction;
  /** Added to the numerator 2|X∩Y|. Default 1e-5. */
  smoothNr?: number;
  /** Added to the denominator |X| + |Y|. Default 1e-5. */
  smoothDr?: number;
  /** Sum over the batch before dividing (one score per class for the whole batch). Default false. */
  batch?: boolean;
  /** Class weights (after background removal): one number for all, or one per class. Default none. */
  weight?: number | number[];
}

/** monai.losses.DiceCELoss: lambdaDice * Dice + lambdaCe * CE; with one channel CE is BCE with logits. */
export interface DiceCeOptions extends DiceOptions {
  /** Default 1. */
  lambdaDice?: number;
  /** Default 1. */
  lambdaCe?: number;
  /** Class weights of the CE term (pos_weight of BCE for one channel). Default none. */
  ceWeight?: number | number[];
  /** Label smoothing of the CE term. Default 0. */
  labelSmoothing?: number;
}

/** torch.nn.BCEWithLogitsLoss */
export interface BceOptions {
  /** Weight of the positive class: one number, or one per channel. Default none. */
  posWeight?: number | number[];
  reduction?: Reduction;
}

/** torch.nn.CrossEntropyLoss: targets are class indices (N1HW / NHW) or NCHW class probabilities. */
export interface CrossEntropyOptions {
  weight?: number | number[];
  /** Target value that is left out of the loss. Default -100. */
  ignoreIndex?: number;
  /** Default 0. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/** monai.losses.FocalLoss */
export interface FocalOptions {
  includeBackground?: boolean;
  toOnehotY?: boolean;
  /** Focusing parameter. Default 2. */
  gamma?: number;
  /** Balance of the positive class in [0, 1]. Default none. */
  alpha?: number;
  weight?: number | number[];
  /** Softmax over channels instead of a sigmoid per channel. Default false. */
  useSoftmax?: boolean;
  reduction?: Reduction;
}

/** monai.losses.TverskyLoss */
export interface TverskyOptions {
  includeBackground?: boolean;
  toOnehotY?: boolean;
  sigmoid?: boolean;
  softmax?: boolean;
  /** Weight of false positives. Default 0.5. */
  alpha?: number;
  /** Weight of false negatives. Default 0.5. */
  beta?: number;
  reduction?: Reduction;
  smoothNr?: number;
  smoothDr?: number;
  batch?: boolean;
}

/** A number for 'mean' and 'sum', a Tensor for 'none'. */
export type LossResult<O> = O extends { reduction: 'none' } ? Tensor<Float32Array | Float64Array> : number;

async function computeLoss(lossName: LossName, input: TensorLike, target: TensorLike, options: unknown) {
  const checkedInput = checkTensor(input, 'input');
  if (checkedInput.shape.length < 3) {
    throw new RangeError(`input: expected NC[spatial] with at least one spatial dimension, got ${shapeText(checkedInput.shape)}`);
  }
  const checkedTarget = checkTargets(target, 'target', checkedInput, 'input');
  return native.computeLoss(lossName, checkedInput, checkedTarget, (options ?? {}) as LossOptions);
}

type Loss<O> = <T extends O>(input: TensorLike, target: TensorLike, options?: T) => Promise<LossResult<T>>;

const lossFunction =
  <O>(lossName: LossName): Loss<O> =>
  (input, target, options) =>
    computeLoss(lossName, input, target, options) as Promise<never>;

export const dice: Loss<DiceOptions> = lossFunction('dice');
export const diceCe: Loss<DiceCeOptions> = lossFunction('diceCe');
export const bce: Loss<BceOptions> = lossFunction('bce');
export const crossEntropy: Loss<CrossEntropyOptions> = lossFunction('crossEntropy');
export const focal: Loss<FocalOptions> = lossFunction('focal');
export const tversky: Loss<TverskyOptions> = lossFunction('tversky');
