// The one place the native addon is loaded. Everything else imports `native` from here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TensorLike, Tensor } from './tensor.js';
import type { EpochLogs, ProgressEvent } from './training.js';

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

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [join(packageRoot, 'build', 'Release', 'torch_unet.node')];

function load(): NativeAddon {
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      errors.push(`${path}: not built`);
      continue;
    }
    try {
      return require(path) as NativeAddon;
    } catch (error) {
      errors.push(`${path}: ${(error as Error).message}`);
    }
  }
  throw new Error(
    [
      `torch-unet: the native addon could not be loaded on ${process.platform}-${process.arch} (Node ${process.version}).`,
      'Tried:',
      ...errors.map((line) => `  - ${line}`),
      'To fix it:',
      '  - install libtorch: sudo apt-get install libtorch-dev libopenblas0-openmp (Debian/Ubuntu), or set LIBTORCH',
      '  - then build the addon: npm run build (in the torch-unet folder), or bash scripts/setup.sh',
    ].join('\n'),
  );
}

export const native: NativeAddon = load();
