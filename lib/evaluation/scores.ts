// Scores per image and per class of predicted masks against the truth, through the library's metrics with
// MONAI's semantics: IoU and Dice (an image whose truth lacks a class gives null there, and the means skip it),
// the 95th-percentile Hausdorff distance and the symmetric average surface distance in pixels (null where both
// masks lack the class, Infinity where only one has it). The means skip Infinity and count it apart, unlike
// MONAI's reduction (which keeps it): one image with a missed class would hide every other image's distance.
import * as metrics from '../ops/metrics.js';
import { mean } from '../stats/samples.js';
import { tensor, type Tensor } from '../tensor.js';

export const SCORE_NAMES = ['iou', 'dice', 'hausdorff95', 'surfaceDistance'] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];

/** How each score reads in tables and pictures. */
export const SCORE_LABELS: Record<ScoreName, string> = { iou: 'IoU', dice: 'Dice', hausdorff95: 'HD95', surfaceDistance: 'ASSD' };

/** A JSON.stringify replacer: JSON has no Infinity, so it is written as the string "Infinity" (null stays null). */
export const withInfinity = (_key: string, value: unknown) => (value === Infinity ? 'Infinity' : value);

/** [image][class]; null where the score is undefined (NaN). */
export type ScoreTable = (number | null)[][];

export interface Scores {
  /** The classes scored: [1] for binary, 1 .. classes-1 (the foreground) for several. */
  classes: number[];
  perImage: Record<ScoreName, ScoreTable>;
}

export interface ScoreSummary {
  /** Per score: the mean over images per class, skipping nulls and Infinity. */
  byClass: Record<ScoreName, (number | null)[]>;
  /** Per score: the mean over every image and class that has a finite value (MONAI's 'mean', less Infinity). */
  mean: Record<ScoreName, number | null>;
  /** Per score: the images and classes whose value is Infinity (distances where only one mask has the class). */
  infinite: Record<ScoreName, number>;
}

/** One-hot N x classes x H x W from class indices N x 1 x H x W. */
export function oneHot(masks: Tensor, classes: number): Tensor<Float32Array> {
  const [count, , height, width] = masks.shape;
  const plane = height * width;
  const out = new Float32Array(count * classes * plane);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < plane; i++) out[(n * classes + Number(masks.data[n * plane + i])) * plane + i] = 1;
  }
  return tensor(out, [count, classes, height, width]);
}

function rows(result: Tensor): ScoreTable {
  const [count, classes] = result.shape;
  return Array.from({ length: count }, (_, n) =>
    Array.from({ length: classes }, (_, c) => {
      const value = Number(result.data[n * classes + c]);
      return Number.isNaN(value) ? null : value;
    }),
  );
}

/** predicted and truth: class indices N x 1 x H x W of the same size; modelClasses as UNet's `classes`. */
export async function scoreMasks(predicted: Tensor, truth: Tensor, modelClasses: number): Promise<Scores> {
  const binary = modelClasses === 1;
  // Binary masks are already what the metrics take; several classes need a one-hot prediction.
  const pred = binary ? predicted : oneHot(predicted, modelClasses);
  const options = { includeBackground: binary, reduction: 'none' } as const;
  const results = [
    await metrics.iou(pred, truth, options),
    await metrics.dice(pred, truth, options),
    await metrics.hausdorff(pred, truth, { ...options, percentile: 95 }),
    await metrics.surfaceDistance(pred, truth, { ...options, symmetric: true }),
  ];
  const classes = binary ? [1] : Array.from({ length: modelClasses - 1 }, (_, c) => c + 1);
  return { classes, perImage: Object.fromEntries(SCORE_NAMES.map((name, i) => [name, rows(results[i])])) as Scores['perImage'] };
}

const meanOf = (values: (number | null)[]) => {
  const present = values.filter((value): value is number => value !== null && value !== Infinity);
  return present.length ? mean(present) : null;
};

const perScore = <T>(make: (name: ScoreName) => T) => Object.fromEntries(SCORE_NAMES.map((name) => [name, make(name)])) as Record<ScoreName, T>;

export function summarise(scores: Scores): ScoreSummary {
  const byClass = (table: ScoreTable) => scores.classes.map((_, c) => meanOf(table.map((row) => row[c])));
  return {
    byClass: perScore((name) => byClass(scores.perImage[name])),
    mean: perScore((name) => meanOf(scores.perImage[name].flat())),
    infinite: perScore((name) => scores.perImage[name].flat().filter((value) => value === Infinity).length),
  };
}

/** Image n's scores: score -> one per class. */
export function imageScores(scores: Scores, n: number): Record<ScoreName, (number | null)[]> {
  return perScore((name) => scores.perImage[name][n]);
}

/** Appends one batch's scores to running ones (eval goes a batch at a time). */
export function appendScores(into: Scores | undefined, more: Scores): Scores {
  if (!into) return more;
  return { classes: into.classes, perImage: perScore((name) => [...into.perImage[name], ...more.perImage[name]]) };
}
