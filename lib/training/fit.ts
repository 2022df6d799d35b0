// fit and trainStep: option checking and defaults, progress callbacks and cancellation. The loop itself
// runs natively (native/trainer.cc, driven by native/fit_worker.cc).
import { resolveAugment, type AugmentOptions } from './augment.js';
import { checkLossSpec, type LossSpec } from '../ops/loss_spec.js';
import { checkImages, checkTensor, type TensorLike } from '../tensor.js';
import { boolean, checkOptions, integer, number, oneOf, typeError, type Check } from '../validate.js';

export interface TrainingData {
  /** N x C x H x W float images. */
  images: TensorLike;
  /** N x 1 x H x W or N x H x W class indices (uint8, int32, int64), or float 0/1 for one class. */
  masks: TensorLike;
}

export interface EpochLogs {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  lr: number;
  imagesPerSecond: number;
  /** null without validation data. */
  valLoss: number | null;
  /** Mean per-image Dice on the validation data (foreground classes; background too for one class). */
  valDice: number | null;
  valIoU: number | null;
  seconds: number;
}

/** One entry an epoch. */
export type History = EpochLogs[];

export interface BatchLogs {
  epoch: number;
  loss: number;
}

export type OptimizerName = 'adam' | 'adamw' | 'sgd';
export type ScheduleName = 'constant' | 'plateau' | 'cosine' | 'poly';

export interface ScheduleOptions {
  name: ScheduleName;
  /** plateau: the learning rate is multiplied by this. Default 0.1. */
  factor?: number;
  /** plateau: epochs without a lower validation loss (training loss without validation) first. Default 10. */
  patience?: number;
  /** Floor of the learning rate. Default 0. */
  minLr?: number;
}

export interface OptimizerOptions {
  /** Default 'adam'. */
  optimizer?: OptimizerName;
  /** Default 1e-3 (adam, adamw) or 1e-2 (sgd). */
  lr?: number;
  /** L2 penalty (decoupled for adamw). Default 0 (adam, sgd) or 1e-2 (adamw). */
  weightDecay?: number;
  /** sgd. Default 0.9. */
  momentum?: number;
  /** sgd. Default false. */
  nesterov?: boolean;
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
  /** bf16 autocast of the forward pass on CUDA (the loss stays float32). On CPU it is ignored with one warning. */
  mixedPrecision?: boolean;
  /** false (default), true (the defaults of lib/training/augment.ts) or chosen transforms. */
  augment?: boolean | AugmentOptions;
  validation?: TrainingData;
  /** A fraction of the training data held out for validation, chosen by `seed`. */
  validationSplit?: number;
  /** Keeps the best epoch's model (by `monitor`, default 'valDice') in this file during fit. */
  checkpoint?: { path: string; monitor?: 'valDice' | 'valIoU' | 'valLoss' | 'loss' };
  /** Continues from a file written by save() or by `checkpoint`, up to `epochs` in all. */
  resumeFrom?: string;
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

export interface TrainStepOptions extends OptimizerOptions {
  loss?: LossSpec;
  gradClip?: number;
}

const positive = number(0, Infinity, { minExclusive: true });
const nonNegative = number(0);
const anything: Check = () => undefined;

const optimizerSchema: Record<keyof OptimizerOptions, Check> = {
  optimizer: oneOf('adam', 'adamw', 'sgd'),
  lr: positive,
  weightDecay: nonNegative,
  momentum: number(0, 1, { maxExclusive: true }),
  nesterov: boolean,
};

const fitSchema: Record<keyof FitOptions, Check> = {
  ...optimizerSchema,
  epochs: integer(1, 1_000_000),
  batchSize: integer(1, 1_000_000),
  schedule: anything,
  loss: anything,
  gradClip: nonNegative,
  earlyStopping: anything,
  shuffle: boolean,
  seed: integer(0, Number.MAX_SAFE_INTEGER),
  mixedPrecision: boolean,
  augment: anything,
  validation: anything,
  validationSplit: number(0, 1, { maxExclusive: true }),
  checkpoint: anything,
  resumeFrom: (value, name) => {
    if (typeof value !== 'string' || value === '') throw typeError(name, 'a file path', value);
  },
  onBatchEnd: callback,
  onEpochEnd: callback,
  signal: (value, name) => {
    if (!(value instanceof AbortSignal)) throw typeError(name, 'an AbortSignal', value);
  },
};

function callback(value: unknown, name: string): void {
  if (typeof value !== 'function') throw typeError(name, 'a function', value);
}

function resolveOptimizer(options: OptimizerOptions) {
  const optimizer = options.optimizer ?? 'adam';
  return {
    optimizer,
    lr: options.lr ?? (optimizer === 'sgd' ? 1e-2 : 1e-3),
    weightDecay: options.weightDecay ?? (optimizer === 'adamw' ? 1e-2 : 0),
    momentum: options.momentum ?? 0.9,
    nesterov: options.nesterov ?? false,
  };
}

function resolveSchedule(schedule: FitOptions['schedule']): ScheduleOptions {
  const name = 'options.schedule';
  if (schedule === undefined) return { name: 'constant' };
  if (typeof schedule === 'string') {
    oneOf('constant', 'plateau', 'cosine', 'poly')(schedule, name);
    return { name: schedule };
  }
  const checked = checkOptions<ScheduleOptions>(schedule, name, {
    name: oneOf('constant', 'plateau', 'cosine', 'poly'),
    factor: number(0, 1, { minExclusive: true, maxExclusive: true }),
    patience: integer(0, 1_000_000),
    minLr: nonNegative,
  });
  if (checked.name === undefined) throw typeError(`${name}.name`, "'constant' | 'plateau' | 'cosine' | 'poly'", undefined);
  return checked;
}

/** The default loss: Dice + BCE for one class, Dice + CE for more (MONAI's DiceCELoss). */
export function defaultLoss(classes: number): LossSpec {
  return classes === 1 ? { name: 'diceCe', sigmoid: true } : { name: 'diceCe', softmax: true, toOnehotY: true };
}

function resolveLoss(loss: unknown, classes: number): LossSpec {
  const spec = (loss ?? defaultLoss(classes)) as LossSpec;
  checkLossSpec(spec, 'options.loss');
  return spec;
}

/** Masks that go with `images`: N1HW or NHW of any supported dtype. */
export function checkMasks(value: unknown, name: string, images: TensorLike): TensorLike {
  const masks = checkTensor(value, name);
  const [n, , h, w] = images.shape;
  const shape = masks.shape.length === 3 ? [masks.shape[0], 1, ...masks.shape.slice(1)] : masks.shape;
  if (shape.length !== 4 || shape[0] !== n || shape[1] !== 1 || shape[2] !== h || shape[3] !== w) {
    throw new RangeError(`${name}: expected shape [${n}, 1, ${h}, ${w}] or [${n}, ${h}, ${w}] to match the images, got [${masks.shape.join(', ')}]`);
  }
  return masks;
}

export function checkTrainingData(value: unknown, name: string, channels: number): { images: TensorLike; masks: TensorLike } {
  if (typeof value !== 'object' || value === null) throw typeError(name, '{ images, masks }', value);
  const data = value as { images?: unknown; masks?: unknown };
  const images = checkImages(data.images, `${name}.images`, channels);
  return { images, masks: checkMasks(data.masks, `${name}.masks`, images) };
}

/** Checks fit's options and fills the defaults, in the flat form native/options_bridge.cc reads. */
export function resolveFitOptions(options: FitOptions, classes: number) {
  const checked = checkOptions<FitOptions>(options, 'options', fitSchema);
  if (checked.validation !== undefined && checked.validationSplit !== undefined) {
    throw new TypeError('options: give validation or validationSplit, not both');
  }
  const earlyStopping = checked.earlyStopping;
  if (earlyStopping !== undefined && earlyStopping !== false) {
    checkOptions(earlyStopping, 'options.earlyStopping', { patience: integer(1, 1_000_000) });
    if (earlyStopping.patience === undefined) throw typeError('options.earlyStopping.patience', 'an integer >= 1', undefined);
  }
  const checkpoint = checked.checkpoint;
  if (checkpoint !== undefined) {
    checkOptions(checkpoint, 'options.checkpoint', {
      path: (value, name) => {
        if (typeof value !== 'string' || value === '') throw typeError(name, 'a file path', value);
      },
      monitor: oneOf('valDice', 'valIoU', 'valLoss', 'loss'),
    });
    if (checkpoint.path === undefined) throw typeError('options.checkpoint.path', 'a file path', undefined);
  }
  return {
    ...resolveOptimizer(checked),
    epochs: checked.epochs ?? 10,
    batchSize: checked.batchSize ?? 8,
    schedule: resolveSchedule(checked.schedule),
    loss: resolveLoss(checked.loss, classes),
    gradClip: checked.gradClip ?? 0,
    earlyStoppingPatience: earlyStopping ? earlyStopping.patience : 0,
    shuffle: checked.shuffle ?? true,
    seed: checked.seed ?? 0,
    augment: resolveAugment(checked.augment, 'options.augment'),
    validationSplit: checked.validationSplit ?? 0,
    checkpointPath: checkpoint?.path ?? '',
    checkpointMonitor: checkpoint?.monitor ?? 'valDice',
    resumeFrom: checked.resumeFrom ?? '',
    mixedPrecision: checked.mixedPrecision ?? false,
  };
}

export function resolveTrainStepOptions(options: TrainStepOptions, classes: number) {
  const checked = checkOptions<TrainStepOptions>(options, 'options', { ...optimizerSchema, loss: anything, gradClip: nonNegative });
  return { ...resolveOptimizer(checked), loss: resolveLoss(checked.loss, classes), gradClip: checked.gradClip ?? 0 };
}

export interface ProgressEvent {
  type: 'batchEnd' | 'epochEnd';
  step: number;
  epoch: number;
  loss: number;
  logs?: EpochLogs;
}

/**
 * Delivers native progress events to the user's callbacks, keeps their Promises, and stops training (through
 * the shared flag) when one throws or rejects. settled() resolves once every event sent has arrived and every
 * callback Promise has settled.
 */
export class ProgressRelay {
  /** [0]: stop requested; [1]: epoch events whose callback has finished (native waits on it). */
  readonly stopFlag = new Int32Array(2);
  #epochsHandled = 0;
  error: unknown;
  #batchEvents = 0;
  #epochEvents = 0;
  #pending: Promise<unknown>[] = [];
  #arrived?: () => void;
  #expected?: { batchEvents: number; epochEvents: number };

  constructor(private readonly callbacks: Pick<FitOptions, 'onBatchEnd' | 'onEpochEnd'>) {}

  readonly deliver = (event: ProgressEvent): void => {
    if (event.type === 'batchEnd') this.#batchEvents++;
    else this.#epochEvents++;
    try {
      const result =
        event.type === 'batchEnd'
          ? this.callbacks.onBatchEnd?.(event.step, { epoch: event.epoch, loss: event.loss })
          : this.callbacks.onEpochEnd?.(event.epoch, event.logs as EpochLogs);
      if (result instanceof Promise) this.#pending.push(result.catch((error: unknown) => this.fail(error)));
    } catch (error) {
      this.fail(error);
    }
    // Native waits for this before the next epoch. Not for the callback's Promise: a callback that awaits a call
    // on the same model (queued behind fit) would wait forever.
    if (event.type === 'epochEnd') Atomics.store(this.stopFlag, 1, ++this.#epochsHandled);
    this.#checkArrived();
  };

  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  async settled(expected: { batchEvents: number; epochEvents: number }): Promise<void> {
    this.#expected = expected;
    await new Promise<void>((resolve) => {
      this.#arrived = resolve;
      this.#checkArrived();
    });
    await Promise.all(this.#pending);
  }

  private fail(error: unknown): void {
    this.error ??= error;
    this.stop();
  }

  #checkArrived(): void {
    const expected = this.#expected;
    if (expected && this.#batchEvents >= expected.batchEvents && this.#epochEvents >= expected.epochEvents) this.#arrived?.();
  }
}

export function abortError(history: History, reason: unknown): Error {
  const error = new Error('fit: aborted', { cause: reason }) as Error & { history: History };
  error.name = 'AbortError';
  error.history = history;
  return error;
}

