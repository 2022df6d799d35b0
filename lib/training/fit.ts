// fit: what only JS can check of its options, the data checked, the validation split, and the loop over batches
// that JS supplies. The in-memory loop runs natively (native/core/training/fit.cc, driven by native/addon/fit_job.cc).
import type { UNet } from '../model/unet.js';
import { native } from '../binding/loader.js';
import type { NativeFitOptions } from '../binding/contract.js';
import { splitIndices } from '../data/dataset.js';
import type { LossSpec } from '../ops/loss_spec.js';
import type { Precision } from '../runtime/backend.js';
import { checkImages, checkTensor, shapeText, takeBatch, type TensorLike } from '../tensor.js';
import { number, typeError } from '../validate.js';
import type { AugmentOptions } from './augment.js';
import type { BatchLogs, EpochLogs, History } from './history.js';
import type { OptimizerOptions } from './optimizer.js';
import { nativeGroup, type ProcessGroup } from '../distributed/process_group.js';
import type { ScheduleName, ScheduleOptions } from './schedule.js';

export interface TrainingData {
  /** N x C x H x W float images. */
  images: TensorLike;
  /** N x 1 x H x W or N x H x W class indices (uint8, int32, int64), or float 0/1 for one class. */
  masks: TensorLike;
}

export interface CheckpointOptions {
  /** The file the best epoch's model is written to. */
  path: string;
  /** The score that picks the best epoch. Default 'valDice'. */
  monitor?: 'valDice' | 'valIoU' | 'valLoss' | 'loss';
}

export interface FitOptions extends OptimizerOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 8. */
  batchSize?: number;
  /** Default 'constant'. 'cosine' anneals to minLr over the epochs; 'poly' is nnU-Net's (1 - epoch/epochs)^0.9. */
  schedule?: ScheduleName | ScheduleOptions;
  /** Default Dice + BCE for one class, Dice + CE for more. */
  loss?: LossSpec;
  /** Largest global gradient norm; 0 = no clipping. Default 0. */
  gradClip?: number;
  /** Stop when the validation Dice has not improved for `patience` epochs. Default off. */
  earlyStopping?: { patience: number } | false;
  /** Default true. */
  shuffle?: boolean;
  /** Seeds the split, the shuffling, augmentation and dropout: on CPU the same seed gives the same history. Default 0. */
  seed?: number;
  /** Of training and validation: 'bf16' (or 'auto') is mixed precision, as PyTorch's autocast; 'fp16' is refused. Default 'fp32'. */
  precision?: Precision;
  /** true (defaultAugment), false or chosen transforms. Default false. */
  augment?: boolean | AugmentOptions;
  validation?: TrainingData;
  /** A fraction of the training data held out for validation, chosen by `seed`. */
  validationSplit?: number;
  /** Keeps the best epoch's model in a file during fit. */
  checkpoint?: CheckpointOptions;
  /** Continues from a file written by save() or by `checkpoint`, up to `epochs` in all. */
  resumeFrom?: string;
  /**
   * Trains with the other processes of this group, as PyTorch's DistributedDataParallel: each rank takes its
   * share of the images (DistributedSampler's), gradients are averaged, every rank logs the same epoch figures,
   * rank 0 writes the checkpoint. batchSize is per rank. Default none.
   */
  processGroup?: ProcessGroup;
  /**
   * With processGroup: batch norm's statistics over every rank's batch (torch.nn.SyncBatchNorm), so that W ranks of
   * batchSize train as one process of W x batchSize. Default false, as in DDP.
   */
  syncBatchNorm?: boolean;
  /** After each optimiser step. A returned Promise is awaited before fit settles; a throw stops training. */
  onBatchEnd?: (step: number, logs: BatchLogs) => unknown;
  /**
   * After each epoch, with its logs. The next epoch starts once it has returned, so an abort here stops with the
   * model exactly at this epoch's end; a returned Promise is awaited before fit settles; a throw stops training.
   */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => unknown;
  /**
   * Stops between batches: fit then rejects with an AbortError whose `history` holds the epochs completed.
   * Aborted mid-epoch, the weights keep that epoch's finished steps; aborted from onEpochEnd, they are exactly
   * the epoch's, so save() then resumeFrom continues as if never stopped.
   */
  signal?: AbortSignal;
}

// What only JS can check: the callbacks, the signal and the validation split (the core checks the rest).
const jsSchema = {
  validationSplit: number(0, 1, { maxExclusive: true }),
  onBatchEnd: callback,
  onEpochEnd: callback,
  signal: (value: unknown, name: string) => {
    if (!(value instanceof AbortSignal)) throw typeError(name, 'an AbortSignal', value);
  },
};

function callback(value: unknown, name: string): void {
  if (typeof value !== 'function') throw typeError(name, 'a function', value);
}

/** Masks that go with `images`: N1HW or NHW of any supported dtype. */
export function checkMasks(value: unknown, name: string, images: TensorLike): TensorLike {
  const masks = checkTensor(value, name);
  const [n, , h, w] = images.shape;
  const shape = masks.shape.length === 3 ? [masks.shape[0], 1, ...masks.shape.slice(1)] : masks.shape;
  if (shape.length !== 4 || shape[0] !== n || shape[1] !== 1 || shape[2] !== h || shape[3] !== w) {
    throw new RangeError(`${name}: expected shape [${n}, 1, ${h}, ${w}] or [${n}, ${h}, ${w}] to match the images, got ${shapeText(masks.shape)}`);
  }
  return masks;
}

export function checkTrainingData(value: unknown, name: string, channels: number): { images: TensorLike; masks: TensorLike } {
  if (typeof value !== 'object' || value === null) throw typeError(name, '{ images, masks }', value);
  const data = value as { images?: unknown; masks?: unknown };
  const images = checkImages(data.images, `${name}.images`, channels);
  return { images, masks: checkMasks(data.masks, `${name}.masks`, images) };
}

/**
 * Checks what only JS can (the validation data is checked by the caller) and returns the options the core reads,
 * as the user gave them: the core checks those and owns their defaults (native/core/training/fit.h).
 */
export function checkFitOptions(options: FitOptions): NativeFitOptions {
  if (typeof options !== 'object' || options === null) return options;
  if (options.validation !== undefined && options.validationSplit !== undefined) {
    throw new TypeError('options: give validation or validationSplit, not both');
  }
  const { processGroup, ...rest } = options;
  const forNative: NativeFitOptions = { ...rest };
  for (const key of ['validation', ...Object.keys(jsSchema)] as (keyof typeof rest)[]) {
    const check = jsSchema[key as keyof typeof jsSchema];
    if (check && options[key] !== undefined) check(options[key], `options.${key}`);
    delete (forNative as Record<string, unknown>)[key];
  }
  if (processGroup !== undefined) forNative.processGroup = nativeGroup(processGroup, 'options.processGroup');
  return forNative;
}

/**
 * fit's validationSplit: splitDataset's seeded split (the CLI's), refused where it would leave no image on one
 * side (splitDataset keeps one each way instead).
 */
export function splitTrainingData(data: { images: TensorLike; masks: TensorLike }, fraction: number, seed: number) {
  const count = data.images.shape[0];
  const held = Math.round(count * fraction);
  if (held < 1 || held >= count) {
    throw new RangeError(`options.validationSplit: ${fraction} of ${count} images leaves no image for training or for validation`);
  }
  const { train, validation } = splitIndices(count, held, seed);
  return {
    train: { images: takeBatch(data.images, train), masks: takeBatch(data.masks, train) },
    validation: { images: takeBatch(data.images, validation), masks: takeBatch(data.masks, validation) },
  };
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<TrainingData> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * fit over batches that JS supplies, for data that does not fit in memory: each epoch iterates `source`
 * anew (so it must be re-iterable, like an object with an async generator method) and runs one trainStep a
 * batch. Supports the optimiser options, loss, gradClip, validation, the callbacks and signal; the options
 * that need the whole data set natively (schedule, augment, validationSplit, checkpoint, resumeFrom,
 * earlyStopping, shuffle) are refused: use in-memory data for those, which is also the fast path.
 */
export async function fitBatches(
  model: Pick<UNet, 'config' | 'trainStep' | 'evaluate'>,
  source: AsyncIterable<TrainingData>,
  options: FitOptions,
): Promise<History> {
  const config = model.config;
  const inMemoryOnly = ['schedule', 'augment', 'validationSplit', 'checkpoint', 'resumeFrom', 'earlyStopping', 'shuffle'] as const;
  const refused = inMemoryOnly.find((key) => options[key] !== undefined);
  if (refused) throw new TypeError(`options.${refused}: not supported when fit reads batches from an async iterable; pass in-memory data`);
  const forNative = checkFitOptions(options);
  const { epochs, batchSize } = native.checkFitOptions(forNative);
  const { optimizer, lr: stepLr, weightDecay, momentum, nesterov, gradClip, loss, precision } = forNative;
  const stepOptions = { optimizer, lr: stepLr, weightDecay, momentum, nesterov, gradClip, loss, precision };
  const validation = options.validation && checkTrainingData(options.validation, 'options.validation', config.inChannels);
  const { signal } = options;
  const history: History = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    let lossSum = 0;
    let seen = 0;
    let lr = 0;
    for await (const batch of source) {
      signal?.throwIfAborted();
      const { images, masks } = checkTrainingData(batch, `batch ${step + 1}`, config.inChannels);
      const result = await model.trainStep(images, masks, stepOptions);
      const { loss } = result;
      lr = result.lr;
      lossSum += loss * images.shape[0];
      seen += images.shape[0];
      await options.onBatchEnd?.(++step, { epoch, loss });
    }
    if (seen === 0) throw new RangeError('data: the async iterable gave no batch');
    const trainSeconds = (performance.now() - started) / 1000;
    const scores = validation ? await model.evaluate(validation, { loss, batchSize, precision }) : undefined;
    const logs = {
      epoch,
      loss: lossSum / seen,
      lr,
      imagesPerSecond: seen / trainSeconds,
      valLoss: scores?.loss ?? null,
      valDice: scores?.dice ?? null,
      valIoU: scores?.iou ?? null,
      seconds: (performance.now() - started) / 1000,
    };
    history.push(logs);
    await options.onEpochEnd?.(epoch, logs);
  }
  return history;
}
