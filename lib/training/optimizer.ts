// The optimiser options that fit and trainStep share, checked here; their defaults are the core's
// (OptimizerOptions::defaultsFor in native/core/training/optimizer.h).
import { boolean, number, oneOf, type Check } from '../validate.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd';

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

export const optimizerSchema: Record<keyof OptimizerOptions, Check> = {
  optimizer: oneOf('adam', 'adamw', 'sgd'),
  lr: number(0, Infinity, { minExclusive: true }),
  weightDecay: number(0),
  momentum: number(0, 1, { maxExclusive: true }),
  nesterov: boolean,
};
