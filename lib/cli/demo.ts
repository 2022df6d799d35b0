// `torch-unet demo`: the first thing to run. Trains a multi-class U-Net on synthetic shapes (background, circle,
// square, triangle) on the CPU, then writes a panel of predictions and the training curves, and prints the test
// IoU and Dice a class.
import { join } from 'node:path';

import { shapes, splitDataset, standardise } from '../data/index.js';
import { UNet } from '../model/unet.js';
import { writeCurves, writePanel } from '../pictures/index.js';
import { sliceBatch } from '../tensor.js';
import type { Precision } from '../runtime/backend.js';
import { createReporter, type OutputOptions } from './report.js';
import { scoreMasks, summarise } from '../evaluation/scores.js';

export interface DemoOptions extends OutputOptions {
  out: string;
  epochs: number;
  images: number;
  seed: number;
  precision?: Precision;
}

export const DEMO_DEFAULTS = { out: 'demo-out', epochs: 10, images: 480, seed: 0 };
const SIZE = 64;
const CLASS_NAMES = ['background', 'circle', 'square', 'triangle'];
const PANEL_ROWS = 6;

export async function demo(options: DemoOptions): Promise<void> {
  const report = createReporter(options);
  const started = performance.now();
  const data = shapes({ count: options.images, size: SIZE, classes: CLASS_NAMES.length, seed: options.seed });
  const { train, validation: test } = splitDataset(data, { validation: 0.2, seed: options.seed });
  report.message(`shapes: ${train.names.length} training and ${test.names.length} test images of ${SIZE}x${SIZE}, ${CLASS_NAMES.length} classes`);

  const model = await UNet.create({ inChannels: data.channels, classes: CLASS_NAMES.length, baseFilters: 16, depth: 3, seed: options.seed });
  const batchSize = 16;
  const progress = report.training(options.epochs, Math.ceil(train.names.length / batchSize));
  const testImages = standardise(test.images);
  const history = await model
    .fit(
      { images: standardise(train.images), masks: train.masks },
      {
        epochs: options.epochs,
        batchSize,
        lr: 3e-3,
        schedule: 'cosine',
        seed: options.seed,
        precision: options.precision,
        // The test images are only watched here, never chosen from: no checkpoint, no early stopping.
        validation: { images: testImages, masks: test.masks },
        onBatchEnd: progress.onBatchEnd,
        onEpochEnd: progress.onEpochEnd,
      },
    )
    .finally(() => progress.stop());

  const predicted = await model.predict(testImages, { precision: options.precision });
  const summary = summarise(await scoreMasks(predicted, test.masks, CLASS_NAMES.length));
  const panel = join(options.out, 'panel.png');
  const curves = join(options.out, 'curves.svg');
  const modelPath = join(options.out, 'model.pt');
  const rows = Array.from({ length: Math.min(PANEL_ROWS, test.names.length) }, (_, i) => ({
    image: sliceBatch(test.images, i, i + 1),
    truth: sliceBatch(test.masks, i, i + 1),
    prediction: sliceBatch(predicted, i, i + 1),
  }));
  await writePanel(panel, rows, { classes: CLASS_NAMES.length });
  await writeCurves(curves, history);
  await model.save(modelPath);
  model.dispose();
  const seconds = (performance.now() - started) / 1000;

  const perClass = CLASS_NAMES.slice(1).map((name, c) => ({ class: name, iou: summary.byClass.iou[c], dice: summary.byClass.dice[c], hausdorff95: summary.byClass.hausdorff95[c] }));
  const table = perClass.map((row) => `  ${row.class.padEnd(9)} IoU ${row.iou?.toFixed(3) ?? '-'}  Dice ${row.dice?.toFixed(3) ?? '-'}  HD95 ${row.hausdorff95?.toFixed(2) ?? '-'} px`).join('\n');
  report.result(
    'demo',
    { seconds, classes: perClass, meanIoU: summary.mean.iou, meanDice: summary.mean.dice, meanHausdorff95: summary.mean.hausdorff95, files: { panel, curves, model: modelPath } },
    [
      `test set (${test.names.length} images), after ${history.length} epochs in ${seconds.toFixed(0)} s:`,
      table,
      `  mean      IoU ${summary.mean.iou?.toFixed(3)}  Dice ${summary.mean.dice?.toFixed(3)}  HD95 ${summary.mean.hausdorff95?.toFixed(2)} px`,
      `pictures: ${panel} (input | truth | prediction), ${curves}; model: ${modelPath}`,
    ].join('\n'),
  );
}
