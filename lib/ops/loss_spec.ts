// A loss chosen by name with its options: what the model's gradients, evaluate and training take. Mirrors
// native/core/losses/loss_spec.h, which checks it.
import type { BceOptions, CrossEntropyOptions, DiceCeOptions, DiceOptions, FocalOptions, TverskyOptions } from './losses.js';
import { nativeDefaults } from '../binding/defaults.js';

/** A loss chosen by name with its options, as the model's gradients (and training) take it. */
export type LossSpec =
  | ({ name: 'dice' } & DiceOptions)
  | ({ name: 'diceCe' } & DiceCeOptions)
  | ({ name: 'bce' } & BceOptions)
  | ({ name: 'crossEntropy' } & CrossEntropyOptions)
  | ({ name: 'focal' } & FocalOptions)
  | ({ name: 'tversky' } & TverskyOptions);

export type LossName = LossSpec['name'];

/** The default loss: Dice + BCE for one class, Dice + CE for more (MONAI's DiceCELoss), as the core defines it. */
export function defaultLoss(classes: number): LossSpec {
  return nativeDefaults.defaultLoss(classes);
}
