// Two nodes with addresses of their own: two network namespaces joined by a veth pair (iproute2; the test makes and
// removes them), one `torch-unet train` node in each. The rendezvous goes over the veth link, Gloo uses the
// interface named by GLOO_SOCKET_IFNAME (the hostname's address is not reachable from either namespace), and a
// link cut mid-run makes both sides fail within the timeout, each naming the other.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeShapesFolders } from './helpers/folders.js';

const CLI = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-network-'));
const tag = `tu${process.pid % 100000}`;
const nodes = [0, 1].map((index) => ({ namespace: `${tag}-n${index}`, link: `${tag}-v${index}`, address: `10.77.${process.pid % 250}.${index + 1}` }));

/** ip(8) as root: directly when this process is root, else through sudo without a password. */
function ip(...args: string[]): string {
  const [command, rest] = process.getuid?.() === 0 ? ['ip', args] : ['sudo', ['-n', 'ip', ...args]];
  return execFileSync(command, rest, { encoding: 'utf8' });
}

let folders: { images: string; masks: string };
beforeAll(async () => {
  for (const node of nodes) ip('netns', 'add', node.namespace);
  ip('link', 'add', nodes[0].link, 'type', 'veth', 'peer', 'name', nodes[1].link);
  for (const node of nodes) {
    ip('link', 'set', node.link, 'netns', node.namespace);
    ip('netns', 'exec', node.namespace, 'ip', 'addr', 'add', `${node.address}/24`, 'dev', node.link);
    ip('netns', 'exec', node.namespace, 'ip', 'link', 'set', node.link, 'up');
    ip('netns', 'exec', node.namespace, 'ip', 'link', 'set', 'lo', 'up');
  }
  folders = await writeShapesFolders(scratch, { count: 16, size: 32, classes: 1, channels: 1, seed: 4 });
});

afterAll(() => {
  for (const node of nodes) {
    try {
      ip('netns', 'del', node.namespace); // takes its end of the veth pair, and so the pair, with it
    } catch {
      // not made: beforeAll failed before it
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** One node of a 2-node run, in its namespace; settles with its exit code and stderr. */
function node(index: number, run: string, ...args: string[]) {
  const { namespace, link } = nodes[index];
  const command = ['netns', 'exec', namespace, 'env', `GLOO_SOCKET_IFNAME=${link}`, process.execPath, '--import', 'tsx', CLI, 'train',
    '--images', folders.images, '--masks', folders.masks, '--channels', '1', '--size', '32', '--depth', '2', '--base-filters', '8', '--batch', '4',
    '--out', join(run, 'model.pt'), '--nproc-per-node', '1', '--nnodes', '2', '--node-rank', String(index), '--master-addr', nodes[0].address, '--master-port', '29533', ...args];
  const [program, rest] = process.getuid?.() === 0 ? ['ip', command] : ['sudo', ['-n', 'ip', ...command]];
  const child = spawn(program, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('two nodes over a veth link', () => {
  it('train across the link: the rendezvous at node 0, Gloo on the named interfaces', async () => {
    const run = join(scratch, 'ok');
    const [first, second] = await Promise.all([node(0, run, '--epochs', '2'), node(1, run, '--epochs', '2')]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(existsSync(join(run, 'model.pt'))).toBe(true);
  }, 90_000);

  it('a link cut mid-run: both sides fail within the timeout, each naming the other', async () => {
    const run = join(scratch, 'cut');
    const running = [node(0, run, '--epochs', '100000', '--timeout', '8'), node(1, run, '--epochs', '100000', '--timeout', '8')];
    while (!existsSync(join(run, 'model.best.pt'))) await new Promise((resolve) => setTimeout(resolve, 50));
    ip('netns', 'exec', nodes[0].namespace, 'ip', 'link', 'set', nodes[0].link, 'down');
    const cut = performance.now();
    const [first, second] = await Promise.all(running);
    // The timeout, then up to 6 s to find out who is gone, and the launcher's own stop.
    expect(performance.now() - cut).toBeLessThan(30_000);
    expect(first.code).not.toBe(0);
    expect(second.code).not.toBe(0);
    expect(first.stderr).toMatch(/rank 1 stopped answering/);
    expect(second.stderr).toMatch(/rank 0 \(which hosts the rendezvous\) (cannot be reached|does not answer)/);
  }, 90_000);
});
