// IoU and Dice a image and a class for predicted masks against the truth, through the library's metrics (MONAI
// semantics: an image whose truth lacks a class gives null there, and the means skip it).
import * as metrics from '../ops/metrics.js';
import { tensor, type Tensor } from '../tensor.js';

export interface Scores {
  /** The classes scored: [1] for binary, 1 .. classes-1 (the foreground) for several. */
  classes: number[];
  /** [image][class] */
  iou: (number | null)[][];
  dice: (number | null)[][];
}

export interface ScoreSummary {
  /** Mean over images a class, skipping nulls. */
  iouByClass: (number | null)[];
  diceByClass: (number | null)[];
  /** Mean over every image and class that has a value (MONAI's 'mean'). */
  meanIoU: number | null;
  meanDice: number | null;
}

/** One-hot N x classes x H x W from class indices N x 1 x H x W. */
function oneHot(masks: Tensor, classes: number): Tensor<Float32Array> {
  const [count, , height, width] = masks.shape;
  const plane = height * width;
  const out = new Float32Array(count * classes * plane);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < plane; i++) out[(n * classes + Number(masks.data[n * plane + i])) * plane + i] = 1;
  }
  return tensor(out, [count, classes, height, width]);
}

function rows(result: Tensor): (number | null)[][] {
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
  const [iou, dice] = [await metrics.iou(pred, truth, options), await metrics.dice(pred, truth, options)];
  const classes = binary ? [1] : Array.from({ length: modelClasses - 1 }, (_, c) => c + 1);
  return { classes, iou: rows(iou), dice: rows(dice) };
}

const meanOf = (values: (number | null)[]) => {
  const present = values.filter((value): value is number => value !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
};

export function summarise(scores: Scores): ScoreSummary {
  const byClass = (table: (number | null)[][]) => scores.classes.map((_, c) => meanOf(table.map((row) => row[c])));
  return {
    iouByClass: byClass(scores.iou),
    diceByClass: byClass(scores.dice),
    meanIoU: meanOf(scores.iou.flat()),
    meanDice: meanOf(scores.dice.flat()),
  };
}

/** Appends one image's scores to running ones (eval goes an image at a time, as the sizes may differ). */
export function appendScores(into: Scores | undefined, more: Scores): Scores {
  if (!into) return more;
  return { classes: into.classes, iou: [...into.iou, ...more.iou], dice: [...into.dice, ...more.dice] };
}
