// k-fold cross-validation. The caller trains each fold's model however it likes (fit, the CLI's trainer with its
// files); this splits the data (lib/data/folds.ts), predicts every held-out image with its fold's model, and
// scores the pooled predictions per image, per fold, and over the folds.
import { foldIndices, type FoldOptions } from '../data/folds.js';
import { subsetDataset, type Dataset } from '../data/dataset.js';
import { standardise } from '../data/preprocess.js';
import type { PredictOptions } from '../inference/predict.js';
import type { UNet } from '../model/unet.js';
import { mean } from '../stats/samples.js';
import { sliceBatch, tensor, type Tensor } from '../tensor.js';
import { SCORE_NAMES, scoreMasks, summarise, type ScoreName, type Scores } from './scores.js';

export interface CrossValidationOptions extends FoldOptions {
  /**
   * Trains fold `fold`'s model on `split.train` (`split.validation`, the held-out images, may be watched but
   * should not choose the model). Its Promise gives the model, which is disposed once it has predicted its fold.
   */
  train(fold: number, split: { train: Dataset; validation: Dataset }): Promise<UNet>;
  /** How the held-out images are predicted (tiles, flips, precision); always masks. */
  predict?: Omit<PredictOptions, 'output'>;
}

export interface FoldResult {
  fold: number;
  /** Names of the images trained on and held out. */
  train: string[];
  validation: string[];
  /** The held-out images' mean of each score (summarise's means). */
  mean: Record<ScoreName, number | null>;
}

export interface CrossValidation {
  folds: FoldResult[];
  /** Per score: the mean and the sample standard deviation (n - 1) of the folds' means. */
  summary: Record<ScoreName, { mean: number | null; sd: number | null }>;
  /** The fold that held out each image, in the data set's order. */
  foldOfImage: number[];
  /** Each image as its fold's model predicted it (class indices N x 1 x H x W, the data set's order). */
  predicted: Tensor<Uint8Array>;
  /** Every image's scores, in the data set's order. */
  scores: Scores;
}

const BATCH = 8;

async function predictMasks(model: UNet, images: Tensor<Float32Array>, options: CrossValidationOptions['predict']): Promise<Tensor<Uint8Array>> {
  const [count, , height, width] = images.shape;
  const out = new Uint8Array(count * height * width);
  for (let start = 0; start < count; start += BATCH) {
    const end = Math.min(count, start + BATCH);
    const masks = await model.predict(sliceBatch(images, start, end), { ...options, output: 'mask' });
    out.set(masks.data as Uint8Array, start * height * width);
  }
  return tensor(out, [count, 1, height, width]);
}

function meanAndSd(values: (number | null)[]): { mean: number | null; sd: number | null } {
  const present = values.filter((value): value is number => value !== null);
  if (present.length === 0) return { mean: null, sd: null };
  const average = mean(present);
  if (present.length < 2) return { mean: average, sd: null };
  return { mean: average, sd: Math.sqrt(present.reduce((sum, value) => sum + (value - average) ** 2, 0) / (present.length - 1)) };
}

/** Trains (through options.train) and validates one model per fold; see CrossValidation. */
export async function crossValidate(dataset: Dataset, options: CrossValidationOptions): Promise<CrossValidation> {
  if (typeof options?.train !== 'function') throw new TypeError('options.train: expected a function (fold, split) => Promise<UNet>');
  const count = dataset.names.length;
  const folds = foldIndices(count, { folds: options.folds, seed: options.seed, groups: options.groups });
  const [, , height, width] = dataset.masks.shape;
  const plane = height * width;
  const predicted = new Uint8Array(count * plane);
  const foldOfImage = new Array<number>(count);
  const tables = Object.fromEntries(SCORE_NAMES.map((name) => [name, new Array(count)])) as Scores['perImage'];
  let classes: number[] = [];
  const results: FoldResult[] = [];
  for (const [fold, indices] of folds.entries()) {
    const split = { train: subsetDataset(dataset, indices.train), validation: subsetDataset(dataset, indices.validation) };
    const model = await options.train(fold, split);
    let masks: Tensor<Uint8Array>;
    try {
      masks = await predictMasks(model, standardise(split.validation.images), options.predict);
    } finally {
      model.dispose();
    }
    const scores = await scoreMasks(masks, split.validation.masks, dataset.classes);
    classes = scores.classes;
    indices.validation.forEach((image, i) => {
      predicted.set(masks.data.subarray(i * plane, (i + 1) * plane), image * plane);
      foldOfImage[image] = fold;
      for (const name of SCORE_NAMES) tables[name][image] = scores.perImage[name][i];
    });
    results.push({ fold, train: split.train.names, validation: split.validation.names, mean: summarise(scores).mean });
  }
  const scores: Scores = { classes, perImage: tables };
  const summary = Object.fromEntries(SCORE_NAMES.map((name) => [name, meanAndSd(results.map((result) => result.mean[name]))])) as CrossValidation['summary'];
  return { folds: results, summary, foldOfImage, predicted: tensor(predicted, [count, 1, height, width]), scores };
}
