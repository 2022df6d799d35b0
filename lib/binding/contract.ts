// What the native addon offers, as TypeScript sees it: the functions native/addon/addon.cc registers and the model
// object they make. Options cross as the user gave them: the core checks them and fills every default.
import type { PredictOptions } from '../inference/predict.js';
import type { DeviceName, EvaluateOptions, ForwardOptions, UNetConfig, UNetOptions } from '../model/unet.js';
import type { LossSpec } from '../ops/loss_spec.js';
import type { BackendInfo } from '../runtime/backend.js';
import type { BceOptions, CrossEntropyOptions, DiceCeOptions, DiceOptions, FocalOptions, TverskyOptions } from '../ops/losses.js';
import type { DistanceTransformOptions, HausdorffOptions, OverlapMetricOptions, SurfaceDiceOptions, SurfaceDistanceOptions } from '../ops/metrics.js';
import type { FillHolesOptions, KeepLargestComponentOptions, PostprocessOptions, RemoveSmallObjectsOptions } from '../ops/postprocess.js';
import type { TensorLike, Tensor } from '../tensor.js';
import type { AugmentOptions } from '../training/augment.js';
import type { FitOptions } from '../training/fit.js';
import type { EpochLogs } from '../training/history.js';
import type { ProgressEvent } from '../training/progress.js';
import type { TrainStepOptions } from '../training/train_step.js';
import type { SamplerOptions } from '../distributed/sampler.js';

/** fit's options less what stays in JS (the validation data, the callbacks, the signal). */
export type NativeFitOptions = Omit<FitOptions, 'validation' | 'validationSplit' | 'onBatchEnd' | 'onEpochEnd' | 'signal' | 'processGroup'> & {
  processGroup?: NativeProcessGroup;
};
/** predict's options less the batching, which lib/inference/batcher.ts does. */
export type NativePredictOptions = Omit<PredictOptions, 'batching'>;
export type NativeArchitecture = Omit<UNetOptions, 'device' | 'seed'>;
export type LossOptions = DiceOptions | DiceCeOptions | BceOptions | CrossEntropyOptions | FocalOptions | TverskyOptions;
export type MetricOptions = OverlapMetricOptions | { classes: number } | { threshold?: number } | { oneHot?: boolean } | DistanceTransformOptions | HausdorffOptions | SurfaceDistanceOptions | SurfaceDiceOptions | Record<string, never>;

export interface NativeModel {
  readonly config: UNetConfig;
  readonly parameterCount: number;
  readonly device: string;
  readonly disposed: boolean;
  forward(x: TensorLike, options: ForwardOptions): Promise<Tensor>;
  predict(images: TensorLike, options: NativePredictOptions): Promise<Tensor>;
  /** loss undefined: the model's default loss. */
  gradients(images: TensorLike, targets: TensorLike, loss: LossSpec | undefined): Promise<{ loss: number; gradients: Record<string, Tensor> }>;
  stateDict(): Promise<Record<string, Tensor>>;
  loadStateDict(stateDict: Record<string, TensorLike>): Promise<void>;
  fit(
    images: TensorLike,
    masks: TensorLike,
    valImages: TensorLike | undefined,
    valMasks: TensorLike | undefined,
    options: NativeFitOptions,
    onProgress: (event: ProgressEvent) => void,
    stopFlag: { data: Int32Array; shape: number[] },
  ): Promise<{ history: EpochLogs[]; aborted: boolean; batchEvents: number; epochEvents: number }>;
  /** [loss, learning rate] as float64. */
  trainStep(images: TensorLike, masks: TensorLike, options: TrainStepOptions): Promise<Tensor<Float64Array>>;
  evaluate(images: TensorLike, masks: TensorLike, options: EvaluateOptions): Promise<{ loss: number; dice: number | null; iou: number | null }>;
  readonly history: EpochLogs[];
  save(path: string): Promise<void>;
  exportWeights(path: string): Promise<void>;
  importWeights(path: string): Promise<void>;
  dispose(): void;
}

export interface NativeProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: 'gloo' | 'nccl';
  barrier(): Promise<void>;
  allreduce(tensor: TensorLike): Promise<Tensor>;
}

/** Every default as the core has it (native/addon/defaults.cc). */
export interface NativeDefaults {
  unet: UNetConfig & { device: DeviceName };
  optimizer: string;
  optimizers: Record<'adam' | 'adamw' | 'sgd', { lr: number; weightDecay: number; momentum: number; nesterov: boolean }>;
  fit: { epochs: number; batchSize: number; schedule: string; gradClip: number; shuffle: boolean; seed: number; precision: string; checkpointMonitor: string };
  schedule: { factor: number; patience: number; minLr: number };
  trainStep: { gradClip: number; precision: string };
  evaluate: { batchSize: number; precision: string };
  forward: { precision: string };
  defaultLoss(classes: number): LossSpec;
  predict: { output: string; threshold: number; overlap: number; blend: string; sigmaScale: number; precision: string; standardise: boolean };
  augment: Required<AugmentOptions>;
  augmentTrue: Required<AugmentOptions>;
  losses: Record<LossSpec['name'], Record<string, unknown>>;
  metrics: { includeBackground: boolean; ignoreEmpty: boolean; reduction: string; threshold: number; oneHot: boolean };
  surfaceMetrics: { includeBackground: boolean; distanceMetric: string; reduction: string; directed: boolean; symmetric: boolean };
  /** connectivity2d, connectivity3d: the connectivity's default for 2D and for 3D masks. */
  postprocess: {
    keepLargestComponent: { connectivity2d: number; connectivity3d: number; independent: boolean };
    fillHoles: { connectivity2d: number; connectivity3d: number };
    removeSmallObjects: { connectivity2d: number; connectivity3d: number; minSize: number; independent: boolean };
  };
}

export interface NativeAddon {
  /** device and seed: the user's options.device and options.seed (undefined: 'auto', random). */
  createModel(options: NativeArchitecture, device: DeviceName | undefined, seed: number | undefined): Promise<NativeModel>;
  loadModel(path: string, device: DeviceName | undefined): Promise<NativeModel>;
  augment(images: TensorLike, masks: TensorLike, options: boolean | AugmentOptions | undefined, seed: number | undefined): Promise<{ images: Tensor; masks: Tensor }>;
  computeLoss(kind: LossSpec['name'], input: TensorLike, target: TensorLike, options: LossOptions): Promise<number | Tensor>;
  computeMetric(kind: string, pred: TensorLike, target: TensorLike | undefined, options: MetricOptions): Promise<number | Tensor>;
  /** The mean of the models' probabilities, or its mask: lib/inference/ensemble.ts. */
  combinePredictions(probabilities: TensorLike[], options: Pick<PredictOptions, 'output' | 'threshold' | 'postprocess'>): Promise<Tensor>;
  postprocess(
    kind: 'keepLargestComponent' | 'fillHoles' | 'removeSmallObjects' | 'apply',
    mask: TensorLike,
    options: KeepLargestComponentOptions | FillHolesOptions | RemoveSmallObjectsOptions | PostprocessOptions,
  ): Promise<Tensor>;
  backendInfo(): BackendInfo;
  /** Applies on the compute thread: at once when it is idle, else after the running job. */
  setThreads(threads: number): void;
  /** Sets the compute threads' nice value from the calling thread, at once. */
  setComputeNice(nice: number): void;
  defaults(): NativeDefaults;
  /** fit's checks without the loop: epochs and batchSize as fit would use them (lib/training/fit.ts fitBatches). */
  checkFitOptions(options: NativeFitOptions): { epochs: number; batchSize: number };
  /** Options as ProcessGroup.init merged them with the environment, plus torchrun's agent store. */
  initProcessGroup(options: Record<string, unknown>): Promise<NativeProcessGroup>;
  distributedSupport(): Record<'gloo' | 'nccl', string | null>;
  distributedIndices(count: number, epoch: number, options: SamplerOptions): number[];
}
