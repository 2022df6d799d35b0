// One model trained from the command's options on a given split, with its outputs written beside --out: what
// `torch-unet train` does once, and once per fold with --folds.
import { existsSync } from 'node:fs';

import { loadFolder, standardise, type Dataset } from '../data/index.js';
import type { ProcessGroup } from '../distributed/process_group.js';
import { writeFileAtomic } from '../files.js';
import { UNet } from '../model/unet.js';
import { writeCurves } from '../pictures/index.js';
import type { FitOptions } from '../training/fit.js';
import type { History } from '../training/history.js';
import type { OutputPaths } from './paths.js';
import type { Reporter } from './report.js';
import type { TrainOptions } from './train.js';

const AUGMENT: Record<TrainOptions['augment'], FitOptions['augment']> = {
  none: false,
  // Flips and quarter turns: label-preserving for most microscopy and aerial images.
  flips: { horizontalFlip: 0.5, verticalFlip: 0.5, rotate90: 0.5 },
  default: true,
};

/** The folders as --size, --crop, --channels, --classes and --seed say. */
export async function loadTrainingFolder(options: TrainOptions, report: Reporter): Promise<Dataset> {
  report.message(`loading ${options.images} and ${options.masks}`);
  return loadFolder({
    images: options.images,
    masks: options.masks,
    size: options.size,
    fit: options.crop ? 'crop' : 'resize',
    channels: options.channels,
    classes: options.classes,
    seed: options.seed,
  });
}

export interface TrainedModel {
  history: History;
  /** The epoch of the best validation Dice, when there was validation. */
  best?: History[number];
  seconds: number;
}

/**
 * Trains one model on `split` and writes it, its best checkpoint, curves and metrics to `paths` (rank 0 only);
 * undefined when Ctrl-C stopped it (the best checkpoint stays, and the exit code is 130).
 */
export async function trainModel(
  options: TrainOptions,
  split: { train: Dataset; validation?: Dataset },
  paths: OutputPaths,
  report: Reporter,
  group?: ProcessGroup,
): Promise<TrainedModel | undefined> {
  const lead = (group?.rank ?? 0) === 0;
  const trainImages = split.train.names.length;
  const resume = options.resume && existsSync(paths.best);
  const model = resume
    ? await UNet.load(paths.best)
    : await UNet.create({ inChannels: options.channels, classes: options.classes, baseFilters: options.baseFilters, depth: options.depth, seed: options.seed });
  const stepsPerEpoch = Math.ceil(Math.ceil(trainImages / (group?.worldSize ?? 1)) / options.batch);
  const firstEpoch = resume ? model.history.length + 1 : 1;
  const progress = report.training(options.epochs, stepsPerEpoch, firstEpoch);

  const controller = new AbortController();
  const interrupt = () => {
    // A second Ctrl-C leaves at once.
    if (controller.signal.aborted) process.exit(130);
    report.message('stopping after the current step (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  const started = performance.now();
  let history: History;
  try {
    history = await model.fit(
      { images: standardise(split.train.images), masks: split.train.masks },
      {
        epochs: options.epochs,
        batchSize: options.batch,
        lr: options.lr,
        schedule: 'cosine',
        augment: AUGMENT[options.augment],
        seed: options.seed,
        precision: options.precision,
        processGroup: group,
        validation: split.validation && { images: standardise(split.validation.images), masks: split.validation.masks },
        checkpoint: { path: paths.best, monitor: split.validation ? 'valDice' : 'loss' },
        resumeFrom: resume ? paths.best : undefined,
        onBatchEnd: progress.onBatchEnd,
        onEpochEnd: progress.onEpochEnd,
        signal: controller.signal,
      },
    );
  } catch (error) {
    progress.stop();
    model.dispose();
    if ((error as Error).name !== 'AbortError') throw error;
    const done = (error as Error & { history: History }).history.length;
    report.message(`stopped after ${done} epoch(s); the best checkpoint is ${paths.best}: continue with --resume`);
    process.exitCode = 130;
    return undefined;
  } finally {
    process.off('SIGINT', interrupt);
  }
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  if (!lead) {
    model.dispose();
    return { history, seconds };
  }

  await model.save(paths.model);
  await writeCurves(paths.curves, history);
  const best = split.validation ? history.reduce((a, b) => ((b.valDice ?? -1) > (a.valDice ?? -1) ? b : a)) : undefined;
  const metrics = {
    images: options.images,
    masks: options.masks,
    pairs: { train: trainImages, validation: split.validation?.names.length ?? 0 },
    model: model.config,
    options: { size: options.size, crop: options.crop ?? false, epochs: options.epochs, batch: options.batch, lr: options.lr, augment: options.augment, seed: options.seed, precision: options.precision },
    processes: group?.worldSize ?? 1,
    seconds,
    final: history.at(-1),
    best,
    history,
    files: paths,
  };
  await writeFileAtomic(paths.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  model.dispose();
  return { history, best, seconds };
}
