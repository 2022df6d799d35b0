// The compute thread: no libuv pool thread waits for libtorch work, and the intra-op threads are those of the
// thread that runs it.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { backendInfo, setThreads, UNet } from '../lib/index.js';
import { randomImages } from './helpers/data.js';

describe('the compute thread', () => {
  it('leaves the libuv pool free: with one pool thread, a file read after four predicts on four models settles first', () => {
    const script = join(import.meta.dirname, 'helpers', 'pool-order.ts');
    const output = execFileSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    expect(output.trim().split('\n')).toEqual(['readFile', 'predict 1', 'predict 2', 'predict 3', 'predict 4']);
  });

  it('runs with the threads setThreads gave it, and reports them', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const x = randomImages([1, 1, 16, 16], 2);
    const before = await model.forward(x);
    setThreads(1);
    expect(backendInfo().threads).toBe(1);
    expect((await model.forward(x)).data).toEqual(before.data);
    setThreads(2);
    expect(backendInfo().threads).toBe(2);
    setThreads(availableParallelism());
    expect(backendInfo().threads).toBe(availableParallelism());
  });
});
