// A process killed in the middle of save() leaves the previous file intact: save writes a temporary file,
// flushes it, then renames it over the target.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { expect, it } from 'vitest';

import { UNet } from '../lib/index.js';
import { maxAbsDifference } from './helpers/oracle.js';

it('survives SIGKILL in the middle of save', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'torch-unet-atomic-'));
  const path = join(folder, 'model.pt');
  const temporaryFile = () => readdirSync(folder).find((name) => name.startsWith('model.pt.tmp-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'save-loop.ts'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  let saves = 0;
  let killedWhileWriting = false;
  for await (const line of lines) {
    if (line.startsWith('saved')) saves++;
    // After a few complete saves, kill the child as soon as the next save has started writing its file.
    if (saves >= 3 && line.startsWith('saving')) {
      const deadline = Date.now() + 5000;
      while (!temporaryFile() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      killedWhileWriting = temporaryFile() !== undefined && child.kill('SIGKILL');
      break;
    }
  }
  await new Promise((resolve) => child.once('exit', resolve));
  expect(killedWhileWriting).toBe(true);
  // The half-written temporary file is what the kill left behind; the model file itself is whole.
  expect(existsSync(join(folder, temporaryFile() as string))).toBe(true);
  expect(statSync(path).size).toBeGreaterThan(30e6);

  const loaded = await UNet.load(path, { device: 'cpu' });
  const weights = (await loaded.stateDict())['inc.conv1.weight'].data;
  const candidates = await Promise.all([1, 2].map(async (seed) => (await (await UNet.create({ baseFilters: 32, depth: 4, device: 'cpu', seed })).stateDict())['inc.conv1.weight'].data));
  expect(Math.min(...candidates.map((candidate) => maxAbsDifference(candidate, weights)))).toBe(0);
});
