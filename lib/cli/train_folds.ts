// `torch-unet train --folds K`: k-fold cross-validation. One model per fold in the folder --out (fold-<k>.pt with
// its checkpoint, curves and metrics, as train writes them), each predicting the fold it did not see; the scores
// per image, per fold and over the folds go to <out>/folds.json (which compare reads as it reads eval's output),
// with the post-processing nnU-Net's rule chooses on the pooled held-out predictions (lib/evaluation/
// postprocess_choice.ts), which predict and eval apply when given the folder.
// --resume keeps the folds already trained and continues the one that was stopped.
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

import { readGroups } from '../data/folds.js';
import { crossValidate } from '../evaluation/cross_validation.js';
import { choosePostprocessing, type PostprocessStep } from '../evaluation/postprocess_choice.js';
import { imageScores, SCORE_LABELS, SCORE_NAMES, withInfinity } from '../evaluation/scores.js';
import { makeFolder, writeFileAtomic } from '../files.js';
import { UNet } from '../model/unet.js';
import { FOLDS_FILE, outputPaths } from './paths.js';
import { createReporter, formatTable } from './report.js';
import type { TrainOptions } from './train.js';
import { loadTrainingFolder, trainModel } from './train_model.js';

class Interrupted extends Error {}

const cell = (value: number | null) => (value === null ? '-' : value.toFixed(4));

export async function trainFolds(options: TrainOptions): Promise<void> {
  if (options.nprocPerNode !== undefined || Number(process.env.WORLD_SIZE ?? 1) > 1) {
    throw new Error('--folds: trains in one process (not with --nproc-per-node or torchrun yet)');
  }
  if (extname(options.out).toLowerCase() === '.pt') {
    throw new Error(`--folds: --out names the folder the folds' models go in, got the file name ${options.out}`);
  }
  const report = createReporter(options);
  await makeFolder(options.out);
  const dataset = await loadTrainingFolder(options, report);
  const groups = options.groups === undefined ? undefined : await readGroups(options.groups, dataset.names);
  const models: string[] = [];
  const started = performance.now();
  let result;
  try {
    result = await crossValidate(dataset, {
      folds: options.folds!,
      seed: options.seed,
      groups,
      train: async (fold, split) => {
        const paths = outputPaths(join(options.out, `fold-${fold}.pt`));
        models.push(paths.model);
        report.message(`fold ${fold + 1} of ${options.folds}: ${split.train.names.length} images to train, ${split.validation.names.length} held out`);
        if (options.resume && existsSync(paths.model) && existsSync(paths.metrics)) {
          report.message(`fold ${fold + 1}: ${paths.model} is trained: kept`);
        } else if (!(await trainModel(options, split, paths, report))) {
          throw new Interrupted();
        }
        return UNet.load(paths.model);
      },
    });
  } catch (error) {
    if (error instanceof Interrupted) return; // trainModel said how to go on and set the exit code
    throw error;
  }
  const chosen = await choosePostprocessing(result.predicted, dataset.masks, dataset.classes);
  const seconds = (performance.now() - started) / 1000;
  const summaryFile = join(options.out, FOLDS_FILE);
  const folds = {
    type: 'cross-validated',
    folds: options.folds,
    seed: options.seed,
    groups: options.groups ?? null,
    classes: result.scores.classes,
    models: models.map((model) => basename(model)),
    perFold: result.folds.map(({ fold, train, validation, mean }) => ({ fold, model: basename(models[fold]), train: train.length, validation, mean })),
    summary: result.summary,
    images: dataset.names.map((name, n) => ({ name, fold: result.foldOfImage[n], ...imageScores(result.scores, n) })),
    // applied in order by predict and eval given this folder
    postprocess: chosen.postprocess,
    postprocessSteps: chosen.steps,
    seconds,
  };
  await writeFileAtomic(summaryFile, `${JSON.stringify(folds, withInfinity, 2)}\n`);
  const header = ['fold', 'held out', ...SCORE_NAMES.map((score) => SCORE_LABELS[score])];
  const rows = [
    header,
    ...result.folds.map(({ fold, validation, mean }) => [String(fold), String(validation.length), ...SCORE_NAMES.map((score) => cell(mean[score]))]),
    ['mean', String(dataset.names.length), ...SCORE_NAMES.map((score) => `${cell(result.summary[score].mean)} ± ${cell(result.summary[score].sd)}`)],
  ];
  const table = formatTable(rows);
  const text = [
    table,
    '',
    `${options.folds} folds in ${seconds.toFixed(0)} s (mean ± standard deviation over the folds; distances in pixels)`,
    `post-processing, chosen on the pooled held-out predictions: ${chosen.steps.map(describeStep).join('; ')}`,
    `models   ${options.out}/fold-*.pt`,
    `summary  ${summaryFile}`,
  ].join('\n');
  report.result('cross-validated', { seconds, summary: result.summary, postprocess: chosen.postprocess, files: { folds: summaryFile, models } }, text);
}

function describeStep(step: PostprocessStep): string {
  const what = step.class === null ? 'largest foreground component' : `largest component of class ${step.class}`;
  const dice = step.class === null ? 'mean Dice' : 'Dice';
  return `${what} ${step.kept ? 'kept' : 'not kept'} (${dice} ${step.before.toFixed(4)} -> ${step.after.toFixed(4)})`;
}
