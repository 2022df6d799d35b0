// predict's options. The core checks them and owns their defaults (native/core/inference/predict.h); the
// batching and the signal, which run here, are checked here.
import type { BatchingOptions } from './batcher.js';
import type { NativePredictOptions } from '../binding/contract.js';
import type { PostprocessOptions } from '../ops/postprocess.js';
import { checkOptions, integer, number, typeError, type Check } from '../validate.js';
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
  /** Masks cleaned up natively as postprocess.apply does (output 'mask' only), e.g. { keepLargestComponent: true }. Default none. */
  postprocess?: PostprocessOptions;
  /**
   * Standardise each image's channels first, as standardise() does, natively: the images may then be uint8
   * pixels as decoded (0 to 255, read as value / 255). The same result as predict(standardise(images)) with no
   * per-pixel work on the event loop. Default false.
   */
  standardise?: boolean;
  /**
   * Dynamic batching: concurrent calls with the same options and image size wait in a queue and run as one
   * batch of up to `maxBatchSize` images, the first waiting at most `maxQueueDelayMs` for others; each caller
   * gets its own result. One batch of a model runs at a time, so under load the batches fill up.
   */
  batching?: BatchingOptions;
  /** Rejects the call with the signal's reason; a call still waiting for its batch leaves the queue. */
  signal?: AbortSignal;
}

const batchingCheck: Check = (value, name) => {
  const batching = checkOptions<Partial<BatchingOptions>>(value, name, {
    maxBatchSize: integer(1, 4096),
    maxQueueDelayMs: number(0, 60_000),
    maxQueueSize: integer(0, Number.MAX_SAFE_INTEGER),
  });
  if (batching.maxBatchSize === undefined || batching.maxQueueDelayMs === undefined) {
    throw new TypeError(`${name}: expected { maxBatchSize, maxQueueDelayMs, maxQueueSize? }`);
  }
};

/** Checks what JS runs (the batching and the signal); the core checks the rest and owns the defaults (native/core/inference/predict.h). */
export function splitPredictOptions(options: PredictOptions): { batching?: BatchingOptions; signal?: AbortSignal; forNative: NativePredictOptions } {
  if (typeof options !== 'object' || options === null) return { forNative: options };
  const { batching, signal, ...forNative } = options;
  if (batching !== undefined) batchingCheck(batching, 'options.batching');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('options.signal', 'an AbortSignal', signal);
  return { batching, signal, forNative };
}
