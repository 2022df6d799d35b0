// The optimiser options that fit and trainStep share. The core checks them and owns their defaults
// (OptimizerOptions::defaultsFor in native/core/training/optimizer.h).
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
