// Forward latency of torch-unet against the same network in PyTorch eager (test/reference/unet.py) on the
// same libtorch, threads and weights. Usage: npx tsx bench/forward.ts [--quick] [--json PATH]
// The two sides take turns in rounds, so drifts in the machine's speed (it is shared) hit both alike.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { UNet, backendInfo } from '../lib/index.js';
import {
  environment,
  exportState,
  peerCheckLogits,
  PyTorchEager,
  randomImages,
  timingStats,
  type BatchPlan as Plan,
  type ImageBatch,
  type Stats,
} from './peer.js';

const HEIGHT = 256;
const WIDTH = 256;
const LOGIT_TOLERANCE = 1e-4;

interface Row {
  batch: number;
  runs: number;
  ours: Stats;
  pytorchEager: Stats;
  /** PyTorch-eager median / ours median: above 1 means ours is faster. */
  eagerOverOurs: number;
}

const FULL_PLANS: Plan[] = [
  { batch: 1, warmup: 3, rounds: 6, runs: 5 },
  { batch: 8, warmup: 2, rounds: 5, runs: 2 },
];
const QUICK_PLANS: Plan[] = [
  { batch: 1, warmup: 1, rounds: 2, runs: 3 },
  { batch: 8, warmup: 1, rounds: 1, runs: 2 },
];

async function timeOurs(model: UNet, images: ImageBatch, warmup: number, runs: number): Promise<number[]> {
  for (let run = 0; run < warmup; run++) await model.forward(images);
  const milliseconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await model.forward(images);
    milliseconds.push(performance.now() - start);
  }
  return milliseconds;
}

function checkSameLogits(ours: Float32Array, directory: string): number {
  const theirs = peerCheckLogits(directory);
  if (theirs.length !== ours.length) throw new Error(`logit count differs: ours ${ours.length}, PyTorch ${theirs.length}`);
  // All-zero or constant logits would agree trivially and prove nothing about the weights.
  if (ours.every((value) => value === ours[0])) throw new Error('our logits are constant: the comparison would prove nothing');
  const maxDifference = ours.reduce((max, value, index) => Math.max(max, Math.abs(value - theirs[index])), 0);
  if (!(maxDifference <= LOGIT_TOLERANCE)) {
    throw new Error(`torch-unet and PyTorch eager disagree: max |logit difference| ${maxDifference} > ${LOGIT_TOLERANCE}`);
  }
  return maxDifference;
}

function printTable(rows: Row[]): void {
  const format = (value: number) => value.toFixed(1);
  console.table(
    rows.map(({ batch, runs, ours, pytorchEager, eagerOverOurs }) => ({
      batch,
      runs,
      'ours median ms': format(ours.medianMs),
      'ours p90 ms': format(ours.p90Ms),
      'ours img/s': format(ours.imagesPerSecond),
      'eager median ms': format(pytorchEager.medianMs),
      'eager p90 ms': format(pytorchEager.p90Ms),
      'eager img/s': format(pytorchEager.imagesPerSecond),
      'eager/ours': eagerOverOurs.toFixed(2),
    })),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
  const plans = values.quick ? QUICK_PLANS : FULL_PLANS;
  const { threads } = backendInfo();
  const model = await UNet.create({ baseFilters: 16, depth: 4, inChannels: 1, classes: 1, device: 'cpu', seed: 0 });
  const { config } = model;
  const directory = mkdtempSync(join(tmpdir(), 'torch-unet-bench-'));
  try {
    exportState(await model.stateDict(), directory);
    const checkImages = randomImages([1, config.inChannels, HEIGHT, WIDTH]);
    writeFileSync(join(directory, 'check_input.bin'), checkImages.data);
    const ourLogits = await model.forward(checkImages);

    const torch = new PyTorchEager();
    const peer = await torch.setup({ dir: directory, config, threads, checkShape: checkImages.shape, height: HEIGHT, width: WIDTH });
    if (peer.threads !== threads) throw new Error(`PyTorch ran with ${peer.threads} threads, ours with ${threads}`);
    const maxLogitDifference = checkSameLogits(ourLogits.data, directory);

    // Turns: ours, then PyTorch, a round at a time; never both at once, so neither competes for the cores.
    const ourTimings: number[][] = [];
    const eagerTimings: number[][] = [];
    for (const plan of plans) {
      const images = randomImages([plan.batch, config.inChannels, HEIGHT, WIDTH]);
      const ours: number[] = [];
      const eager: number[] = [];
      for (let round = 0; round < plan.rounds; round++) {
        const warmup = round === 0 ? plan.warmup : 0;
        ours.push(...(await timeOurs(model, images, warmup, plan.runs)));
        eager.push(...(await torch.time(plan.batch, warmup, plan.runs)));
      }
      ourTimings.push(ours);
      eagerTimings.push(eager);
    }
    torch.close();

    const rows = plans.map((plan, index): Row => {
      const ours = timingStats(ourTimings[index], plan.batch);
      const pytorchEager = timingStats(eagerTimings[index], plan.batch);
      const runs = plan.rounds * plan.runs;
      return { batch: plan.batch, runs, ours, pytorchEager, eagerOverOurs: pytorchEager.medianMs / ours.medianMs };
    });
    const env = environment(peer.torchVersion);
    console.log('Environment:', env);
    console.log(`Model: U-Net baseFilters ${config.baseFilters}, depth ${config.depth}, ${config.inChannels} -> ${config.classes}, ${HEIGHT}x${WIDTH}, eval`);
    console.log(`Same logits: max |difference| ${maxLogitDifference.toExponential(2)} (tolerance ${LOGIT_TOLERANCE})`);
    printTable(rows);
    if (values.json) writeFileSync(values.json, JSON.stringify({ environment: env, config, maxLogitDifference, rows }, null, 2));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
