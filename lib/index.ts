// torch-unet: U-Net image segmentation for Node.js on libtorch.
export { UNet } from './unet.js';
export { defaultLoss } from './training.js';
export type { TrainingData, FitOptions, TrainStepOptions, History, EpochLogs, BatchLogs, OptimizerName, ScheduleName, ScheduleOptions } from './training.js';
export { augment, defaultAugment } from './augment.js';
export type { AugmentOptions } from './augment.js';
export type { PredictOptions, TileOptions } from './inference.js';
export type { BatchingOptions } from './batcher.js';
export type { UNetOptions, UNetConfig, StateDict, Gradients, Norm, Activation, Upsampling, DeviceName } from './unet.js';
export { tensor } from './tensor.js';
export type { Tensor, TensorLike, TensorData, DType } from './tensor.js';
export { backendInfo, setThreads } from './backend.js';
export type { BackendInfo } from './backend.js';
export * as losses from './losses.js';
export type { LossSpec, LossName } from './loss_spec.js';
export type {
  Reduction,
  DiceOptions,
  DiceCeOptions,
  BceOptions,
  CrossEntropyOptions,
  FocalOptions,
  TverskyOptions,
} from './losses.js';
export * as metrics from './metrics.js';
export type { MetricReduction, OverlapMetricOptions } from './metrics.js';
export { loadFolder, splitDataset, subsetDataset, shapes, loadImage, writeMask, defaultCacheFolder, SHAPE_KINDS, MASK_SUFFIXES, IMAGE_EXTENSIONS } from './data.js';
export type { Dataset, LoadFolderOptions, SplitOptions, ShapesOptions, ShapeObject, ShapeKind, LoadImageOptions, WriteMaskOptions, Channels } from './data.js';
export { palette, hexColour, writePanel, overlay, curves, writeCurves, PANEL_LAYOUT } from './pictures.js';
export type { Colour, PanelRow, PanelOptions, OverlayOptions } from './pictures.js';
export { writeFileAtomic } from './files.js';
export { standardise } from './preprocess.js';
