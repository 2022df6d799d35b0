// `torch-unet train --nproc-per-node N` (lib/distributed/launcher.ts): workers with torchrun's environment over
// loopback, two "nodes" on this machine, a worker killed mid-run, and Ctrl-C; no worker outlives its launcher.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, writeShapesFolders } from './helpers/folders.js';

const CLI = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-launcher-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders: { images: string; masks: string };
beforeAll(async () => {
  folders = await writeShapesFolders(scratch, { count: 16, size: 32, classes: 1, channels: 1, seed: 3 });
});

/** `torch-unet train` on the folders into `run`, with more arguments; settles with its exit code and output. */
function train(run: string, ...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'train', '--images', folders.images, '--masks', folders.masks, '--channels', '1', '--size', '32', '--depth', '2', '--base-filters', '8', '--batch', '4', '--out', join(run, 'model.pt'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, exit };
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('torch-unet train --nproc-per-node', () => {
  it('trains in 2 workers over loopback; rank 0 writes the outputs', async () => {
    const run = join(scratch, 'two');
    const { code, stderr } = await train(run, '--epochs', '2', '--nproc-per-node', '2', '--master-port', String(await freePort())).exit;
    expect(code, stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(run, 'model.metrics.json'), 'utf8'));
    expect(metrics.processes).toBe(2);
    expect(metrics.history).toHaveLength(2);
    expect(existsSync(join(run, 'model.best.pt'))).toBe(true);
  }, 60_000);

  it('--nnodes 2: two launchers on this machine as two nodes of one worker each', async () => {
    const run = join(scratch, 'nodes');
    const port = String(await freePort());
    const nodes = [0, 1].map((node) => train(run, '--epochs', '2', '--nproc-per-node', '1', '--nnodes', '2', '--node-rank', String(node), '--master-port', port));
    const [first, second] = await Promise.all(nodes.map(({ exit }) => exit));
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'model.metrics.json'), 'utf8')).processes).toBe(2);
  }, 60_000);

  it('--resume continues a 2-worker run from its checkpoint, on 2 workers', async () => {
    const run = join(scratch, 'resumed');
    const first = await train(run, '--epochs', '2', '--val-split', '0', '--nproc-per-node', '2', '--master-port', String(await freePort())).exit;
    expect(first.code, first.stderr).toBe(0);
    const again = await train(run, '--epochs', '3', '--val-split', '0', '--resume', '--nproc-per-node', '2', '--master-port', String(await freePort())).exit;
    expect(again.code, again.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(run, 'model.metrics.json'), 'utf8'));
    expect(metrics.history.map((epoch: { epoch: number }) => epoch.epoch)).toEqual([1, 2, 3]);
  }, 60_000);

  it('a worker killed mid-run stops the others; the launcher fails naming it and leaves no worker behind', async () => {
    const run = join(scratch, 'killed');
    const launcher = train(run, '--epochs', '1000', '--nproc-per-node', '2', '--master-port', String(await freePort()));
    await until(() => existsSync(join(run, 'model.best.pt')));
    const workers = childrenOf(launcher.child.pid!);
    expect(workers).toHaveLength(2);
    const victim = workers[1];
    process.kill(victim, 'SIGKILL');
    const { code, stderr } = await launcher.exit;
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/torch-unet: worker \d failed \(exit code (137|1)\)/);
    for (const pid of workers) expect(alive(pid), `worker ${pid}`).toBe(false);
  }, 60_000);

  it('Ctrl-C stops every worker after the same step, keeps the checkpoint, and exits with 130', async () => {
    const run = join(scratch, 'interrupted');
    const launcher = train(run, '--epochs', '1000', '--nproc-per-node', '2', '--master-port', String(await freePort()));
    await until(() => existsSync(join(run, 'model.best.pt')));
    const workers = childrenOf(launcher.child.pid!);
    launcher.child.kill('SIGINT');
    const { code, stderr } = await launcher.exit;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopped after \d+ epoch\(s\)/);
    expect(stderr).not.toMatch(/worker \d failed/); // asked to stop, not failed
    expect(existsSync(join(run, 'model.best.pt'))).toBe(true);
    for (const pid of workers) expect(alive(pid)).toBe(false);
  }, 60_000);
});
