// What the native addon offers, as TypeScript sees it: the functions native/addon.cc registers and the model
// object they make. The loader (loader.ts) returns it; the rest of lib/ calls through it.
import type { TensorLike, Tensor } from '../tensor.js';
import type { EpochLogs } from '../training/history.js';
import type { ProgressEvent } from '../training/progress.js';

export interface NativeModel {
  readonly config: NativeConfig;
  readonly parameterCount: number;
  readonly device: string;
  readonly disposed: boolean;
  forward(x: TensorLike): Promise<Tensor>;
  predict(images: TensorLike, options: object): Promise<Tensor>;
  gradients(
    images: TensorLike,
    targets: TensorLike,
    loss: string,
    lossOptions: object,
  ): Promise<{ loss: number; gradients: Record<string, Tensor> }>;
  stateDict(): Promise<Record<string, Tensor>>;
  loadStateDict(stateDict: Record<string, TensorLike>): Promise<void>;
  fit(
    images: TensorLike,
    masks: TensorLike,
    valImages: TensorLike | undefined,
    valMasks: TensorLike | undefined,
    options: object,
    onProgress: (event: ProgressEvent) => void,
    stopFlag: { data: Int32Array; shape: number[] },
  ): Promise<{ history: EpochLogs[]; stoppedEarly: boolean; aborted: boolean; batchEvents: number; epochEvents: number }>;
  trainStep(images: TensorLike, masks: TensorLike, options: object): Promise<number>;
  evaluate(images: TensorLike, masks: TensorLike, options: object): Promise<{ loss: number; dice: number | null; iou: number | null }>;
  readonly history: EpochLogs[];
  save(path: string): Promise<void>;
  exportWeights(path: string): Promise<void>;
  importWeights(path: string): Promise<void>;
  dispose(): void;
}

export interface NativeConfig {
  inChannels: number;
  classes: number;
  depth: number;
  baseFilters: number;
  growth: number;
  norm: string;
  activation: string;
  upsampling: string;
  dropout: number;
}

export interface NativeAddon {
  createModel(options: object, device: string, seed: number | undefined): Promise<NativeModel>;
  loadModel(path: string, device: string): Promise<NativeModel>;
  augment(images: TensorLike, masks: TensorLike, options: object, seed: number): Promise<{ images: Tensor; masks: Tensor }>;
  computeLoss(kind: string, input: TensorLike, target: TensorLike, options: object): Promise<number | Tensor>;
  computeMetric(kind: string, pred: TensorLike, target: TensorLike | undefined, options: object): Promise<number | Tensor>;
  backendInfo(): { torchVersion: string; cuda: boolean; cudaDevices: number; threads: number; blas: string };
  setThreads(threads: number): void;
}
