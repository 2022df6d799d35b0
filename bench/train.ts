// Training throughput of torch-unet (model.trainStep: forward, Dice + BCE, backward, Adam) against the same
// network, loss and optimiser in PyTorch eager on the same libtorch, threads and weights.
// Usage: npx tsx bench/train.ts [--quick] [--json PATH]
// The two sides take turns in rounds, so drifts in the machine's speed (it is shared) hit both alike.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { UNet, backendInfo, type UNetConfig } from '../lib/index.js';
import { environment, exportState, PythonPeer, randomImages, timingStats, type ImageBatch, type Stats } from './peer.js';

const TORCH_SCRIPT = join(import.meta.dirname, 'train_torch.py');
const BATCH = 8;
const LEARNING_RATE = 1e-3;
const FIRST_LOSS_TOLERANCE = 1e-4;
const MODEL_OPTIONS = { baseFilters: 16, depth: 4, inChannels: 1, classes: 1, device: 'cpu', seed: 0 } as const;

interface Plan {
  size: number;
  warmup: number;
  rounds: number;
  /** Timed steps of each side a round. */
  runs: number;
}

interface Row {
  size: number;
  steps: number;
  ours: Stats;
  pytorchEager: Stats;
  /** PyTorch-eager median / ours median: above 1 means ours is faster. */
  eagerOverOurs: number;
  firstLossDifference: number;
  secondLossDifference: number;
}

const FULL_PLANS: Plan[] = [
  { size: 128, warmup: 3, rounds: 5, runs: 3 },
  { size: 256, warmup: 2, rounds: 4, runs: 2 },
];
const QUICK_PLANS: Plan[] = [
  { size: 128, warmup: 1, rounds: 2, runs: 2 },
  { size: 256, warmup: 1, rounds: 2, runs: 1 },
];

/** Random 0/1 masks with about a third foreground, so both Dice and BCE terms are non-trivial. */
function randomMasks(shape: number[]): { data: Uint8Array; shape: number[] } {
  const count = shape.reduce((product, size) => product * size, 1);
  return { data: Uint8Array.from({ length: count }, () => (Math.random() < 0.33 ? 1 : 0)), shape };
}

/** The PyTorch-eager side of one image size: its own model (our exported weights), batch and Adam. */
class EagerTrainer {
  constructor(private readonly peer: PythonPeer) {}

  setup(directory: string, config: UNetConfig, shape: number[]) {
    const request = { op: 'setup', dir: directory, config, threads: backendInfo().threads, shape, lr: LEARNING_RATE };
    return this.peer.ask<{ torchVersion: string; threads: number; losses: number[] }>(request);
  }

  async time(warmup: number, runs: number): Promise<number[]> {
    return (await this.peer.ask<{ ms: number[] }>({ op: 'time', warmup, runs })).ms;
  }
}

async function timeOurs(model: UNet, images: ImageBatch, masks: { data: Uint8Array; shape: number[] }, warmup: number, runs: number): Promise<number[]> {
  for (let run = 0; run < warmup; run++) await model.trainStep(images, masks, { lr: LEARNING_RATE });
  const milliseconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await model.trainStep(images, masks, { lr: LEARNING_RATE });
    milliseconds.push(performance.now() - start);
  }
  return milliseconds;
}

/** Both sides start from the same weights and batch; their first losses must agree, or the timings compare different work. */
function checkSameStart(ours: number[], theirs: number[]): { first: number; second: number } {
  const first = Math.abs(ours[0] - theirs[0]);
  if (!(first <= FIRST_LOSS_TOLERANCE)) {
    throw new Error(`first-step losses disagree: ours ${ours[0]}, PyTorch ${theirs[0]} (|difference| ${first} > ${FIRST_LOSS_TOLERANCE})`);
  }
  // After one Adam step rounding differences are amplified by Adam's normalisation: report the second, do not fail.
  return { first, second: Math.abs(ours[1] - theirs[1]) };
}

async function benchSize(plan: Plan, eager: EagerTrainer, directory: string): Promise<Row & { torchVersion: string }> {
  const model = await UNet.create(MODEL_OPTIONS);
  const shape = [BATCH, model.config.inChannels, plan.size, plan.size];
  const images = randomImages(shape);
  const masks = randomMasks(shape);
  exportState(await model.stateDict(), directory);
  writeFileSync(join(directory, 'images.bin'), images.data);
  writeFileSync(join(directory, 'masks.bin'), masks.data);

  const peer = await eager.setup(directory, model.config, shape);
  if (peer.threads !== backendInfo().threads) throw new Error(`PyTorch ran with ${peer.threads} threads, ours with ${backendInfo().threads}`);
  const ourLosses = [(await model.trainStep(images, masks, { lr: LEARNING_RATE })).loss, (await model.trainStep(images, masks, { lr: LEARNING_RATE })).loss];
  const differences = checkSameStart(ourLosses, peer.losses);

  // Turns: ours, then PyTorch, a round at a time; never both at once, so neither competes for the cores.
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    const warmup = round === 0 ? plan.warmup : 0;
    ours.push(...(await timeOurs(model, images, masks, warmup, plan.runs)));
    theirs.push(...(await eager.time(warmup, plan.runs)));
  }
  model.dispose();
  const oursStats = timingStats(ours, BATCH);
  const eagerStats = timingStats(theirs, BATCH);
  return {
    size: plan.size,
    steps: ours.length,
    ours: oursStats,
    pytorchEager: eagerStats,
    eagerOverOurs: eagerStats.medianMs / oursStats.medianMs,
    firstLossDifference: differences.first,
    secondLossDifference: differences.second,
    torchVersion: peer.torchVersion,
  };
}

function printTable(rows: Row[]): void {
  const format = (value: number) => value.toFixed(1);
  console.table(
    rows.map(({ size, steps, ours, pytorchEager, eagerOverOurs, firstLossDifference, secondLossDifference }) => ({
      size: `${size}x${size}`,
      steps,
      'ours median ms': format(ours.medianMs),
      'ours p90 ms': format(ours.p90Ms),
      'ours img/s': format(ours.imagesPerSecond),
      'eager median ms': format(pytorchEager.medianMs),
      'eager p90 ms': format(pytorchEager.p90Ms),
      'eager img/s': format(pytorchEager.imagesPerSecond),
      'eager/ours': eagerOverOurs.toFixed(2),
      'step-1 loss diff': firstLossDifference.toExponential(1),
      'step-2 loss diff': secondLossDifference.toExponential(1),
    })),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
  const plans = values.quick ? QUICK_PLANS : FULL_PLANS;
  const directory = mkdtempSync(join(tmpdir(), 'torch-unet-train-bench-'));
  const peer = new PythonPeer(TORCH_SCRIPT);
  try {
    const eager = new EagerTrainer(peer);
    const rows: (Row & { torchVersion: string })[] = [];
    for (const plan of plans) rows.push(await benchSize(plan, eager, directory));
    const env = environment(rows[0].torchVersion);
    console.log('Environment:', env);
    const { baseFilters, depth } = MODEL_OPTIONS;
    console.log(`Model: U-Net baseFilters ${baseFilters}, depth ${depth}, 1 -> 1; batch ${BATCH}; Dice + BCE; Adam lr ${LEARNING_RATE}; train mode`);
    printTable(rows);
    if (values.json) writeFileSync(values.json, JSON.stringify({ environment: env, rows }, null, 2));
  } finally {
    peer.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
