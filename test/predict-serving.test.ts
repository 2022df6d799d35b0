// predict as a server uses it: many concurrent callers, each with its own result; the event loop stays
// free; memory does not grow with the number of calls.
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { describe, expect, it } from 'vitest';

import { UNet, type Tensor } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { maxAbsDifference } from './helpers/oracle.js';

describe('serving', () => {
  it('gives each of 32 concurrent callers its own result, in call order, with the loop free (p99 < 5 ms)', async () => {
    const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 1 });
    const inputs = Array.from({ length: 32 }, (_, i) => randomImages([1, 1, 64, 64], 100 + i));
    const expected: Tensor[] = [];
    for (const input of inputs) expected.push(await model.predict(input, { output: 'logits' }));
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const finished: number[] = [];
    const results = await Promise.all(
      inputs.map((input, i) => model.predict(input, { output: 'logits' }).then((result) => (finished.push(i), result))),
    );
    histogram.disable();
    results.forEach((result, i) => expect(maxAbsDifference(result.data, expected[i].data), `caller ${i}`).toBe(0));
    expect(finished).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(histogram.percentile(99) / 1e6).toBeLessThan(5);
  });

  it('does not leak: 10,000 calls leave the resident memory within 5% of where it was after the first 100', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 2 });
    const input = randomImages([1, 1, 32, 32], 3);
    const run = async (count: number) => {
      for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: 50 }, () => model.predict(input)));
    };
    await run(100);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    await run(9900);
    global.gc?.();
    const after = process.memoryUsage().rss;
    expect(after / baseline).toBeLessThan(1.05);
  }, 600_000);
});
