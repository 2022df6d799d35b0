// Data-parallel training on this machine: 1 process with 2 threads against 2 processes with 1 thread each (the
// launcher's split), on the same global batch of 8; the allreduce time of one step's gradients; and, from those
// measured figures, the scaling efficiency to expect on 2 to 64 nodes.
// Usage: npx tsx bench/distributed.ts [--rounds N] [--json PATH]
// The sides take turns, a block of epochs at a time (the first epoch of a block is not counted).
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { UNet, setThreads } from '../lib/index.js';
import { launch } from '../lib/distributed/launcher.js';
import { environment, median, randomImages } from './peer.js';

const MODEL = { baseFilters: 16, depth: 4, inChannels: 1, classes: 1 };
const SIZE = 128;
const IMAGES = 64;
const GLOBAL_BATCH = 8;
const EPOCHS = 3;
const ALLREDUCE_REPS = 20;
/** One message's latency on a cluster network (a typical TCP figure), for the model of larger runs. */
const LATENCY_S = 50e-6;
const NODES = [2, 4, 8, 16, 32, 64];
const NETWORKS = [
  { name: '10 Gbit/s', bytesPerSecond: 10e9 / 8 },
  { name: '100 Gbit/s', bytesPerSecond: 100e9 / 8 },
];

type Batch<T> = { data: T; shape: number[] };

async function singleProcess(images: Batch<Float32Array>, masks: Batch<Uint8Array>): Promise<number[]> {
  setThreads(2);
  const model = await UNet.create({ ...MODEL, device: 'cpu', seed: 0 });
  const history = await model.fit({ images, masks }, { epochs: EPOCHS, batchSize: GLOBAL_BATCH, lr: 1e-3 });
  model.dispose();
  return history.slice(1).map((epoch) => epoch.imagesPerSecond);
}

async function twoProcesses(directory: string, port: number): Promise<{ imagesPerSecond: number[]; allreduceMs: number[] }> {
  const worker = join(import.meta.dirname, 'distributed_worker.ts');
  const result = await launch({
    nprocPerNode: 2,
    masterPort: port,
    command: [process.execPath, '--import', 'tsx', worker, directory, String(EPOCHS), String(GLOBAL_BATCH / 2), String(ALLREDUCE_REPS)],
  });
  if (result.failed) throw new Error(`worker ${result.failed.rank} failed: ${result.failed.stderr}`);
  const figures = JSON.parse(readFileSync(join(directory, 'figures.json'), 'utf8')) as { imagesPerSecond: number[]; allreduceMs: number[] };
  return { imagesPerSecond: figures.imagesPerSecond.slice(1), allreduceMs: figures.allreduceMs };
}

/**
 * Ring allreduce of M bytes on n nodes: 2 (n - 1) / n x M / bandwidth + 2 (n - 1) x latency. One node's step
 * computes for T (measured here, 1 process); with no overlap of backward and communication (the worst case),
 * efficiency = T / (T + allreduce).
 */
function efficiency(stepSeconds: number, bytes: number, nodes: number, bytesPerSecond: number): number {
  const allreduce = ((2 * (nodes - 1)) / nodes) * (bytes / bytesPerSecond) + 2 * (nodes - 1) * LATENCY_S;
  return stepSeconds / (stepSeconds + allreduce);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, json: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 3);
  const directory = mkdtempSync(join(tmpdir(), 'torch-unet-distributed-bench-'));
  try {
    const shape = [IMAGES, 1, SIZE, SIZE];
    const images = randomImages(shape);
    const masks = { data: Uint8Array.from({ length: images.data.length }, () => (Math.random() < 0.33 ? 1 : 0)), shape };
    writeFileSync(join(directory, 'images.bin'), images.data);
    writeFileSync(join(directory, 'masks.bin'), masks.data);
    writeFileSync(join(directory, 'job.json'), JSON.stringify({ model: MODEL, shape }));
    const probe = await UNet.create({ ...MODEL, device: 'cpu' });
    const bytes = probe.parameterCount * 4;
    probe.dispose();
    const single: number[] = [], multi: number[] = [], allreduceMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      single.push(...(await singleProcess(images, masks)));
      const figures = await twoProcesses(directory, 29800 + round);
      multi.push(...figures.imagesPerSecond);
      allreduceMs.push(...figures.allreduceMs);
    }
    const singleRate = median(single), multiRate = median(multi), allreduce = median(allreduceMs);
    const stepSeconds = GLOBAL_BATCH / singleRate;
    console.log('Environment:', environment());
    console.log(`Model: U-Net baseFilters ${MODEL.baseFilters}, depth ${MODEL.depth}, ${SIZE}x${SIZE}, global batch ${GLOBAL_BATCH}; ${IMAGES} images, ${rounds} rounds of ${EPOCHS - 1} counted epochs a side`);
    console.table([
      { side: '1 process x 2 threads, batch 8', 'images/s (median)': singleRate.toFixed(1), 'ratio to 1 process': '1.00' },
      { side: '2 processes x 1 thread, batch 4 each', 'images/s (median)': multiRate.toFixed(1), 'ratio to 1 process': (multiRate / singleRate).toFixed(2) },
    ]);
    console.log(`Allreduce of one step's gradients (${(bytes / 1e6).toFixed(1)} MB, 2 ranks over loopback): median ${allreduce.toFixed(2)} ms of a ${(stepSeconds * 1000).toFixed(0)} ms step`);
    const table = NODES.map((nodes) => Object.fromEntries([['nodes', nodes], ...NETWORKS.map(({ name, bytesPerSecond }) => [name, efficiency(stepSeconds, bytes, nodes, bytesPerSecond).toFixed(3)])]));
    console.log('Predicted scaling efficiency (ring allreduce, no overlap with backward, latency 50 us):');
    console.table(table);
    if (values.json) writeFileSync(values.json, JSON.stringify({ environment: environment(), singleRate, multiRate, allreduceMs, bytes, stepSeconds, table }, null, 2));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
