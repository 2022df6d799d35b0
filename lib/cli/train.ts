// `torch-unet train`: a U-Net from folders of images and masks. Writes the model, the best epoch's checkpoint
// (which --resume continues from), the training curves and a metrics JSON. Ctrl-C stops after the current step
// and keeps the best checkpoint; the earlier outputs stay as they were. With --nproc-per-node it launches that many
// workers (lib/distributed/launcher.ts); a process whose environment has WORLD_SIZE > 1 (from our launcher or from
// torchrun) is one rank of a distributed run, and only rank 0 writes and reports. With --folds, one model per fold
// (lib/cli/train_folds.ts).
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

import { splitDataset } from '../data/index.js';
import { launch, watchLauncher } from '../distributed/launcher.js';
import { ProcessGroup } from '../distributed/process_group.js';
import { makeFolder } from '../files.js';
import type { Precision } from '../runtime/backend.js';
import { outputPaths } from './paths.js';
import { createReporter, type OutputOptions } from './report.js';
import { trainFolds } from './train_folds.js';
import { loadTrainingFolder, trainModel } from './train_model.js';

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
  /** k-fold cross-validation: one model per fold in the folder --out (lib/cli/train_folds.ts). */
  folds?: number;
  /** A CSV of image,group: no group in two folds. */
  groups?: string;
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


export async function train(options: TrainOptions): Promise<void> {
  if (options.folds !== undefined) return trainFolds(options);
  if (options.groups !== undefined) throw new Error('--groups: only with --folds');
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
  const dataset = await loadTrainingFolder(options, report);
  const split = options.valSplit > 0 ? splitDataset(dataset, { validation: options.valSplit, seed: options.seed }) : { train: dataset, validation: undefined };
  report.message(`${dataset.names.length} pairs: ${split.train.names.length} to train, ${split.validation?.names.length ?? 0} to validate`);
  const trained = await trainModel(options, split, paths, report, group);
  if (!trained || !lead) return;
  const { history, best, seconds } = trained;
  const last = history.at(-1);
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
