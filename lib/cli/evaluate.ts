// `torch-unet eval`: IoU, Dice, HD95 and the average surface distance per image and per class of a model's masks
// (or an ensemble's: several --model, or a folder of folds with the post-processing they chose) against the truth, with the means; as a table, --json or --csv; and boxplots of the scores per image beside the
// model (or where --plots says).
import { basename, dirname, extname, join } from 'node:path';

import { loadFolder, standardise } from '../data/index.js';
import { writeBoxplot } from '../pictures/boxplot.js';
import { sliceBatch } from '../tensor.js';
import type { Precision } from '../runtime/backend.js';
import { loadModels } from './models.js';
import { createReporter, formatTable, type OutputOptions } from './report.js';
import { appendScores, imageScores, SCORE_LABELS, SCORE_NAMES, scoreMasks, summarise, withInfinity, type ScoreName, type Scores } from '../evaluation/scores.js';

export interface EvalOptions extends OutputOptions {
  /** Model files, or folders of folds: several are an ensemble. */
  model: string[];
  images: string;
  masks: string;
  size?: number;
  csv?: boolean;
  precision?: Precision;
  /** Where the boxplots go: `<plots>.scores.svg` and `<plots>.distances.svg`; false for none. Default beside the model. */
  plots?: string | boolean;
}

const BATCH = 8;

/** Column names: iou_1, dice_1, hd95_1, assd_1, ... */
const COLUMNS: Record<ScoreName, string> = { iou: 'iou', dice: 'dice', hausdorff95: 'hd95', surfaceDistance: 'assd' };

const cell = (value: number | null) => (value === null ? '' : value === Infinity ? 'Infinity' : value.toFixed(4));


export async function evaluate(options: EvalOptions): Promise<void> {
  const report = createReporter(options);
  const { ensemble: model, finish } = await loadModels(options.model);
  const { inChannels, classes } = model.config;
  const dataset = await loadFolder({ images: options.images, masks: options.masks, size: options.size, channels: inChannels as 1 | 3 | 4, classes });
  const images = standardise(dataset.images);
  let scores: Scores | undefined;
  const count = dataset.names.length;
  try {
    for (let start = 0; start < count; start += BATCH) {
      const end = Math.min(count, start + BATCH);
      const predicted = await finish(await model.predict(sliceBatch(images, start, end), { precision: options.precision }));
      scores = appendScores(scores, await scoreMasks(predicted, sliceBatch(dataset.masks, start, end), classes));
    }
  } finally {
    model.dispose();
  }
  const all = scores as Scores;
  const summary = summarise(all);
  const plots = options.plots === false ? undefined : await writePlots(all, typeof options.plots === 'string' ? options.plots : stemOf(options.model[0]));
  const perImage = dataset.names.map((name, n) => ({ name, ...imageScores(all, n) }));
  if (options.json) {
    console.log(JSON.stringify({ type: 'evaluated', classes: all.classes, images: perImage, ...summary, plots }, withInfinity));
    return;
  }
  const header = ['image', ...all.classes.flatMap((c) => SCORE_NAMES.map((score) => `${COLUMNS[score]}_${c}`))];
  const line = (name: string, values: Record<ScoreName, (number | null)[]>) => [name, ...all.classes.flatMap((_, c) => SCORE_NAMES.map((score) => cell(values[score][c])))];
  const table = [
    header,
    ...perImage.map(({ name, ...values }) => line(name, values)),
    line('mean', summary.byClass),
  ];
  if (options.csv) {
    console.log(table.map((row) => row.join(',')).join('\n'));
    return;
  }
  const text = formatTable(table);
  const means = SCORE_NAMES.map((score) => `mean ${SCORE_LABELS[score]} ${cell(summary.mean[score])}`).join(', ');
  const infinite = summary.infinite.hausdorff95 ? `; ${summary.infinite.hausdorff95} image-class pairs with the class in one mask only (infinite distances) left out of the means` : '';
  const pictures = plots ? `\nboxplots: ${plots.scores}, ${plots.distances}` : '';
  report.result('evaluated', {}, `${text}\n\n${count} images: ${means} (distances in pixels)${infinite}${pictures}`);
}

/** Beside the model file (model.pt -> model), or inside a folder of folds (folds/ -> folds/eval). */
function stemOf(model: string): string {
  return extname(model) ? join(dirname(model), basename(model, extname(model))) : join(model, 'eval');
}

/** One box per score and class over the images, overlaps and distances apart (their scales differ). */
async function writePlots(scores: Scores, stem: string): Promise<{ scores: string; distances: string }> {
  const groups = (names: ScoreName[]) =>
    names.flatMap((score) =>
      scores.classes.map((classNumber, c) => ({
        label: scores.classes.length > 1 ? `${SCORE_LABELS[score]} ${classNumber}` : SCORE_LABELS[score],
        // Infinity (a class on one side only) cannot be drawn: the table and JSON keep it
        values: scores.perImage[score].map((row) => row[c]).filter((value): value is number => value !== null && Number.isFinite(value)),
      })),
    );
  const paths = { scores: `${stem}.scores.svg`, distances: `${stem}.distances.svg` };
  await writeBoxplot(paths.scores, groups(['dice', 'iou']), { title: 'Scores per image', yLabel: 'score' });
  await writeBoxplot(paths.distances, groups(['hausdorff95', 'surfaceDistance']), { title: 'Boundary distances per image', yLabel: 'pixels' });
  return paths;
}
