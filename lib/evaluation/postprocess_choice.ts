// nnU-Net's choice of post-processing (nnunetv2/postprocessing/remove_connected_components.py,
// determine_postprocessing) on the pooled validation predictions of a cross-validation:
// 1. keep the largest component of the foreground (all classes as one): kept if the mean Dice over the classes
//    rises and no class's Dice falls;
// 2. then, on top, for each class: keep that class's largest component, kept if that class's Dice rises.
// Dice per image and class as nnU-Net counts it (NaN when both masks lack the class, 0 when only the truth does),
// averaged over the images that have one. The chosen steps are applied in order, as predict does with a folder
// of folds.
import * as metrics from '../ops/metrics.js';
import * as postprocess from '../ops/postprocess.js';
import type { PostprocessOptions } from '../ops/postprocess.js';
import { mean } from '../stats/samples.js';
import type { Tensor } from '../tensor.js';
import { oneHot } from './scores.js';

export interface PostprocessStep {
  /** What was tried. */
  postprocess: PostprocessOptions;
  /** The class judged (null: the mean over the classes), its mean Dice before and after. */
  class: number | null;
  before: number;
  after: number;
  kept: boolean;
}

export interface PostprocessChoice {
  /** The steps kept, in the order to apply them (none: leave the masks as they are). */
  postprocess: PostprocessOptions[];
  /** Every step tried. */
  steps: PostprocessStep[];
}

/** Mean Dice over the images of each foreground class (index 0 = class 1), nnU-Net's way. */
async function classDice(predicted: Tensor<Uint8Array>, truth: Tensor<Uint8Array>, classes: number): Promise<number[]> {
  const pred = classes === 1 ? predicted : oneHot(predicted, classes);
  const options = { includeBackground: classes === 1, reduction: 'none' } as const;
  // MONAI's ignoreEmpty false gives 1 where both are empty and 0 where only the prediction has the class; with it
  // true, NaN wherever the truth lacks it: together, nnU-Net's NaN (both empty) and 0
  const [kept, filled] = [await metrics.dice(pred, truth, options), await metrics.dice(pred, truth, { ...options, ignoreEmpty: false })];
  const [count, scored] = kept.shape;
  return Array.from({ length: scored }, (_, c) => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const value = Number.isNaN(kept.data[i * scored + c]) ? (filled.data[i * scored + c] === 1 ? NaN : 0) : kept.data[i * scored + c];
      if (!Number.isNaN(value)) {
        sum += value;
        n++;
      }
    }
    return n ? sum / n : NaN;
  });
}

const meanOf = (values: number[]) => {
  const present = values.filter((value) => !Number.isNaN(value));
  return present.length ? mean(present) : NaN;
};

/** predicted and truth: class indices N x 1 x H x W; classes as UNet's (1: binary). */
export async function choosePostprocessing(predicted: Tensor<Uint8Array>, truth: Tensor<Uint8Array>, classes: number): Promise<PostprocessChoice> {
  const labels = classes === 1 ? [1] : Array.from({ length: classes - 1 }, (_, c) => c + 1);
  const steps: PostprocessStep[] = [];
  const chosen: PostprocessOptions[] = [];
  let current = predicted;
  let dice = await classDice(current, truth, classes);

  const union: PostprocessOptions = { keepLargestComponent: { independent: false } };
  const afterUnion = await postprocess.apply(current, union);
  const unionDice = await classDice(afterUnion, truth, classes);
  const [before, after] = [meanOf(dice), meanOf(unionDice)];
  const noneWorse = unionDice.every((value, c) => Number.isNaN(dice[c]) || value >= dice[c]);
  const keepUnion = after > before && noneWorse;
  steps.push({ postprocess: union, class: null, before, after, kept: keepUnion });
  if (keepUnion) {
    chosen.push(union);
    current = afterUnion;
    dice = unionDice;
  }
  for (const [c, label] of labels.entries()) {
    const step: PostprocessOptions = { keepLargestComponent: { labels: [label] } };
    const candidate = await postprocess.apply(current, step);
    const candidateDice = await classDice(candidate, truth, classes);
    const kept = candidateDice[c] > dice[c];
    steps.push({ postprocess: step, class: label, before: dice[c], after: candidateDice[c], kept });
    if (kept) {
      chosen.push(step);
      current = candidate;
      dice = candidateDice;
    }
  }
  return { postprocess: chosen, steps };
}
