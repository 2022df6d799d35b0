// `torch-unet eval`: IoU and Dice per image and per class of a model's masks against the truth, with the means;
// as a table, --json or --csv.
import { loadFolder, standardise } from '../data/index.js';
import { UNet } from '../model/unet.js';
import { sliceBatch } from '../tensor.js';
import type { Precision } from '../runtime/backend.js';
import { createReporter, type OutputOptions } from './report.js';
import { appendScores, scoreMasks, summarise, type Scores } from './scores.js';

export interface EvalOptions extends OutputOptions {
  model: string;
  images: string;
  masks: string;
  size?: number;
  csv?: boolean;
  precision?: Precision;
}

const BATCH = 8;

const cell = (value: number | null) => (value === null ? '' : value.toFixed(4));

export async function evaluate(options: EvalOptions): Promise<void> {
  const report = createReporter(options);
  const model = await UNet.load(options.model);
  const { inChannels, classes } = model.config;
  const dataset = await loadFolder({ images: options.images, masks: options.masks, size: options.size, channels: inChannels as 1 | 3 | 4, classes });
  const images = standardise(dataset.images);
  let scores: Scores | undefined;
  const count = dataset.names.length;
  try {
    for (let start = 0; start < count; start += BATCH) {
      const end = Math.min(count, start + BATCH);
      const predicted = await model.predict(sliceBatch(images, start, end), { precision: options.precision });
      scores = appendScores(scores, await scoreMasks(predicted, sliceBatch(dataset.masks, start, end), classes));
    }
  } finally {
    model.dispose();
  }
  const all = scores as Scores;
  const summary = summarise(all);
  const perImage = dataset.names.map((name, n) => ({ name, iou: all.iou[n], dice: all.dice[n] }));
  if (options.json) {
    console.log(JSON.stringify({ type: 'evaluated', classes: all.classes, images: perImage, ...summary }));
    return;
  }
  const header = ['image', ...all.classes.flatMap((c) => [`iou_${c}`, `dice_${c}`])];
  const line = (name: string, iou: (number | null)[], dice: (number | null)[]) => [name, ...all.classes.flatMap((_, c) => [cell(iou[c]), cell(dice[c])])];
  const table = [header, ...perImage.map(({ name, iou, dice }) => line(name, iou, dice)), line('mean', summary.iouByClass, summary.diceByClass)];
  if (options.csv) {
    console.log(table.map((row) => row.join(',')).join('\n'));
    return;
  }
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const text = table.map((row) => row.map((value, column) => value.padEnd(widths[column])).join('  ')).join('\n');
  report.result('evaluated', {}, `${text}\n\n${count} images: mean IoU ${cell(summary.meanIoU)}, mean Dice ${cell(summary.meanDice)}`);
}
