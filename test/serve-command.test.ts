// `torch-unet serve` as a user runs it (a child process on a real port): it answers, with every thread but the
// event loop's at nice 10, SIGTERM lets the request in flight finish before the exit (code 0), and a bad --model is a usage error.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NUCLEI_IMAGE, nucleiModel } from './helpers/nuclei.js';
import { threads } from './helpers/threads.js';

const CLI = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-serve-'));
const modelFile = join(scratch, 'nuclei.pt');

beforeAll(async () => {
  const model = await nucleiModel();
  await model.save(modelFile);
  model.dispose();
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('torch-unet serve', () => {
  it('serves until SIGTERM, finishes the request in flight, then exits 0', async () => {
    // A long queue delay keeps the request in flight when SIGTERM comes.
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--model', `nuclei=${modelFile}`, '--class-names', 'nuclei=background,nucleus', '--port', '0', '--json', '--max-queue-delay-ms', '1500'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Record<string, unknown>[] = [];
    const lines = createInterface({ input: child.stdout });
    const listening = new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const event = JSON.parse(line);
        events.push(event);
        if (event.type === 'listening') resolve(event.address);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const address = await listening;
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${address}/v2/health/ready`)).status).toBe(200);
    const metadata = (await (await fetch(`${address}/v2/models/nuclei`)).json()) as { parameters: { classNames: string[] } };
    expect(metadata.parameters.classNames).toEqual(['background', 'nucleus']);
    // Every thread but the event loop's runs at nice 10 (serve's default), libtorch's included; the loop's at 0.
    const { [child.pid!]: loop, ...others } = Object.fromEntries(threads(child.pid!));
    expect(loop.nice).toBe(0);
    expect(Object.keys(others).length).toBeGreaterThan(8); // V8's helpers, libuv's pool, libtorch's threads
    expect(Object.entries(others).filter(([, thread]) => thread.nice !== 10)).toEqual([]);
    const inFlight = fetch(`${address}/v1/models/nuclei/segment`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: readFileSync(NUCLEI_IMAGE) });
    // Once the request waits in the queue, SIGTERM; it is answered, then the process exits 0.
    for (let tries = 0; ; tries++) {
      const metrics = await (await fetch(`${address}/metrics`)).text();
      if (metrics.includes('torch_unet_queue_depth{model="nuclei"} 1')) break;
      expect(tries, 'the request never reached the queue').toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { classes: { pixels: number }[] }).classes[1].pixels).toBeGreaterThan(0);
    expect(await exited, stderr).toBe(0);
    expect(events.map((event) => event.type)).toEqual(['listening', 'message', 'stopped']);
    expect(events[1].text).toBe('SIGTERM: draining the requests in flight');
  }, 60_000);

  it('refuses a --model that is not NAME=FILE, --class-names of no model or of the wrong count, and a file that is no model', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], { encoding: 'utf8', timeout: 60_000 });
    const noName = run('--model', modelFile, '--port', '0');
    expect([noName.status, noName.stderr.trim()]).toEqual([1, `torch-unet: --model: expected NAME=FILE, got '${modelFile}'`]);
    const unknown = run('--model', `a=${modelFile}`, '--class-names', 'b=background,cell', '--port', '0');
    expect([unknown.status, unknown.stderr.trim()]).toEqual([1, "torch-unet: --class-names: no --model is named 'b'"]);
    const miscounted = run('--model', `a=${modelFile}`, '--class-names', 'a=background,cell,debris', '--port', '0');
    expect([miscounted.status, miscounted.stderr.trim()]).toEqual([1, 'torch-unet: options.models.a.classNames: expected 2 names (one per mask value, background first), got 3']);
    const missing = run('--model', `a=${join(scratch, 'none.pt')}`, '--port', '0');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('none.pt');
    const twice = run('--model', `a=${modelFile}`, '--model', `a=${modelFile}`, '--port', '0');
    expect(twice.stderr.trim()).toBe("torch-unet: --model: the name 'a' is given twice");
    expect(run('--port', '0').status).toBe(2);
  }, 120_000);
});
