// A loss chosen by name with its options: what the model's gradients (and training) take. Mirrors
// native/loss_spec.h.
import type { BceOptions, CrossEntropyOptions, DiceCeOptions, DiceOptions, FocalOptions, TverskyOptions } from './losses.js';
import { nativeDefaults } from '../binding/defaults.js';
import { boolean, checkOptions, integer, number, numberOrList, oneOf, type Check } from '../validate.js';

/** A loss chosen by name with its options, as the model's gradients (and training) take it. */
export type LossSpec =
  | ({ name: 'dice' } & DiceOptions)
  | ({ name: 'diceCe' } & DiceCeOptions)
  | ({ name: 'bce' } & BceOptions)
  | ({ name: 'crossEntropy' } & CrossEntropyOptions)
  | ({ name: 'focal' } & FocalOptions)
  | ({ name: 'tversky' } & TverskyOptions);

export type LossName = LossSpec['name'];

const reduction = oneOf('mean', 'sum', 'none');
const nonNegative = number(0);
const unit = number(0, 1);

const diceSchema: Record<string, Check> = {
  includeBackground: boolean,
  toOnehotY: boolean,
  sigmoid: boolean,
  softmax: boolean,
  squaredPred: boolean,
  jaccard: boolean,
  reduction,
  smoothNr: nonNegative,
  smoothDr: nonNegative,
  batch: boolean,
  weight: numberOrList,
};

export const lossSchemas: Record<LossName, Record<string, Check>> = {
  dice: diceSchema,
  diceCe: {
    ...diceSchema,
    lambdaDice: nonNegative,
    lambdaCe: nonNegative,
    ceWeight: numberOrList,
    labelSmoothing: number(0, 1, { maxExclusive: true }),
  },
  bce: { posWeight: numberOrList, reduction },
  crossEntropy: {
    weight: numberOrList,
    ignoreIndex: integer(-(2 ** 31), 2 ** 31 - 1),
    labelSmoothing: number(0, 1, { maxExclusive: true }),
    reduction,
  },
  focal: {
    includeBackground: boolean,
    toOnehotY: boolean,
    gamma: nonNegative,
    alpha: unit,
    weight: numberOrList,
    useSoftmax: boolean,
    reduction,
  },
  tversky: {
    includeBackground: boolean,
    toOnehotY: boolean,
    sigmoid: boolean,
    softmax: boolean,
    alpha: nonNegative,
    beta: nonNegative,
    reduction,
    smoothNr: nonNegative,
    smoothDr: nonNegative,
    batch: boolean,
  },
};

/** Validates a LossSpec; returns its name and its options without the name. */
export function checkLossSpec(spec: unknown, name: string): { lossName: LossName; options: object } {
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(`${name}: expected a loss { name: 'dice' | 'diceCe' | 'bce' | 'crossEntropy' | 'focal' | 'tversky', ... }`);
  }
  const { name: lossName, ...options } = spec as { name?: unknown };
  oneOf(...Object.keys(lossSchemas))(lossName, `${name}.name`);
  checkOptions(options, name, lossSchemas[lossName as LossName]);
  return { lossName: lossName as LossName, options };
}

/** The default loss: Dice + BCE for one class, Dice + CE for more (MONAI's DiceCELoss). */
export function defaultLoss(classes: number): LossSpec {
  return nativeDefaults.defaultLoss(classes);
}
