// `torch-unet train`: a U-Net from folders of images and masks. Writes the model, the best epoch's checkpoint
// (which --resume continues from), the training curves and a metrics JSON. Ctrl-C stops after the current step
// and keeps the best checkpoint; the earlier outputs stay as they were. With --nproc-per-node it launches that many
// workers (lib/distributed/launcher.ts); a process whose environment has WORLD_SIZE > 1 (from our launcher or from
// torchrun) is one rank of a distributed run, and only rank 0 writes and reports.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

import { loadFolder, splitDataset, standardise } from '../data/index.js';
import { launch, watchLauncher } from '../distributed/launcher.js';
import { ProcessGroup } from '../distributed/process_group.js';
import { makeFolder, writeFileAtomic } from '../files.js';
import { UNet } from '../model/unet.js';
import { writeCurves } from '../pictures/index.js';
import type { FitOptions } from '../training/fit.js';
import type { History } from '../training/history.js';
import type { Precision } from '../runtime/backend.js';
import { outputPaths } from './paths.js';
import { createReporter, type OutputOptions } from './report.js';

export interface TrainOptions extends OutputOptions {
  images: string;
  masks: string;
  valSplit: number;
  size: number;
  crop?: boolean;
  channels: 1 | 3 | 4;
  classes: number;
  epochs: number;
  batch: number;
  lr: number;
  augment: 'none' | 'flips' | 'default';
  baseFilters: number;
  depth: number;
  seed: number;
  out: string;
  resume?: boolean;
  precision?: Precision;
  nprocPerNode?: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  timeout?: number;
}

/** Set in the workers the launcher starts, so that they train instead of launching again. */
const LAUNCHED = 'TORCH_UNET_LAUNCHED';

/** Runs this same command in --nproc-per-node workers of this node; the exit code is the first failure's. */
async function launchWorkers(options: TrainOptions): Promise<void> {
  const result = await launch({
    nprocPerNode: options.nprocPerNode!,
    nnodes: options.nnodes,
    nodeRank: options.nodeRank,
    masterAddr: options.masterAddr,
    masterPort: options.masterPort,
    command: [process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)],
    env: { [LAUNCHED]: '1' },
  });
  if (result.failed && !result.interrupted) {
    const last = result.failed.stderr.trim().split('\n').at(-1) ?? '';
    console.error(`torch-unet: worker ${result.failed.rank} failed (exit code ${result.failed.exitCode})${last ? `: ${last}` : ''}`);
  }
  process.exitCode = result.exitCode;
}

const AUGMENT: Record<TrainOptions['augment'], FitOptions['augment']> = {
  none: false,
  // Flips and quarter turns: label-preserving for most microscopy and aerial images.
  flips: { horizontalFlip: 0.5, verticalFlip: 0.5, rotate90: 0.5 },
  default: true,
};

export async function train(options: TrainOptions): Promise<void> {
  if (options.nprocPerNode !== undefined && process.env[LAUNCHED] === undefined) return launchWorkers(options);
  if (process.env[LAUNCHED] !== undefined) watchLauncher();
  // One rank of a distributed run: the others train beside it; rank 0 alone writes the outputs and reports.
  const group = Number(process.env.WORLD_SIZE ?? 1) > 1 ? await ProcessGroup.init({ timeout: options.timeout }) : undefined;
  const lead = (group?.rank ?? 0) === 0;
  const report = createReporter(lead ? options : { ...options, quiet: true, json: false });
  const paths = outputPaths(options.out);
  if (options.resume && !existsSync(paths.best)) {
    throw new Error(`--resume: no checkpoint at ${paths.best} to continue from (train without --resume first)`);
  }
  // Before the data loads, so that an output folder that cannot be made fails at once.
  await makeFolder(dirname(paths.model));
  report.message(`loading ${options.images} and ${options.masks}`);
  const dataset = await loadFolder({
    images: options.images,
    masks: options.masks,
    size: options.size,
    fit: options.crop ? 'crop' : 'resize',
    channels: options.channels,
    classes: options.classes,
    seed: options.seed,
  });
  const split = options.valSplit > 0 ? splitDataset(dataset, { validation: options.valSplit, seed: options.seed }) : { train: dataset, validation: undefined };
  const trainImages = split.train.names.length;
  report.message(`${dataset.names.length} pairs: ${trainImages} to train, ${split.validation?.names.length ?? 0} to validate`);

  const model = options.resume
    ? await UNet.load(paths.best)
    : await UNet.create({ inChannels: options.channels, classes: options.classes, baseFilters: options.baseFilters, depth: options.depth, seed: options.seed });
  const stepsPerEpoch = Math.ceil(Math.ceil(trainImages / (group?.worldSize ?? 1)) / options.batch);
  const firstEpoch = options.resume ? model.history.length + 1 : 1;
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
        resumeFrom: options.resume ? paths.best : undefined,
        onBatchEnd: progress.onBatchEnd,
        onEpochEnd: progress.onEpochEnd,
        signal: controller.signal,
      },
    );
  } catch (error) {
    progress.stop();
    if ((error as Error).name !== 'AbortError') throw error;
    const done = (error as Error & { history: History }).history.length;
    report.message(`stopped after ${done} epoch(s); the best checkpoint is ${paths.best}: continue with --resume`);
    process.exitCode = 130;
    return;
  } finally {
    process.off('SIGINT', interrupt);
  }
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  if (!lead) return model.dispose();

  await model.save(paths.model);
  await writeCurves(paths.curves, history);
  const last = history.at(-1);
  const best = split.validation ? history.reduce((a, b) => ((b.valDice ?? -1) > (a.valDice ?? -1) ? b : a)) : undefined;
  const metrics = {
    images: options.images,
    masks: options.masks,
    pairs: { train: trainImages, validation: split.validation?.names.length ?? 0 },
    model: model.config,
    options: { size: options.size, crop: options.crop ?? false, epochs: options.epochs, batch: options.batch, lr: options.lr, augment: options.augment, seed: options.seed, precision: options.precision },
    processes: group?.worldSize ?? 1,
    seconds,
    final: last,
    best,
    history,
    files: paths,
  };
  await writeFileAtomic(paths.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  model.dispose();
  report.result(
    'trained',
    { seconds, final: last, best, files: paths },
    [
      `trained ${history.length} epoch${history.length === 1 ? '' : 's'} in ${seconds.toFixed(0)} s: loss ${last?.loss.toFixed(4)}` +
        (best ? `, best val Dice ${best.valDice?.toFixed(4)} (IoU ${best.valIoU?.toFixed(4)}) at epoch ${best.epoch}` : ''),
      `model       ${paths.model}`,
      `checkpoint  ${paths.best}`,
      `curves      ${paths.curves}`,
      `metrics     ${paths.metrics}`,
    ].join('\n'),
  );
}
