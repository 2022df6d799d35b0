// trainStep's options (the optimiser's, the loss and gradient clipping), which fit's extend. The core checks them
// and owns their defaults (native/core/training/step.h).
import type { LossSpec } from '../ops/loss_spec.js';
import type { Precision } from '../runtime/backend.js';
import type { OptimizerOptions } from './optimizer.js';

export interface TrainStepOptions extends OptimizerOptions {
  /** Default Dice + BCE for one class, Dice + CE for more (defaultLoss). */
  loss?: LossSpec;
  /** Largest global gradient norm; 0 = no clipping. Default 0. */
  gradClip?: number;
  /** 'bf16' (or 'auto') trains in mixed precision, as PyTorch's CPU autocast does; 'fp16' is refused. Default 'fp32'. */
  precision?: Precision;
}
