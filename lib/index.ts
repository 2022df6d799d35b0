// torch-unet: U-Net image segmentation for Node.js on libtorch.
export { UNet } from './model/unet.js';
export type { UNetOptions, UNetConfig, EvaluateOptions, ForwardOptions, StateDict, Gradients, Norm, Activation, Upsampling, DeviceName } from './model/unet.js';
export { defaultLoss } from './ops/loss_spec.js';
export type { TrainingData, FitOptions, CheckpointOptions } from './training/fit.js';
export type { TrainStepOptions } from './training/train_step.js';
export type { History, EpochLogs, BatchLogs } from './training/history.js';
export type { OptimizerName } from './training/optimizer.js';
export type { ScheduleName, ScheduleOptions } from './training/schedule.js';
export { augment, defaultAugment } from './training/augment.js';
export type { AugmentOptions } from './training/augment.js';
export type { PredictOptions, TileOptions } from './inference/predict.js';
export { QueueFullError } from './inference/batcher.js';
export { Ensemble } from './inference/ensemble.js';
export { foldIndices, foldOfImages, readGroups } from './data/folds.js';
export type { Fold, FoldOptions } from './data/folds.js';
export { crossValidate } from './evaluation/cross_validation.js';
export type { CrossValidation, CrossValidationOptions, FoldResult } from './evaluation/cross_validation.js';
export type { BatchingOptions } from './inference/batcher.js';
export { tensor } from './tensor.js';
export type { Tensor, TensorLike, TensorData, DType } from './tensor.js';
export { backendInfo, setComputeNice, setThreads } from './runtime/backend.js';
export type { BackendInfo, Precision } from './runtime/backend.js';
export * as losses from './ops/losses.js';
export type { LossSpec, LossName } from './ops/loss_spec.js';
export type {
  Reduction,
  DiceOptions,
  DiceCeOptions,
  BceOptions,
  CrossEntropyOptions,
  FocalOptions,
  TverskyOptions,
} from './ops/losses.js';
export * as metrics from './ops/metrics.js';
export type {
  MetricReduction,
  OverlapMetricOptions,
  DistanceMetric,
  DistanceTransformOptions,
  SurfaceMetricOptions,
  HausdorffOptions,
  SurfaceDistanceOptions,
  SurfaceDiceOptions,
} from './ops/metrics.js';
export * as postprocess from './ops/postprocess.js';
export type {
  Connectivity,
  KeepLargestComponentOptions,
  FillHolesOptions,
  RemoveSmallObjectsOptions,
  PostprocessOptions,
} from './ops/postprocess.js';
export { loadFolder, splitDataset, subsetDataset, shapes, loadImage, writeMask, defaultCacheFolder, SHAPE_KINDS, MASK_SUFFIXES, IMAGE_EXTENSIONS, standardise } from './data/index.js';
export type { Dataset, LoadFolderOptions, SplitOptions, ShapesOptions, ShapeObject, ShapeKind, LoadImageOptions, WriteMaskOptions, Channels } from './data/index.js';
export { palette, hexColour, writePanel, overlay, curves, writeCurves, PANEL_LAYOUT, boxplotSvg, writeBoxplot, boxStats } from './pictures/index.js';
export type { Colour, PanelRow, PanelOptions, OverlayOptions, BoxGroup, BoxStats, BoxplotOptions } from './pictures/index.js';
export { pairedTTest, wilcoxonSignedRank, bootstrapMeanDifference, bootstrapResamples, BOOTSTRAP_DEFAULTS } from './stats/index.js';
export type { PairedTTest, WilcoxonSignedRank, WilcoxonMethod, BootstrapOptions, BootstrapInterval, Sample } from './stats/index.js';
export { writeFileAtomic } from './files.js';
export { ProcessGroup, distributedSupport } from './distributed/process_group.js';
export type { ProcessGroupOptions, DistributedBackend } from './distributed/process_group.js';
export { distributedIndices } from './distributed/sampler.js';
export type { SamplerOptions } from './distributed/sampler.js';
export { servePlugin } from './server/plugin.js';
export { SERVE_DEFAULTS } from './server/options.js';
export type { ServeOptions, ServedModelOptions } from './server/options.js';
export type { ModelMetadata } from './server/models.js';
export type { SegmentSummary, ClassArea } from './server/segment.js';
