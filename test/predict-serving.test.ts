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

  it('coalesces concurrent calls into batches with dynamic batching, each caller getting its own result', async () => {
    const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 1 });
    const inputs = Array.from({ length: 20 }, (_, i) => randomImages([1 + (i % 2), 1, 32, 32], 200 + i));
    const expected: Tensor[] = [];
    for (const input of inputs) expected.push(await model.predict(input, { output: 'probabilities' }));
    const batching = { maxBatch: 8, maxDelayMs: 5 };
    const results = await Promise.all(inputs.map((input) => model.predict(input, { output: 'probabilities', batching })));
    results.forEach((result, i) => {
      expect(result.shape, `caller ${i}`).toEqual(expected[i].shape);
      expect(maxAbsDifference(result.data, expected[i].data), `caller ${i}`).toBeLessThan(1e-5);
    });
    // Calls whose images differ in size are never mixed: each gets its own batch.
    const [small, large] = await Promise.all([
      model.predict(randomImages([1, 1, 16, 16], 1), { batching }),
      model.predict(randomImages([1, 1, 40, 40], 2), { batching }),
    ]);
    expect([small.shape, large.shape]).toEqual([[1, 1, 16, 16], [1, 1, 40, 40]]);
    await expect(model.predict(inputs[0], { batching: { maxBatch: 0, maxDelayMs: 1 } })).rejects.toThrow('options.batching.maxBatch');
    await expect(model.predict(inputs[0], { batching: { maxBatch: 4 } } as never)).rejects.toThrow('options.batching: expected { maxBatch, maxDelayMs }');
  });

  it('does not leak: 10,000 calls leave the resident memory within 5% of where it was after the first 100', async () => {
    expect(global.gc, 'the test workers run with --expose-gc (vitest.config.ts)').toBeTypeOf('function');
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 2 });
    // 64x64: a call's input (16 KB), mask (4 KB) and activations (64 KB a layer), leaked 10,000 times, would
    // be far above 5% of the resident memory (about 250 MB, mostly libtorch).
    const input = randomImages([1, 1, 64, 64], 3);
    // Garbage is collected every 500 calls, as a server's collector would: results waiting for a collection
    // hold their native buffers, and V8 lets its young generation grow to megabytes before it collects.
    const residentAfter = async (calls: number) => {
      for (let done = 0; done < calls; done += 50) {
        await Promise.all(Array.from({ length: 50 }, () => model.predict(input))); // 50 callers at a time
        if ((done + 50) % 500 === 0) global.gc!();
      }
      global.gc!();
      return process.memoryUsage().rss;
    };
    const baseline = await residentAfter(100);
    const after = await residentAfter(10_000);
    expect(after / baseline).toBeLessThan(1.05);
  }, 600_000);
});
