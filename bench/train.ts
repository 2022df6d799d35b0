// Training throughput of torch-unet (model.trainStep: forward, Dice + BCE, backward, Adam), in fp32 and in bf16
// where the CPU has native bf16, against the same network, loss and optimiser in PyTorch eager, in fp32 and under
// torch.cpu.amp.autocast(bfloat16), on the same libtorch, threads and weights.
// Usage: npx tsx bench/train.ts [--quick] [--json PATH]
// The sides take turns in blocks of runs, so drifts in the machine's speed (it is shared) hit all alike.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { UNet, backendInfo, type UNetConfig } from '../lib/index.js';
import { environment, exportState, PythonPeer, randomImages, timingStats, type Stats } from './peer.js';

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

type Side = 'ours' | 'oursBf16' | 'pytorchEager' | 'pytorchAutocast';
const SIDE_NAMES: Record<Side, string> = {
  ours: 'torch-unet fp32',
  oursBf16: 'torch-unet bf16',
  pytorchEager: 'PyTorch eager fp32',
  pytorchAutocast: 'PyTorch eager autocast bf16',
};
/** The bf16 sides' first losses: the two run different roundings of the same network (see checkSameStart). */
const BF16_FIRST_LOSS_RELATIVE_TOLERANCE = 1e-3;

interface Row {
  size: number;
  steps: number;
  stats: Partial<Record<Side, Stats>>;
  /** Step-1 and step-2 loss differences of each pair that starts alike: fp32 (ours, eager), bf16 (ours, autocast). */
  lossDifferences: { fp32: [number, number]; bf16?: [number, number] };
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

/** A PyTorch-eager side of one image size: its own model (our exported weights), batch and Adam, by name. */
class EagerTrainer {
  constructor(
    private readonly peer: PythonPeer,
    private readonly name: Side,
  ) {}

  setup(directory: string, config: UNetConfig, shape: number[]) {
    const autocast = this.name === 'pytorchAutocast';
    const request = { op: 'setup', name: this.name, autocast, dir: directory, config, threads: backendInfo().threads, shape, lr: LEARNING_RATE };
    return this.peer.ask<{ torchVersion: string; threads: number; losses: number[] }>(request);
  }

  async time(warmup: number, runs: number): Promise<number[]> {
    return (await this.peer.ask<{ ms: number[] }>({ op: 'time', name: this.name, warmup, runs })).ms;
  }
}

async function timeOurs(step: () => Promise<unknown>, warmup: number, runs: number): Promise<number[]> {
  for (let run = 0; run < warmup; run++) await step();
  const milliseconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await step();
    milliseconds.push(performance.now() - start);
  }
  return milliseconds;
}

/**
 * Two sides start from the same weights and batch; their first losses must agree (within `tolerance`, relative),
 * or the timings compare different work. In bf16 the two round differently (our transposed upsampling runs as a
 * bf16 1x1 convolution, PyTorch's in fp32), so the bound is wider.
 */
function checkSameStart(label: string, ours: number[], theirs: number[], tolerance: number): [number, number] {
  const first = Math.abs(ours[0] - theirs[0]);
  if (!(first <= tolerance * Math.abs(theirs[0]))) {
    throw new Error(`${label}: first-step losses disagree: ours ${ours[0]}, PyTorch ${theirs[0]} (|difference| ${first})`);
  }
  // After one Adam step rounding differences are amplified by Adam's normalisation: report the second, do not fail.
  return [first, Math.abs(ours[1] - theirs[1])];
}

async function benchSize(plan: Plan, peer: PythonPeer, directory: string): Promise<Row & { torchVersion: string }> {
  const bf16 = backendInfo().cpuBf16;
  const sides: Side[] = bf16 ? ['ours', 'oursBf16', 'pytorchEager', 'pytorchAutocast'] : ['ours', 'pytorchEager'];
  const ours = await UNet.create(MODEL_OPTIONS);
  const oursBf16 = await UNet.create(MODEL_OPTIONS); // the same seed: the same weights
  const shape = [BATCH, ours.config.inChannels, plan.size, plan.size];
  const images = randomImages(shape);
  const masks = randomMasks(shape);
  exportState(await ours.stateDict(), directory);
  writeFileSync(join(directory, 'images.bin'), images.data);
  writeFileSync(join(directory, 'masks.bin'), masks.data);

  const eager = { pytorchEager: new EagerTrainer(peer, 'pytorchEager'), pytorchAutocast: new EagerTrainer(peer, 'pytorchAutocast') };
  const steps: Record<Side, () => Promise<{ loss: number }>> = {
    ours: () => ours.trainStep(images, masks, { lr: LEARNING_RATE }),
    oursBf16: () => oursBf16.trainStep(images, masks, { lr: LEARNING_RATE, precision: 'bf16' }),
    pytorchEager: () => Promise.reject(new Error('timed by the peer')),
    pytorchAutocast: () => Promise.reject(new Error('timed by the peer')),
  };
  const firstLosses = async (side: 'ours' | 'oursBf16') => [(await steps[side]()).loss, (await steps[side]()).loss];
  const fp32Peer = await eager.pytorchEager.setup(directory, ours.config, shape);
  if (fp32Peer.threads !== backendInfo().threads) throw new Error(`PyTorch ran with ${fp32Peer.threads} threads, ours with ${backendInfo().threads}`);
  const lossDifferences: Row['lossDifferences'] = { fp32: checkSameStart('fp32', await firstLosses('ours'), fp32Peer.losses, FIRST_LOSS_TOLERANCE) };
  if (bf16) {
    const bf16Peer = await eager.pytorchAutocast.setup(directory, ours.config, shape);
    lossDifferences.bf16 = checkSameStart('bf16', await firstLosses('oursBf16'), bf16Peer.losses, BF16_FIRST_LOSS_RELATIVE_TOLERANCE);
  }

  // Turns: one side's block of runs at a time, never two at once; the order rotates from round to round, so that
  // no side always follows the same one (a side's threads left spinning slow the next one's first runs).
  const timings = Object.fromEntries(sides.map((side) => [side, [] as number[]])) as Record<Side, number[]>;
  for (let round = 0; round < plan.rounds; round++) {
    const warmup = round === 0 ? plan.warmup : 0;
    for (let turn = 0; turn < sides.length; turn++) {
      const side = sides[(round + turn) % sides.length];
      const milliseconds =
        side === 'pytorchEager' || side === 'pytorchAutocast' ? await eager[side].time(warmup, plan.runs) : await timeOurs(steps[side], warmup, plan.runs);
      timings[side].push(...milliseconds);
    }
  }
  ours.dispose();
  oursBf16.dispose();
  const stats = Object.fromEntries(sides.map((side) => [side, timingStats(timings[side], BATCH)]));
  return { size: plan.size, steps: timings.ours.length, stats, lossDifferences, torchVersion: fp32Peer.torchVersion };
}

function printTable(rows: Row[]): void {
  const format = (value: number) => value.toFixed(1);
  console.table(
    rows.flatMap(({ size, steps, stats }) =>
      (Object.keys(stats) as Side[]).map((side) => ({
        size: `${size}x${size}`,
        side: SIDE_NAMES[side],
        steps,
        'median ms': format(stats[side]!.medianMs),
        'p90 ms': format(stats[side]!.p90Ms),
        'img/s': format(stats[side]!.imagesPerSecond),
        'img/s / ours fp32': (stats[side]!.imagesPerSecond / stats.ours!.imagesPerSecond).toFixed(2),
      })),
    ),
  );
  for (const { size, stats, lossDifferences } of rows) {
    const fp32 = `eager fp32 / ours fp32 ${(stats.pytorchEager!.medianMs / stats.ours!.medianMs).toFixed(2)}`;
    const bf16 = stats.oursBf16
      ? `, autocast bf16 / ours bf16 ${(stats.pytorchAutocast!.medianMs / stats.oursBf16.medianMs).toFixed(2)}, ours fp32 / ours bf16 ${(stats.ours!.medianMs / stats.oursBf16.medianMs).toFixed(2)}`
      : ' (no native bf16 here: no bf16 sides)';
    const losses = `step-1/2 loss differences fp32 ${lossDifferences.fp32.map((d) => d.toExponential(1)).join('/')}` + (lossDifferences.bf16 ? `, bf16 ${lossDifferences.bf16.map((d) => d.toExponential(1)).join('/')}` : '');
    console.log(`${size}x${size}: median ratios ${fp32}${bf16}; ${losses}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
  const plans = values.quick ? QUICK_PLANS : FULL_PLANS;
  const directory = mkdtempSync(join(tmpdir(), 'torch-unet-train-bench-'));
  const peer = new PythonPeer(TORCH_SCRIPT);
  try {
    const rows: (Row & { torchVersion: string })[] = [];
    for (const plan of plans) rows.push(await benchSize(plan, peer, directory));
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
