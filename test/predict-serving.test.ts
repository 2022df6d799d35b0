// predict as a server uses it: many concurrent callers, each with its own result; the event loop stays
// free; memory does not grow with the number of calls.
import { describe, expect, it, vi } from 'vitest';

import { PredictBatcher } from '../lib/inference/batcher.js';
import { QueueFullError, UNet, type Tensor, type TensorLike } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { loopTurns } from './helpers/loop.js';
import { maxAbsDifference } from './helpers/oracle.js';

describe('serving', () => {
  it('gives each of 32 concurrent callers its own result, in call order, with the loop turning meanwhile', async () => {
    const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 1 });
    const inputs = Array.from({ length: 32 }, (_, i) => randomImages([1, 1, 128, 128], 100 + i));
    const expected: Tensor[] = [];
    for (const input of inputs) expected.push(await model.predict(input, { output: 'logits' }));
    const finished: number[] = [];
    const turnsAtFinish: number[] = [];
    const turns = loopTurns();
    const results = await Promise.all(
      inputs.map((input, i) =>
        model.predict(input, { output: 'logits' }).then((result) => (finished.push(i), turnsAtFinish.push(turns.count), result)),
      ),
    );
    turns.stop();
    results.forEach((result, i) => expect(maxAbsDifference(result.data, expected[i].data), `caller ${i}`).toBe(0));
    expect(finished).toEqual(Array.from({ length: 32 }, (_, i) => i));
    // Timers keep firing while the calls run: a loop held by each call would turn at most once a call.
    expect(turnsAtFinish[31]).toBeGreaterThan(32);
  });

  it('coalesces concurrent calls into batches with dynamic batching, each caller getting its own result', async () => {
    const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 1 });
    const inputs = Array.from({ length: 20 }, (_, i) => randomImages([1 + (i % 2), 1, 32, 32], 200 + i));
    const expected: Tensor[] = [];
    for (const input of inputs) expected.push(await model.predict(input, { output: 'probabilities' }));
    const batching = { maxBatchSize: 8, maxQueueDelayMs: 5 };
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
    await expect(model.predict(inputs[0], { batching: { maxBatchSize: 0, maxQueueDelayMs: 1 } })).rejects.toThrow('options.batching.maxBatchSize');
    await expect(model.predict(inputs[0], { batching: { maxBatchSize: 4 } } as never)).rejects.toThrow('options.batching: expected { maxBatchSize, maxQueueDelayMs, maxQueueSize? }');
  });

  it('rejects an aborted call with the signal\'s reason, batched or not, and checks options.signal', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const image = randomImages([1, 1, 32, 32], 5);
    await expect(model.predict(image, { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    const controller = new AbortController();
    const batched = model.predict(image, { batching: { maxBatchSize: 4, maxQueueDelayMs: 10_000 }, signal: controller.signal });
    controller.abort(new Error('client left'));
    await expect(batched).rejects.toThrow('client left');
    await expect(model.predict(image, { signal: 'no' as never })).rejects.toThrow('options.signal: expected an AbortSignal');
    expect((await model.predict(image)).shape).toEqual([1, 1, 32, 32]);
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

/** A batcher whose batches wait until the test releases them, recording each batch's callers by their first value. */
function heldBatcher() {
  const batcher = new PredictBatcher();
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const buffers: ArrayBufferLike[] = [];
  const run = (images: TensorLike) =>
    new Promise<Tensor>((resolve) => {
      buffers.push(images.data.buffer);
      const data = Float32Array.from(images.data as Float32Array, (value) => value * 10);
      batches.push(Array.from({ length: images.shape[0] }, (_, i) => images.data[i] as number));
      releases.push(() => resolve({ data, shape: [...images.shape], dtype: 'float32' }));
    });
  const call = (value: number, options: Parameters<PredictBatcher['predict']>[2], signal?: AbortSignal) =>
    batcher.predict('key', { data: Float32Array.of(value), shape: [1] }, options, run, signal).then((result) => result.data[0] as number);
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { batcher, batches, buffers, releases, call, settle };
}

describe('PredictBatcher', () => {
  it('runs one batch at a time: calls that arrive while a batch runs form the next, up to maxBatchSize', async () => {
    const { batches, releases, call, settle } = heldBatcher();
    const options = { maxBatchSize: 4, maxQueueDelayMs: 0 };
    const first = call(1, options);
    const rest = [2, 3, 4, 5, 6].map((value) => call(value, options));
    await settle();
    expect(batches).toEqual([[1]]);
    releases[0]();
    await settle();
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    releases[1]();
    await settle();
    releases[2]();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4, 5], [6]]);
  });

  it("settles a batch's callers in turns of their own, in call order, and reuses the batch's buffer", async () => {
    const { batches, buffers, releases, call, settle } = heldBatcher();
    const options = { maxBatchSize: 3, maxQueueDelayMs: 0 };
    const events: string[] = [];
    const traced = (value: number) =>
      call(value, options).then((result) => {
        events.push(`caller ${value}`);
        queueMicrotask(() => events.push(`after ${value}`));
        return result;
      });
    const first = call(1, options);
    await settle();
    const batch = [2, 3, 4].map(traced);
    const next = [5, 6].map((value) => call(value, options));
    releases[0]();
    await first;
    await settle();
    releases[1]();
    expect(await Promise.all(batch)).toEqual([20, 30, 40]);
    // Each caller's own work (its microtasks) ends before the next caller is settled.
    expect(events).toEqual(['caller 2', 'after 2', 'caller 3', 'after 3', 'caller 4', 'after 4']);
    await settle();
    releases[2]();
    expect(await Promise.all(next)).toEqual([50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    expect(buffers[2]).toBe(buffers[1]);
  });

  it('drops an aborted waiting call from its batch, rejects an aborted running one, and refuses calls past maxQueueSize', async () => {
    const { batcher, batches, releases, call, settle } = heldBatcher();
    const options = { maxBatchSize: 8, maxQueueDelayMs: 0, maxQueueSize: 2 };
    const running = new AbortController();
    const first = call(1, options, running.signal);
    await settle();
    const waiting = new AbortController();
    const second = call(2, options, waiting.signal);
    const third = call(3, options);
    expect(batcher.queued).toBe(2);
    await expect(call(4, options)).rejects.toBeInstanceOf(QueueFullError);
    waiting.abort(new Error('client gone'));
    await expect(second).rejects.toThrow('client gone');
    expect(batcher.queued).toBe(1);
    running.abort();
    await expect(first).rejects.toThrow(/aborted/);
    releases[0]();
    await settle();
    expect(batches).toEqual([[1], [3]]);
    releases[1]();
    expect(await third).toBe(30);
    expect(batcher.queued).toBe(0);
  });

  it('holds a batch until it is full or its first call has waited maxQueueDelayMs', async () => {
    const { batches, releases, call, settle } = heldBatcher();
    const full = [call(1, { maxBatchSize: 2, maxQueueDelayMs: 60_000 })];
    await settle();
    expect(batches).toEqual([]);
    full.push(call(2, { maxBatchSize: 2, maxQueueDelayMs: 60_000 }));
    await settle();
    expect(batches).toEqual([[1, 2]]);
    releases[0]();
    expect(await Promise.all(full)).toEqual([10, 20]);
    const alone = call(3, { maxBatchSize: 8, maxQueueDelayMs: 20 });
    await vi.waitFor(() => expect(batches).toEqual([[1, 2], [3]]));
    releases[1]();
    expect(await alone).toBe(30);
  });
});
