// trainStep's options (the optimiser's, the loss and gradient clipping), which fit's extend.
import { checkLossSpec, defaultLoss, type LossSpec } from '../ops/loss_spec.js';
import { checkOptions, number, type Check } from '../validate.js';
import { optimizerSchema, resolveOptimizer, type OptimizerOptions } from './optimizer.js';

export interface TrainStepOptions extends OptimizerOptions {
  loss?: LossSpec;
  gradClip?: number;
}

const anything: Check = () => undefined;

/** The loss given, checked, or the default for `classes`. */
export function resolveLoss(loss: unknown, classes: number): LossSpec {
  const spec = (loss ?? defaultLoss(classes)) as LossSpec;
  checkLossSpec(spec, 'options.loss');
  return spec;
}

export function resolveTrainStepOptions(options: TrainStepOptions, classes: number) {
  const checked = checkOptions<TrainStepOptions>(options, 'options', { ...optimizerSchema, loss: anything, gradClip: number(0) });
  return { ...resolveOptimizer(checked), loss: resolveLoss(checked.loss, classes), gradClip: checked.gradClip ?? 0 };
}
