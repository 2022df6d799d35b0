// predict's options. The core checks them and owns their defaults (native/core/inference/predict.h); the
// batching, which runs here, is checked here.
import type { BatchingOptions } from './batcher.js';
import type { NativePredictOptions } from '../binding/contract.js';
import { checkOptions, integer, number, type Check } from '../validate.js';
import type { Precision } from '../runtime/backend.js';

export interface TileOptions {
  /** Side of the square window, at least 2^depth. */
  size: number;
  /** Fraction of the window shared by neighbours, in [0, 1). Default 0.25. */
  overlap?: number;
  /** How overlaps are blended: 'gaussian' (MONAI's) or 'constant'. Default 'gaussian'. */
  blend?: 'gaussian' | 'constant';
  /** Gaussian sigma as a fraction of the window. Default 0.125. */
  sigmaScale?: number;
}

export interface PredictOptions {
  /** 'mask' (class indices as uint8; for one class, probability >= threshold), 'probabilities' or 'logits'. Default 'mask'. */
  output?: 'mask' | 'probabilities' | 'logits';
  /** One class: the probability at or above which a pixel is foreground. Default 0.5. */
  threshold?: number;
  /** Sliding-window inference with MONAI's sliding_window_inference semantics, for large images. */
  tile?: TileOptions;
  /** 'flips': average over the identity and the horizontal, vertical and double flips. Default none. */
  tta?: 'flips';
  /** Refuse calls of more than this many pixels (N x H x W), at least 1. Default none (no limit). */
  maxPixels?: number;
  /** Of the network ('bf16': bf16 weights and activations, fp32 logits); tiling, blending and TTA run in fp32. Default 'fp32'. */
  precision?: Precision;
  /**
   * Coalesce concurrent calls with the same options and image size into batches of up to `maxBatch` images,
   * waiting at most `maxDelayMs` for more (dynamic batching); each caller gets its own result.
   */
  batching?: BatchingOptions;
}

const batchingCheck: Check = (value, name) => {
  const batching = checkOptions<Partial<BatchingOptions>>(value, name, {
    maxBatch: integer(1, 4096),
    maxDelayMs: number(0, 60_000),
  });
  if (batching.maxBatch === undefined || batching.maxDelayMs === undefined) {
    throw new TypeError(`${name}: expected { maxBatch, maxDelayMs }`);
  }
};

/** Checks the batching, which JS does; the core checks the rest and owns the defaults (native/core/inference/predict.h). */
export function splitPredictOptions(options: PredictOptions): { batching?: BatchingOptions; forNative: NativePredictOptions } {
  if (typeof options !== 'object' || options === null) return { forNative: options };
  const { batching, ...forNative } = options;
  if (batching !== undefined) batchingCheck(batching, 'options.batching');
  return { batching, forNative };
}
