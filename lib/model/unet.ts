// The U-Net: created, run and inspected from TypeScript; every operation runs on a worker thread and the
// operations of one model run one at a time, in call order.
import type { NativeModel } from '../binding/contract.js';
import { nativeDefaults } from '../binding/defaults.js';
import { native } from '../binding/loader.js';
import { checkPath } from '../files.js';
import { PredictBatcher } from '../inference/batcher.js';
import { splitPredictOptions, type PredictOptions } from '../inference/predict.js';
import type { LossSpec } from '../ops/loss_spec.js';
import type { Precision } from '../runtime/backend.js';
import { checkImages, checkTargets, checkTensor, type Tensor, type TensorLike } from '../tensor.js';
import {
  checkFitOptions,
  checkMasks,
  checkTrainingData,
  fitBatches,
  isAsyncIterable,
  splitTrainingData,
  type FitOptions,
  type TrainingData,
} from '../training/fit.js';
import type { History } from '../training/history.js';
import { abortError, ProgressRelay } from '../training/progress.js';
import type { TrainStepOptions } from '../training/train_step.js';
import { checkOptions, pattern } from '../validate.js';

export type Norm = 'batch' | 'instance' | 'none';
export type Activation = 'relu' | 'elu' | 'leaky_relu';
export type Upsampling = 'transposed' | 'nearest' | 'bilinear';
export type DeviceName = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export interface UNetOptions {
  /** Channels of the input images. Default 1. */
  inChannels?: number;
  /** 1 = binary (one logit channel); 2 or more = one channel per class. Default 1. */
  classes?: number;
  /** Number of 2x2 poolings, 1 to 6. Default 4. */
  depth?: number;
  /** Filters of the first level. Default 64, as in the paper. */
  baseFilters?: number;
  /** Filters grow by this factor a level (rounded). Default 2. */
  growth?: number;
  /** Default 'batch'. Instance norm is affine (learnable scale and shift). */
  norm?: Norm;
  /** Default 'relu'. leaky_relu has slope 0.01. */
  activation?: Activation;
  /** Default 'transposed' (2x2 transposed convolution); 'nearest' and 'bilinear' interpolate and convolve (1x1). */
  upsampling?: Upsampling;
  /** Dropout at the bottleneck, in [0, 1). Default 0. */
  dropout?: number;
  /** Default 'auto': CUDA when this libtorch sees a device, else CPU. */
  device?: DeviceName;
  /** Seed of the weight initialisation; the same seed gives the same weights. Default random. */
  seed?: number;
}

export interface UNetConfig {
  inChannels: number;
  classes: number;
  depth: number;
  baseFilters: number;
  growth: number;
  norm: Norm;
  activation: Activation;
  upsampling: Upsampling;
  dropout: number;
}

export interface EvaluateOptions {
  /** Default Dice + BCE for one class, Dice + CE for more (defaultLoss). */
  loss?: LossSpec;
  /** Images a forward pass. Default 8. */
  batchSize?: number;
  /** Of the forward passes (the loss is computed in fp32). Default 'fp32'. */
  precision?: Precision;
}

export interface ForwardOptions {
  /** 'bf16': PyTorch's forward under autocast, logits returned as fp32. Default 'fp32'. */
  precision?: Precision;
}

/** Parameters and buffers by name; the names are those of the PyTorch reference (test/reference/unet.py). */
export type StateDict = Record<string, Tensor>;

export interface Gradients {
  loss: number;
  /** One gradient per parameter, by parameter name. */
  gradients: Record<string, Tensor<Float32Array>>;
}

/** `work`, or the signal's reason as soon as it aborts (the work itself finishes unseen). */
function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const deviceCheck = pattern(/^(auto|cpu|cuda(:\d+)?)$/, "'auto' | 'cpu' | 'cuda' | 'cuda:N'");


export class UNet {
  readonly #native: NativeModel;
  readonly #batcher = new PredictBatcher();
  // A copy kept on this thread: the native history changes on the compute thread while fit runs.
  #history: History;
  // Fixed at creation: read from the addon once, not on every call that checks its input against it.
  readonly #config: Readonly<UNetConfig>;

  private constructor(nativeModel: NativeModel) {
    this.#native = nativeModel;
    this.#history = nativeModel.history; // no job can run yet: the model was just made
    this.#config = Object.freeze(nativeModel.config);
  }

  /**
   * Builds a U-Net with padded 3x3 convolutions: the logits have the input's height and width. Images
   * must be at least 2^depth on each side; other sizes are reflect-padded to a multiple of 2^depth and
   * the logits cropped back.
   */
  static async create(options: UNetOptions = {}): Promise<UNet> {
    // device and seed go as arguments of their own; the core checks the rest and owns the defaults.
    if (typeof options !== 'object' || options === null) return new UNet(await native.createModel(options, undefined, undefined));
    const { device, seed, ...architecture } = options;
    if (device !== undefined) deviceCheck(device, 'options.device');
    return new UNet(await native.createModel(architecture, device, seed));
  }

  /**
   * A model from a file written by save() or by fit's checkpoint: configuration, weights and, for resuming,
   * the optimiser state and the history. A corrupt, truncated or foreign file is refused.
   */
  static async load(path: string, options: { device?: DeviceName } = {}): Promise<UNet> {
    checkPath(path, 'path');
    const { device } = checkOptions<{ device?: DeviceName }>(options, 'options', { device: deviceCheck });
    return new UNet(await native.loadModel(path, device));
  }

  get config(): UNetConfig {
    return this.#live('config');
  }

  get parameterCount(): number {
    return this.#native.parameterCount;
  }

  /** The libtorch device the weights live on, e.g. "cpu" or "cuda:0". */
  get device(): string {
    return this.#native.device;
  }

  get disposed(): boolean {
    return this.#native.disposed;
  }

  /** Logits N x classes x H x W (float32) for NCHW images, in eval mode, through the module as PyTorch runs it. */
  async forward(x: TensorLike, options: ForwardOptions = {}): Promise<Tensor<Float32Array>> {
    const images = checkImages(x, 'x', this.#live('forward').inChannels);
    return (await this.#native.forward(images, options)) as Tensor<Float32Array>;
  }

  /**
   * What a server calls on every request: NCHW images of any height and width (at least 2^depth; other sizes
   * are reflect-padded and cropped back), in eval mode under inference mode, with batch norm folded into the
   * convolutions. Masks by default (uint8 class indices), or probabilities or logits; tiling and flip TTA on
   * request. Concurrent calls run one at a time in call order, or in batches (options.batching).
   */
  async predict(images: TensorLike, options: PredictOptions = {}): Promise<Tensor> {
    const config = this.#live('predict');
    // uint8 pixels only where the core standardises them.
    const checked = checkImages(images, 'images', config.inChannels, (options as PredictOptions | null)?.standardise === true);
    const { batching, signal, forNative } = splitPredictOptions(options);
    signal?.throwIfAborted();
    if (!batching) return abortable(this.#native.predict(checked, forNative), signal);
    // maxPixels applies to each call, so to each caller of a batch; the batch is bounded by maxBatchSize.
    const { maxPixels, ...batchOptions } = forNative;
    const [n, , h, w] = checked.shape;
    if (maxPixels !== undefined && n * h * w > maxPixels) {
      throw new RangeError(`images: ${n * h * w} pixels (N x H x W) exceed maxPixels = ${maxPixels}`);
    }
    const key = JSON.stringify([batchOptions, batching, checked.shape.slice(1), checked.data.constructor.name]);
    return this.#batcher.predict(key, checked, batching, (batch) => this.#native.predict(batch, batchOptions), signal);
  }

  /**
   * Loss and gradient of every parameter for one training-mode pass (no optimiser step). Batch-norm running
   * statistics are restored afterwards, so the model is left exactly as it was.
   */
  async gradients(images: TensorLike, targets: TensorLike, loss?: LossSpec): Promise<Gradients> {
    const config = this.#live('gradients');
    const checkedImages = checkImages(images, 'images', config.inChannels);
    const logitShape = [checkedImages.shape[0], config.classes, ...checkedImages.shape.slice(2)];
    const checkedTargets = checkTargets(targets, 'targets', { data: checkedImages.data, shape: logitShape }, 'the logits');
    return (await this.#native.gradients(checkedImages, checkedTargets, loss)) as Gradients;
  }

  /**
   * Trains in libtorch on a worker thread: batching, augmentation, forward, loss, backward, optimiser step
   * and validation all run natively; the callbacks hear about it without slowing it down. Resolves with one
   * entry an epoch (all epochs, the resumed ones included). The images and masks are read in place: do not
   * change them while fit runs.
   */
  async fit(data: TrainingData | AsyncIterable<TrainingData>, options: FitOptions = {}): Promise<History> {
    const config = this.#live('fit');
    if (isAsyncIterable(data)) return fitBatches(this, data, options);
    const { images, masks } = checkTrainingData(data, 'data', config.inChannels);
    const forNative = checkFitOptions(options);
    let validation = options.validation && checkTrainingData(options.validation, 'options.validation', config.inChannels);
    let training = { images, masks };
    if (options.validationSplit !== undefined) {
      ({ train: training, validation } = splitTrainingData(training, options.validationSplit, options.seed ?? nativeDefaults.fit.seed));
    }
    const { signal } = options;
    signal?.throwIfAborted();
    const relay = new ProgressRelay(options);
    const onAbort = () => relay.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const stopFlag = { data: relay.stopFlag, shape: [2] };
      const result = await this.#native.fit(training.images, training.masks, validation?.images, validation?.masks, forNative, relay.deliver, stopFlag);
      await relay.settled(result);
      this.#history = result.history;
      if (relay.error !== undefined) throw relay.error;
      if (result.aborted) throw abortError(result.history, signal?.reason);
      return result.history;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Loss, Dice and IoU on data in eval mode, as fit's validation computes them: Dice and IoU are means over
   * images of the mean over classes (the foreground classes for several, the one class for binary), skipping
   * images whose truth is empty (MONAI's ignore_empty); null when every image is.
   */
  async evaluate(data: TrainingData, options: EvaluateOptions = {}): Promise<{ loss: number; dice: number | null; iou: number | null }> {
    const config = this.#live('evaluate');
    const { images, masks } = checkTrainingData(data, 'data', config.inChannels);
    return this.#native.evaluate(images, masks, options);
  }

  /**
   * One optimiser step on one batch, for loops that JS drives; the optimiser persists between calls. Resolves
   * with the batch's loss and the learning rate the step used.
   */
  async trainStep(images: TensorLike, masks: TensorLike, options: TrainStepOptions = {}): Promise<{ loss: number; lr: number }> {
    const config = this.#live('trainStep');
    const checkedImages = checkImages(images, 'images', config.inChannels);
    const checkedMasks = checkMasks(masks, 'masks', checkedImages);
    const [loss, lr] = (await this.#native.trainStep(checkedImages, checkedMasks, options)).data;
    return { loss, lr };
  }

  /** The epochs trained so far by in-memory fits (or restored by load), as save() writes them. */
  get history(): History {
    return this.#history;
  }

  /** Writes the configuration, weights, optimiser state and history to one file, atomically. */
  async save(path: string): Promise<void> {
    this.#live('save');
    checkPath(path, 'path');
    return this.#native.save(path);
  }

  /** Writes the weights as a state dict that Python's torch.load reads into the PyTorch reference U-Net. */
  async exportWeights(path: string): Promise<void> {
    this.#live('exportWeights');
    checkPath(path, 'path');
    return this.#native.exportWeights(path);
  }

  /** Reads a state dict written by torch.save(model.state_dict(), path); names and shapes must match. */
  async importWeights(path: string): Promise<void> {
    this.#live('importWeights');
    checkPath(path, 'path');
    return this.#native.importWeights(path);
  }

  /** A copy of every parameter and buffer, by name. */
  async stateDict(): Promise<StateDict> {
    this.#live('stateDict');
    return this.#native.stateDict();
  }

  /** Replaces every parameter and buffer; names and shapes must match exactly (nothing is changed otherwise). */
  async loadStateDict(stateDict: Record<string, TensorLike>): Promise<void> {
    this.#live('loadStateDict');
    if (typeof stateDict !== 'object' || stateDict === null) {
      throw new TypeError('stateDict: expected an object of tensors by name');
    }
    for (const [name, value] of Object.entries(stateDict)) checkTensor(value, `stateDict['${name}']`);
    return this.#native.loadStateDict(stateDict);
  }

  /** Frees the weights once the operations already queued have finished; later calls reject. */
  dispose(): void {
    this.#native.dispose();
  }

  /** `using model = await UNet.create(...)` disposes the model at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #live(operation: string): UNetConfig {
    if (this.#native.disposed) throw new Error(`${operation}: the model has been disposed`);
    return this.#config;
  }
}
