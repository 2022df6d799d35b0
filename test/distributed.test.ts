// Distributed training on c10d (native/core/distributed): DistributedSampler's shares, fit in two processes
// against python3-torch's own DistributedDataParallel on the same weights and data, validation shared out and
// combined, and the failures a user meets (a rank that never comes, a wrong option).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ProcessGroup, UNet, distributedIndices, distributedSupport, type FitOptions } from '../lib/index.js';
import { decode, runOracle } from './helpers/oracle.js';
import { freePort } from './helpers/folders.js';
import { discs } from './helpers/shapes.js';

const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-distributed-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const WORKER = join(import.meta.dirname, 'helpers', 'ddp-worker.ts');

interface WorkerResult {
  state: Record<string, { shape: number[]; data: number[] }>;
  losses: number[];
  history: { loss: number; valLoss: number | null; valDice: number | null; valIoU: number | null }[];
  summed: number[];
}

/** Starts `world` ranks of test/helpers/ddp-worker.ts as torchrun would; each settles with its exit code and stderr. */
async function startRanks(directory: string, world: number) {
  const port = await freePort();
  return Array.from({ length: world }, (_, rank) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, directory], {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
    return { child, exit };
  });
}

/** Runs `world` ranks to the end; resolves with their results. */
async function runRanks(directory: string, world: number): Promise<WorkerResult[]> {
  const ranks = await startRanks(directory, world);
  for (const [rank, { exit }] of ranks.entries()) {
    const { code, stderr } = await exit;
    if (code !== 0) throw new Error(`rank ${rank} exited with ${code}: ${stderr}`);
  }
  return Array.from({ length: world }, (_, rank) => JSON.parse(readFileSync(join(directory, `rank${rank}.json`), 'utf8')) as WorkerResult);
}

/** A job for the workers: data, model and fit options in `directory`, rank 0's initial weights as torch.save wrote them. */
async function writeJob(name: string, fit: FitOptions, extra: Record<string, unknown> = {}) {
  const directory = join(scratch, name);
  const config = { baseFilters: 4, depth: 2 };
  const model = await UNet.create({ ...config, device: 'cpu', seed: 7 });
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory);
  const data = discs(12, 16, 3);
  writeFileSync(join(directory, 'images.bin'), data.images.data as Float32Array);
  writeFileSync(join(directory, 'masks.bin'), data.masks.data as Uint8Array);
  await model.exportWeights(join(directory, 'initial.pt'));
  writeFileSync(join(directory, 'job.json'), JSON.stringify({ config, shape: data.images.shape, fit, initial: 'initial.pt', ...extra }));
  return { directory, model, data };
}

describe('distributedIndices', () => {
  it("is torch's DistributedSampler for several counts, world sizes, seeds, epochs, with and without shuffle and dropLast", () => {
    const cases = [];
    for (const count of [1, 7, 12, 13])
      for (const world of [1, 2, 3, 4])
        for (const [seed, epoch] of [[0, 0], [42, 3]])
          for (const shuffle of [true, false])
            for (const dropLast of [false, true]) if (!dropLast || count >= world) cases.push({ count, world, seed, epoch, shuffle, dropLast });
    const expected = runOracle<number[][][]>('sampler_case.py', { cases });
    for (const [index, { count, world, seed, epoch, shuffle, dropLast }] of cases.entries()) {
      const ours = Array.from({ length: world }, (_, rank) => distributedIndices(count, epoch, { rank, worldSize: world, seed, shuffle, dropLast }));
      expect(ours, JSON.stringify(cases[index])).toEqual(expected[index]);
    }
    expect(cases.length).toBeGreaterThan(100);
  });

  it('refuses ranks outside the world, and dropLast with fewer items than ranks', () => {
    expect(() => distributedIndices(5, 0, { rank: 2, worldSize: 2 })).toThrow(new RangeError('options.rank: expected an integer from 0 to 1, got 2'));
    expect(() => distributedIndices(2, 0, { rank: 0, worldSize: 3, dropLast: true })).toThrow(/options\.dropLast: fewer items \(2\) than ranks/);
    expect(() => distributedIndices(2.5, 0, { rank: 0, worldSize: 1 })).toThrow(TypeError);
  });
});

describe('fit on two processes', () => {
  // Adam's first steps do not depend on the gradients' scale; plain SGD's do, so an average that is not one would show.
  for (const [optimizer, fit] of [
    ['adam', { optimizer: 'adam', lr: 1e-3 }],
    ['sgd', { optimizer: 'sgd', lr: 0.1, momentum: 0 }],
  ] as const) {
    it(`follows python3-torch's DistributedDataParallel (${optimizer}): the same losses, and weights within 5e-6`, async () => {
      const { directory, model, data } = await writeJob(`oracle-${optimizer}`, { epochs: 1, batchSize: 2, seed: 5, ...fit });
      runOracle('ddp_case.py', { dir: directory, config: model.config, shape: data.images.shape, world: 2, port: await freePort(), seed: 5, epochs: 1, batchSize: 2, lr: fit.lr, optimizer });
      const oracle = [0, 1].map((rank) => JSON.parse(readFileSync(join(directory, `rank${rank}.json`), 'utf8')) as { state: Record<string, Parameters<typeof decode>[0]>; losses: number[] });
      const ours = await runRanks(directory, 2);
      for (const rank of [0, 1]) {
        // 12 images, 2 ranks, batches of 2: 3 steps each, on the shares DistributedSampler gave.
        expect(ours[rank].losses).toHaveLength(3);
        ours[rank].losses.forEach((loss, step) => expect(Math.abs(loss - oracle[rank].losses[step]), `rank ${rank} step ${step + 1}`).toBeLessThan(1e-5));
        for (const [name, encoded] of Object.entries(oracle[rank].state)) {
          const expected = Array.from(decode(encoded).data as ArrayLike<number | bigint>, Number);
          const got = ours[rank].state[name].data;
          const scale = Math.max(...expected.map(Math.abs), 1e-12);
          const worst = Math.max(...got.map((value, i) => Math.abs(value - expected[i])));
          // Our loss and optimisers compute PyTorch's formulas, not always in its floating-point order: a few
          // float32 roundings after three steps (up to 2.3e-6 of a tensor's largest value here, with Adam).
          expect(worst / scale, `rank ${rank} ${name}`).toBeLessThan(5e-6);
        }
      }
      expect(ours.map((rank) => rank.summed)).toEqual([[3, 4], [3, 4]]); // processGroup.allreduce: 1 + 2, 2 + 2
      // The weights are the same on both ranks, bit for bit: the same averaged gradients, the same updates.
      for (const [name, tensor] of Object.entries(ours[0].state)) if (!name.includes('running') && !name.includes('num_batches')) expect(ours[1].state[name].data, name).toEqual(tensor.data);
    }, 120_000);
  }

  it('with syncBatchNorm, 2 ranks of 4 images train as 1 process of 8 (torch.nn.SyncBatchNorm by its definition)', async () => {
    // Without shuffle, DistributedSampler gives rank r the images r, r + 2, ...: each step's two halves are the
    // single process's batch of 8. python3-torch 1.13's SyncBatchNorm is CUDA-only, so the oracle is this identity.
    const fit = { epochs: 2, lr: 1e-3, shuffle: false };
    const { directory, model, data } = await writeJob('sync', { ...fit, batchSize: 4, syncBatchNorm: true });
    const ours = await runRanks(directory, 2);
    const single = await model.fit(data, { ...fit, batchSize: 8 });
    ours[0].history.forEach((epoch, index) => expect(epoch.loss, `epoch ${index + 1}`).toBeCloseTo(single[index].loss, 5));
    const state = await model.stateDict();
    for (const [name, tensor] of Object.entries(state)) {
      const expected = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
      const scale = Math.max(...expected.map(Math.abs), 1e-12);
      const worst = Math.max(...ours[0].state[name].data.map((value, i) => Math.abs(value - expected[i])));
      expect(worst / scale, name).toBeLessThan(1e-5);
    }
    // Without it, each rank's batch norm sees its own 4 images: the weights drift from the single process's.
    const { directory: plain } = await writeJob('unsynced', { ...fit, batchSize: 4 });
    const unsynced = await runRanks(plain, 2);
    const drift = (name: string) => Math.max(...unsynced[0].state[name].data.map((value, i) => Math.abs(value - Number(state[name].data[i]))));
    expect(drift('inc.conv1.weight')).toBeGreaterThan(1e-3); // 4.7e-3 here, against 1.5e-8 with syncBatchNorm
  }, 120_000);

  it('refuses syncBatchNorm without a process group', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu' });
    await expect(model.fit(discs(2, 16, 1), { epochs: 1, syncBatchNorm: true })).rejects.toThrow('options.syncBatchNorm: needs options.processGroup');
  });

  it('validates on shares and logs what one process validating all the data logs', async () => {
    const { directory, data } = await writeJob('validation', { epochs: 2, batchSize: 2, lr: 1e-2, seed: 1 }, { validation: true });
    const ours = await runRanks(directory, 2);
    // Every rank logs the same figures (but for its own clock's).
    const figures = (result: WorkerResult) => result.history.map(({ loss, valLoss, valDice, valIoU }) => ({ loss, valLoss, valDice, valIoU }));
    expect(figures(ours[1])).toEqual(figures(ours[0]));
    const last = ours[0].history.at(-1)!;
    expect(last.valDice).toBeGreaterThan(0);
    // The final model (rank 0's weights and buffers) evaluated by one process on all 12 images.
    const single = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu' });
    await single.loadStateDict(Object.fromEntries(Object.entries(ours[0].state).map(([name, { shape, data }]) => [name, name.endsWith('num_batches_tracked') ? { data: BigInt64Array.from(data.map(BigInt)), shape } : { data: Float32Array.from(data), shape }])));
    const scores = await single.evaluate(data);
    expect(last.valLoss).toBeCloseTo(scores.loss, 5);
    expect(last.valDice).toBeCloseTo(scores.dice!, 5);
    expect(last.valIoU).toBeCloseTo(scores.iou!, 5);
  }, 120_000);
});

describe('under torchrun', () => {
  it('joins through its agent store (TORCHELASTIC_USE_AGENT_STORE) and trains, started as PyTorch users start jobs', async () => {
    const { directory } = await writeJob('torchrun', { epochs: 1, batchSize: 2, lr: 1e-3, seed: 5 });
    // Debian's torchrun 1.13 on Python 3.11 needs --redirects and --tee to parse its arguments (a known bug).
    const args = ['--nproc_per_node', '2', '--master_port', String(await freePort()), '--redirects', '7:1', '--tee', '7:1', '--no_python', process.execPath, '--import', 'tsx', WORKER, directory];
    const run = spawnSync('/usr/bin/torchrun', args, { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const ours = [0, 1].map((rank) => JSON.parse(readFileSync(join(directory, `rank${rank}.json`), 'utf8')) as WorkerResult);
    expect(ours[0].losses).toHaveLength(3);
    expect(ours[1].state['head.conv.weight'].data).toEqual(ours[0].state['head.conv.weight'].data);
  }, 120_000);
});

describe('a rank that dies mid-fit', () => {
  it('makes the other fail at once, naming it; the last checkpoint is intact and says how to resume', async () => {
    const { directory } = await writeJob('killed', { epochs: 500, batchSize: 2, lr: 1e-3, seed: 2 });
    const checkpoint = join(directory, 'best.unet');
    const job = JSON.parse(readFileSync(join(directory, 'job.json'), 'utf8'));
    writeFileSync(join(directory, 'job.json'), JSON.stringify({ ...job, fit: { ...job.fit, checkpoint: { path: checkpoint, monitor: 'loss' } } }));
    const ranks = await startRanks(directory, 2);
    while (!existsSync(checkpoint)) await new Promise((resolve) => setTimeout(resolve, 50));
    ranks[1].child.kill('SIGKILL');
    const killed = performance.now();
    const survivor = await ranks[0].exit;
    expect(performance.now() - killed).toBeLessThan(20_000);
    expect(survivor.code).not.toBe(0);
    expect(survivor.stderr).toMatch(/fit: distributed: \w+ failed: rank 1 stopped answering/);
    const saved = await UNet.load(checkpoint);
    expect(saved.history.length).toBeGreaterThanOrEqual(1);
    // It resumes on as many processes as it was trained on, and says so to one process.
    await expect(saved.fit(discs(12, 16, 3), { epochs: 600, resumeFrom: checkpoint })).rejects.toThrow('resumeFrom: the run was trained on 2 process(es); resume it on as many (here: 1)');
  }, 60_000);
});

describe('process groups: what goes wrong', () => {
  it('this build has Gloo', () => {
    expect(distributedSupport().gloo).toBeNull();
  });

  it('a rank that never comes: the rendezvous fails within the timeout, saying where it waited', async () => {
    const port = await freePort();
    const started = performance.now();
    await expect(ProcessGroup.init({ rank: 0, worldSize: 2, masterPort: port, timeout: 2 })).rejects.toThrow(
      new RegExp(`rank 0 could not meet the other 1 rank\\(s\\) at 127\\.0\\.0\\.1:${port} within 2 s`),
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses options it cannot use, naming them', async () => {
    await expect(ProcessGroup.init({ worldSize: 2 }, {})).rejects.toThrow(new TypeError('options.rank: not given and $RANK is not set (torchrun sets it)'));
    await expect(ProcessGroup.init({}, { RANK: 'one', WORLD_SIZE: '2' })).rejects.toThrow("$RANK: expected an integer, got 'one'");
    await expect(ProcessGroup.init({ rank: 2, worldSize: 2 })).rejects.toThrow(new RangeError('options.rank: expected an integer from 0 to 1, got 2'));
    await expect(ProcessGroup.init({ rank: 0, worldSize: 1, backend: 'mpi' as 'gloo' })).rejects.toThrow("options.backend: expected 'gloo' | 'nccl', got 'mpi'");
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu' });
    await expect(model.fit(discs(2, 16, 1), { epochs: 1, processGroup: {} as ProcessGroup })).rejects.toThrow(/options\.processGroup: expected a ProcessGroup/);
  });
});
