// trainStep's options (the optimiser's, the loss and gradient clipping), which fit's extend. Checked here; the
// defaults are the core's (native/core/training/step.h).
import { checkLossSpec, type LossSpec } from '../ops/loss_spec.js';
import { checkOptions, number, type Check } from '../validate.js';
import { optimizerSchema, type OptimizerOptions } from './optimizer.js';

export interface TrainStepOptions extends OptimizerOptions {
  /** Default Dice + BCE for one class, Dice + CE for more (defaultLoss). */
  loss?: LossSpec;
  /** Largest global gradient norm; 0 = no clipping. Default 0. */
  gradClip?: number;
}

const loss: Check = (value, name) => void checkLossSpec(value, name);

export function checkTrainStepOptions(options: TrainStepOptions): TrainStepOptions {
  return checkOptions<TrainStepOptions>(options, 'options', { ...optimizerSchema, loss, gradClip: number(0) });
}
