// Forward latency of torch-unet against the same network in PyTorch eager (test/reference/unet.py) on the
// same libtorch, threads and weights. Usage: npx tsx bench/forward.ts [--quick] [--json PATH]
// The two sides take turns in rounds, so drifts in the machine's speed (it is shared) hit both alike.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { UNet, backendInfo, type StateDict, type UNetConfig } from '../lib/index.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = join(import.meta.dirname, 'forward_torch.py');
const HEIGHT = 256;
const WIDTH = 256;
const LOGIT_TOLERANCE = 1e-4;

interface Plan {
  batch: number;
  warmup: number;
  rounds: number;
  /** Timed runs of each side a round. */
  runs: number;
}

interface Stats {
  medianMs: number;
  p90Ms: number;
  imagesPerSecond: number;
}

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

function randomImages(batch: number, channels: number): { data: Float32Array; shape: number[] } {
  const data = Float32Array.from({ length: batch * channels * HEIGHT * WIDTH }, () => Math.random() * 2 - 1);
  return { data, shape: [batch, channels, HEIGHT, WIDTH] };
}

function percentile(sorted: number[], fraction: number): number {
  // Nearest rank: the smallest sample with at least `fraction` of the samples at or below it.
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)];
}

function stats(milliseconds: number[], batch: number): Stats {
  const sorted = [...milliseconds].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const medianMs = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { medianMs, p90Ms: percentile(sorted, 0.9), imagesPerSecond: (batch * 1000) / medianMs };
}

async function timeOurs(model: UNet, images: { data: Float32Array; shape: number[] }, warmup: number, runs: number): Promise<number[]> {
  for (let run = 0; run < warmup; run++) await model.forward(images);
  const milliseconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await model.forward(images);
    milliseconds.push(performance.now() - start);
  }
  return milliseconds;
}

/** Writes every tensor's raw bytes back to back in weights.bin, with names, shapes and offsets in manifest.json. */
function exportState(state: StateDict, directory: string): void {
  let offset = 0;
  const manifest = Object.entries(state).map(([name, { data, shape, dtype }]) => {
    const entry = { name, shape, dtype, offset };
    offset += data.byteLength;
    return entry;
  });
  writeFileSync(join(directory, 'weights.bin'), Buffer.concat(Object.values(state).map(({ data }) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength))));
  writeFileSync(join(directory, 'manifest.json'), JSON.stringify(manifest));
}

/** The PyTorch-eager side: a Python process that times forward passes when asked, one JSON line each way. */
class PyTorchEager {
  readonly #process = spawn(PYTHON, [TORCH_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  readonly #lines = createInterface({ input: this.#process.stdout })[Symbol.asyncIterator]();

  async #ask<T>(request: unknown): Promise<T> {
    this.#process.stdin.write(`${JSON.stringify(request)}\n`);
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('the PyTorch side exited early (see its messages above)');
    return JSON.parse(value) as T;
  }

  setup(directory: string, config: UNetConfig, threads: number, checkShape: number[]) {
    const request = { dir: directory, config, threads, checkShape, height: HEIGHT, width: WIDTH };
    return this.#ask<{ torchVersion: string; threads: number }>(request);
  }

  async time(batch: number, warmup: number, runs: number): Promise<number[]> {
    return (await this.#ask<{ ms: number[] }>({ batch, warmup, runs })).ms;
  }

  close(): void {
    this.#process.stdin.end();
  }
}

function checkSameLogits(ours: Float32Array, directory: string): number {
  const bytes = readFileSync(join(directory, 'check_logits_torch.bin'));
  const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (theirs.length !== ours.length) throw new Error(`logit count differs: ours ${ours.length}, PyTorch ${theirs.length}`);
  // All-zero or constant logits would agree trivially and prove nothing about the weights.
  if (ours.every((value) => value === ours[0])) throw new Error('our logits are constant: the comparison would prove nothing');
  const maxDifference = ours.reduce((max, value, index) => Math.max(max, Math.abs(value - theirs[index])), 0);
  if (!(maxDifference <= LOGIT_TOLERANCE)) {
    throw new Error(`torch-unet and PyTorch eager disagree: max |logit difference| ${maxDifference} > ${LOGIT_TOLERANCE}`);
  }
  return maxDifference;
}

function environment(threads: number, torchVersion: string): Record<string, string | number> {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const { torchVersion: libtorch, blas } = backendInfo();
  // Other work on the 2 cores skews both sides: a 1-minute load well above ours (2) means rerun.
  const loadAverage1m = loadavg()[0].toFixed(2);
  return { libtorch, pythonTorch: torchVersion, blas, threads, cpuModel, node: process.version, loadAverage1m };
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
    const checkImages = randomImages(1, config.inChannels);
    writeFileSync(join(directory, 'check_input.bin'), checkImages.data);
    const ourLogits = await model.forward(checkImages);

    const torch = new PyTorchEager();
    const peer = await torch.setup(directory, config, threads, checkImages.shape);
    if (peer.threads !== threads) throw new Error(`PyTorch ran with ${peer.threads} threads, ours with ${threads}`);
    const maxLogitDifference = checkSameLogits(ourLogits.data, directory);

    // Turns: ours, then PyTorch, a round at a time; never both at once, so neither competes for the cores.
    const ourTimings: number[][] = [];
    const eagerTimings: number[][] = [];
    for (const plan of plans) {
      const images = randomImages(plan.batch, config.inChannels);
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
      const ours = stats(ourTimings[index], plan.batch);
      const pytorchEager = stats(eagerTimings[index], plan.batch);
      const runs = plan.rounds * plan.runs;
      return { batch: plan.batch, runs, ours, pytorchEager, eagerOverOurs: pytorchEager.medianMs / ours.medianMs };
    });
    const env = environment(threads, peer.torchVersion);
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
