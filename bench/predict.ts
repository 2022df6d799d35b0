// Prediction latency of torch-unet (model.predict, logits; in fp32, and in bf16 where the CPU has native bf16)
// against onnxruntime-node (fp32) running the same network exported to ONNX from the PyTorch reference
// (test/reference/unet.py with our weights), and against PyTorch eager, on the same threads.
// Usage: npx tsx bench/predict.ts [--quick] [--mask] [--busy] [--threads N] [--rounds N] [--json PATH]
// --busy: another process keeps one core busy while every side is timed (a shared server's lot).
// The sides take turns in rounds, each round in another order, so drifts in the machine's speed (it is shared)
// hit all alike; each round also gives its own onnxruntime / ours ratio, whose spread shows the noise.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import * as ort from 'onnxruntime-node';

import { UNet, backendInfo, setThreads, type StateDict } from '../lib/index.js';
import {
  environment,
  exportState,
  peerCheckLogits,
  median,
  PyTorchEager,
  randomImages,
  timingStats,
  type BatchPlan as Plan,
  type ImageBatch,
  type Stats,
} from './peer.js';

const HEIGHT = 256;
const WIDTH = 256;
/** Largest |difference| allowed, relative to the largest |logit| of PyTorch eager (fp32), in fp32 and in bf16. */
const RELATIVE_TOLERANCE = 1e-3;
const BF16_RELATIVE_TOLERANCE = 5e-2;

const FULL_PLANS: Plan[] = [
  { batch: 1, warmup: 3, rounds: 6, runs: 5 },
  { batch: 8, warmup: 2, rounds: 5, runs: 2 },
];
const QUICK_PLANS: Plan[] = [
  { batch: 1, warmup: 2, rounds: 2, runs: 3 },
  { batch: 8, warmup: 1, rounds: 2, runs: 1 },
];

type Side = 'ours' | 'oursBf16' | 'oursMask' | 'onnxruntime' | 'pytorchEager';
const SIDE_NAMES: Record<Side, string> = {
  ours: 'torch-unet predict (logits)',
  oursBf16: 'torch-unet predict bf16 (logits)',
  oursMask: 'torch-unet predict (mask)',
  onnxruntime: 'onnxruntime-node',
  pytorchEager: 'PyTorch eager',
};
/** Times `runs` calls after `warmup` untimed ones, in milliseconds. */
type Timer = (images: ImageBatch, warmup: number, runs: number) => Promise<number[]>;

async function timeCalls(call: () => Promise<unknown>, warmup: number, runs: number): Promise<number[]> {
  for (let run = 0; run < warmup; run++) await call();
  const milliseconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await call();
    milliseconds.push(performance.now() - start);
  }
  return milliseconds;
}

/** Running statistics away from their defaults (mean 0, variance 1), so that folding batch norm is really checked. */
async function perturbBatchNorm(model: UNet): Promise<void> {
  const state: StateDict = await model.stateDict();
  let seed = 1;
  const uniform = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
  for (const [name, tensor] of Object.entries(state)) {
    if (!(tensor.data instanceof Float32Array)) continue;
    const data = tensor.data;
    if (name.endsWith('running_mean')) data.forEach((_, i) => (data[i] = 0.1 * uniform()));
    if (name.endsWith('running_var')) data.forEach((_, i) => (data[i] = 1 + 0.5 * uniform()));
  }
  await model.loadStateDict(state);
}

/** Largest |ours - reference|, relative to the largest |reference|; throws above the tolerance. */
function checkClose(label: string, ours: Float32Array, reference: Float32Array, tolerance = RELATIVE_TOLERANCE): number {
  if (ours.length !== reference.length) throw new Error(`${label}: ${ours.length} logits, PyTorch eager ${reference.length}`);
  // All-zero or constant logits would agree trivially and prove nothing about the weights.
  if (reference.every((value) => value === reference[0])) throw new Error('constant logits: the check would prove nothing');
  const scale = reference.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const difference = ours.reduce((max, value, index) => Math.max(max, Math.abs(value - reference[index])), 0) / scale;
  if (!(difference <= tolerance)) {
    throw new Error(`${label} and PyTorch eager disagree: max |difference| / max |logit| = ${difference} > ${tolerance}`);
  }
  return difference;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      mask: { type: 'boolean', default: false },
      busy: { type: 'boolean', default: false },
      threads: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) throw new RangeError('--rounds: expected a positive integer');
  const plans = (values.quick ? QUICK_PLANS : FULL_PLANS).map((plan) => ({ ...plan, rounds: rounds ?? plan.rounds }));
  if (values.threads !== undefined) setThreads(Number(values.threads));
  const { threads, cpuBf16 } = backendInfo();
  const model = await UNet.create({ baseFilters: 16, depth: 4, inChannels: 1, classes: 1, device: 'cpu', seed: 0 });
  await perturbBatchNorm(model);
  const { config } = model;
  const directory = mkdtempSync(join(tmpdir(), 'torch-unet-bench-'));
  const onnxPath = join(directory, 'unet.onnx');
  const torch = new PyTorchEager();
  let busy: ReturnType<typeof spawn> | undefined;
  try {
    exportState(await model.stateDict(), directory);
    // Two images: the ONNX graph's batch axis is checked to be dynamic.
    const checkImages = randomImages([2, config.inChannels, HEIGHT, WIDTH]);
    writeFileSync(join(directory, 'check_input.bin'), checkImages.data);
    const peer = await torch.setup({
      dir: directory,
      config,
      threads,
      checkShape: checkImages.shape,
      height: HEIGHT,
      width: WIDTH,
      onnx: onnxPath,
    });
    if (peer.threads !== threads) throw new Error(`PyTorch ran with ${peer.threads} threads, ours with ${threads}`);

    const session = await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    const runOnnx = async (images: ImageBatch) => {
      const outputs = await session.run({ images: new ort.Tensor('float32', images.data, images.shape) });
      return outputs.logits.data as Float32Array;
    };

    const eagerLogits = peerCheckLogits(directory);
    const ourLogits = (await model.predict(checkImages, { output: 'logits' })).data as Float32Array;
    const bf16Logits = cpuBf16 ? ((await model.predict(checkImages, { output: 'logits', precision: 'bf16' })).data as Float32Array) : undefined;
    const differences = {
      ours: checkClose('torch-unet predict', ourLogits, eagerLogits),
      ...(bf16Logits ? { oursBf16: checkClose('torch-unet predict bf16', bf16Logits, eagerLogits, BF16_RELATIVE_TOLERANCE) } : {}),
      onnxruntime: checkClose('onnxruntime-node', await runOnnx(checkImages), eagerLogits),
    };

    const timers: Partial<Record<Side, Timer>> = {
      ours: (images, warmup, runs) => timeCalls(() => model.predict(images, { output: 'logits' }), warmup, runs),
      ...(cpuBf16
        ? { oursBf16: (images: ImageBatch, warmup: number, runs: number) => timeCalls(() => model.predict(images, { output: 'logits', precision: 'bf16' }), warmup, runs) }
        : {}),
      ...(values.mask ? { oursMask: (images: ImageBatch, warmup: number, runs: number) => timeCalls(() => model.predict(images), warmup, runs) } : {}),
      onnxruntime: (images, warmup, runs) => timeCalls(() => runOnnx(images), warmup, runs),
      pytorchEager: (images, warmup, runs) => torch.time(images.shape[0], warmup, runs),
    };
    const sides = Object.keys(timers) as Side[];

    // One core's worth of other work, the same for every side: a process that never sleeps.
    busy = values.busy ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : undefined;
    // Turns: each side in turn, a round at a time, never two at once (none competes for the cores); the order
    // rotates from round to round, so that no side always follows the Python process.
    const rows = [];
    for (const plan of plans) {
      const images = randomImages([plan.batch, config.inChannels, HEIGHT, WIDTH]);
      const timings = Object.fromEntries(sides.map((side) => [side, [] as number[]])) as Record<Side, number[]>;
      const roundRatios: number[] = []; // onnxruntime's median over ours, round by round
      for (let round = 0; round < plan.rounds; round++) {
        const warmup = round === 0 ? plan.warmup : 0;
        const roundMedians: Partial<Record<Side, number>> = {};
        for (let turn = 0; turn < sides.length; turn++) {
          const side = sides[(round + turn) % sides.length];
          const milliseconds = await timers[side]!(images, warmup, plan.runs);
          timings[side].push(...milliseconds);
          roundMedians[side] = median(milliseconds);
        }
        roundRatios.push(roundMedians.onnxruntime! / roundMedians.ours!);
      }
      const stats = Object.fromEntries(sides.map((side) => [side, timingStats(timings[side], plan.batch)])) as Record<Side, Stats>;
      rows.push({
        batch: plan.batch,
        runs: plan.rounds * plan.runs,
        ...stats,
        onnxruntimeOverOurs: stats.onnxruntime.medianMs / stats.ours.medianMs,
        ...(stats.oursBf16 ? { oursBf16OverOnnxruntime: stats.oursBf16.medianMs / stats.onnxruntime.medianMs } : {}),
        eagerOverOurs: stats.pytorchEager.medianMs / stats.ours.medianMs,
        roundRatios,
      });
    }

    busy?.kill();
    const env = { ...environment(peer.torchVersion), onnxruntime: ort.env.versions.common, busy: values.busy };
    console.log('Environment:', env);
    if (values.busy) console.log('Busy: another process kept one core busy throughout the timings');
    console.log(
      `Model: U-Net baseFilters ${config.baseFilters}, depth ${config.depth}, ${config.inChannels} -> ${config.classes}, ` +
        `${HEIGHT}x${WIDTH}; onnxruntime: intra-op threads ${threads}, inter-op 1, graph optimisation 'all'`,
    );
    console.log(
      `Same logits as PyTorch eager (max |difference| / max |logit|, tolerance ${RELATIVE_TOLERANCE}): ` +
        `ours ${differences.ours.toExponential(2)}, onnxruntime ${differences.onnxruntime.toExponential(2)}` +
        (differences.oursBf16 === undefined ? '; no native bf16 here, so no bf16 side' : `; ours in bf16 ${differences.oursBf16.toExponential(2)} (tolerance ${BF16_RELATIVE_TOLERANCE})`),
    );
    const format = (value: number) => value.toFixed(1);
    console.table(
      rows.flatMap((row) =>
        sides.map((side) => ({
          batch: row.batch,
          side: SIDE_NAMES[side],
          runs: row.runs,
          'median ms': format(row[side].medianMs),
          'p90 ms': format(row[side].p90Ms),
          'img/s': format(row[side].imagesPerSecond),
          'median / ours': (row[side].medianMs / row.ours.medianMs).toFixed(2),
          'median / onnxruntime': (row[side].medianMs / row.onnxruntime.medianMs).toFixed(2),
        })),
      ),
    );
    console.log("(median / ours: a side's median over ours (fp32); above 1.00 means torch-unet is faster)");
    for (const row of rows) {
      const sorted = [...row.roundRatios].sort((a, b) => a - b);
      const faster = sorted.filter((ratio) => ratio > 1).length;
      console.log(
        `batch ${row.batch}: onnxruntime / ours round by round: median ${median(sorted).toFixed(2)}, ` +
          `range ${sorted[0].toFixed(2)} to ${sorted[sorted.length - 1].toFixed(2)}; ours faster in ${faster} of ${sorted.length} rounds`,
      );
    }
    if (values.json) writeFileSync(values.json, JSON.stringify({ environment: env, config, differences, rows }, null, 2));
  } finally {
    busy?.kill();
    torch.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
