import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { UNet, type FitOptions } from '../lib/index.js';
import { loopTurns } from './helpers/loop.js';
import { maxAbsDifference } from './helpers/oracle.js';
import { discs } from './helpers/shapes.js';

const small = { baseFilters: 4, depth: 2, device: 'cpu', seed: 1 } as const;
const data = discs(24, 16, 1);
const quick: FitOptions = { epochs: 3, batchSize: 6, lr: 1e-2, seed: 5 };

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'torch-unet-'));
}

describe('fit', () => {
  it('learns: the loss falls and the validation Dice rises; callbacks hear every step and epoch', async () => {
    const model = await UNet.create(small);
    const steps: number[] = [];
    const epochs: number[] = [];
    const history = await model.fit(data, {
      ...quick,
      epochs: 8,
      validationSplit: 0.25,
      onBatchEnd: (step) => void steps.push(step),
      onEpochEnd: (epoch) => void epochs.push(epoch),
    });
    expect(history).toHaveLength(8);
    expect(history.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(history[7].loss).toBeLessThan(history[0].loss * 0.8);
    expect(history[7].valDice).toBeGreaterThan(0.5);
    expect(history[7].valIoU).toBeLessThanOrEqual(history[7].valDice as number);
    // 18 training images (6 held out), batches of 6: 3 steps an epoch.
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const entry of history) {
      expect(entry.lr).toBe(1e-2);
      expect(entry.imagesPerSecond).toBeGreaterThan(0);
      expect(entry.seconds).toBeGreaterThan(0);
    }
    expect(model.history).toEqual(history);
  });

  it('gives the same history for the same seed on CPU, augmentation and dropout included', async () => {
    const options: FitOptions = { ...quick, augment: true, validationSplit: 0.25 };
    const run = async () => (await UNet.create({ ...small, dropout: 0.2 })).fit(data, options);
    const [first, second] = [await run(), await run()];
    expect(second.map((e) => [e.loss, e.valLoss, e.valDice])).toEqual(first.map((e) => [e.loss, e.valLoss, e.valDice]));
    const other = await (await UNet.create({ ...small, dropout: 0.2 })).fit(data, { ...options, seed: 6 });
    expect(other.map((e) => e.loss)).not.toEqual(first.map((e) => e.loss));
  });

  it('reports null validation scores without validation data, and uses given validation data', async () => {
    const model = await UNet.create(small);
    const [entry] = await model.fit(data, { ...quick, epochs: 1 });
    expect(entry).toMatchObject({ valLoss: null, valDice: null, valIoU: null });
    const [validated] = await model.fit(data, { ...quick, epochs: 1, validation: discs(4, 16, 2) });
    expect(validated.valLoss).toBeGreaterThan(0);
  });

  it('follows the schedules: cosine, poly and plateau', async () => {
    const model = await UNet.create(small);
    const lr = 1e-2;
    const cosine = await model.fit(data, { ...quick, epochs: 4, schedule: 'cosine' });
    expect(cosine.map((e) => e.lr)).toEqual([0, 1, 2, 3].map((e) => expect.closeTo((lr * (1 + Math.cos((Math.PI * e) / 4))) / 2, 12)));
    const poly = await model.fit(data, { ...quick, epochs: 4, schedule: 'poly' });
    expect(poly.map((e) => e.lr)).toEqual([0, 1, 2, 3].map((e) => expect.closeTo(lr * (1 - e / 4) ** 0.9, 12)));
    // Weights that a tiny learning rate cannot move, and no batch norm: the validation loss stays the same, so
    // plateau halves the rate after every epoch past the first (patience 0).
    const frozen = await UNet.create({ ...small, norm: 'none' });
    const plateau = await frozen.fit(data, {
      ...quick,
      lr: 1e-12,
      epochs: 4,
      validationSplit: 0.25,
      schedule: { name: 'plateau', factor: 0.5, patience: 0 },
    });
    expect(plateau.map((e) => e.lr)).toEqual([1e-12, 1e-12, 5e-13, 2.5e-13]);
  });

  it('stops early when the validation Dice stops improving', async () => {
    const model = await UNet.create({ ...small, norm: 'none' });
    const history = await model.fit(data, { ...quick, lr: 1e-12, epochs: 10, validationSplit: 0.25, earlyStopping: { patience: 2 } });
    expect(history).toHaveLength(3);
  });

  it('awaits Promise-returning callbacks before settling', async () => {
    const model = await UNet.create(small);
    let finished = 0;
    await model.fit(data, {
      ...quick,
      onEpochEnd: () => new Promise<void>((resolve) => setTimeout(() => resolve(void finished++), 30)),
    });
    expect(finished).toBe(3);
  });

  it('stops and rejects with the error of a callback that throws; the model stays usable', async () => {
    const model = await UNet.create(small);
    const failure = new Error('callback failed');
    await expect(
      model.fit(data, {
        ...quick,
        epochs: 50,
        onBatchEnd: (step) => {
          if (step === 2) throw failure;
        },
      }),
    ).rejects.toBe(failure);
    await expect(model.forward(data.images)).resolves.toMatchObject({ shape: [24, 1, 16, 16] });
  });

  it('stops between batches on an AbortSignal, rejecting with an AbortError that holds the history so far', async () => {
    const model = await UNet.create(small);
    const controller = new AbortController();
    const result = model.fit(data, {
      ...quick,
      epochs: 1000,
      onEpochEnd: (epoch) => {
        if (epoch === 2) controller.abort();
      },
      signal: controller.signal,
    });
    const error = (await result.then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { history: unknown[] };
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(error.history.length).toBeGreaterThanOrEqual(2);
    expect(error.history.length).toBeLessThan(1000);
    await expect(model.fit(data, { ...quick, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('keeps the event loop free while it trains: timers fire during the batches, not only between them', async () => {
    const model = await UNet.create({ ...small, baseFilters: 8 });
    let batches = 0;
    const turns = loopTurns();
    await model.fit(discs(16, 64, 3), { epochs: 2, batchSize: 4, onBatchEnd: () => void batches++ });
    const count = turns.stop();
    expect(batches).toBe(8);
    // A loop held during each batch would turn about once a batch.
    expect(count).toBeGreaterThan(4 * batches);
  });
});

describe('checkpoints and resuming', () => {
  it('keeps the best epoch by the monitored value', async () => {
    const path = join(scratch(), 'best.pt');
    const model = await UNet.create(small);
    const history = await model.fit(data, { ...quick, epochs: 4, checkpoint: { path, monitor: 'loss' } });
    const best = history.reduce((a, b) => (b.loss < a.loss ? b : a));
    const restored = await UNet.load(path, { device: 'cpu' });
    expect(restored.history.at(-1)?.epoch).toBe(best.epoch);
    expect(restored.config).toEqual(model.config);
  });

  it('resumes where it stopped: 4 epochs stopped from onEpochEnd after 2, then resumed, give the history of 4 straight', async () => {
    const path = join(scratch(), 'half.pt');
    const options: FitOptions = { ...quick, epochs: 4, augment: true, validationSplit: 0.25, schedule: 'cosine' };
    const straight = await (await UNet.create(small)).fit(data, options);
    const first = await UNet.create(small);
    const controller = new AbortController();
    // A slow callback: the next epoch must not start meanwhile, or the saved weights would be past epoch 2.
    const onEpochEnd = (epoch: number) => {
      if (epoch !== 2) return;
      const until = performance.now() + 200;
      while (performance.now() < until);
      controller.abort();
    };
    await expect(first.fit(data, { ...options, onEpochEnd, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(first.history).toHaveLength(2);
    await first.save(path);
    const second = await UNet.create(small);
    const resumed = await second.fit(data, { ...options, resumeFrom: path });
    expect(resumed.map((e) => [e.epoch, e.loss, e.lr, e.valDice])).toEqual(straight.map((e) => [e.epoch, e.loss, e.lr, e.valDice]));
  });

  it('save and load keep the weights exactly', async () => {
    const path = join(scratch(), 'model.pt');
    const model = await UNet.create({ ...small, classes: 3, norm: 'instance' });
    await model.save(path);
    const loaded = await UNet.load(path);
    expect(loaded.config).toEqual(model.config);
    const [a, b] = await Promise.all([model.forward(data.images), loaded.forward(data.images)]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe('trainStep', () => {
  it('lowers the loss on a batch step after step, with a persistent optimiser', async () => {
    const model = await UNet.create(small);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push((await model.trainStep(data.images, data.masks, { lr: 1e-2 })).loss);
    expect(losses[5]).toBeLessThan(losses[0]);
  });
});

describe('fit over an async iterable of batches', () => {
  it('trains epoch after epoch over a re-iterable source, with validation and callbacks', async () => {
    const model = await UNet.create(small);
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let start = 0; start < 24; start += 6) {
          const slice = (t: { data: Float32Array | Uint8Array; shape: number[] }) => ({
            data: t.data.slice(start * 256, (start + 6) * 256),
            shape: [6, ...t.shape.slice(1)],
          });
          yield { images: slice(data.images), masks: slice(data.masks) };
        }
      },
    };
    const steps: number[] = [];
    const history = await model.fit(source, { epochs: 5, lr: 1e-2, validation: discs(6, 16, 9), onBatchEnd: (step) => void steps.push(step) });
    expect(history).toHaveLength(5);
    expect(steps).toHaveLength(20);
    expect(history[4].loss).toBeLessThan(history[0].loss);
    expect(history[4].valDice).toBeGreaterThan(0);
    await expect(model.fit(source, { augment: true })).rejects.toThrow('options.augment: not supported when fit reads batches');
    // fit's own options (seed, batchSize for validation) are taken, and checked as in-memory fit checks them.
    expect(await model.fit(source, { epochs: 1, seed: 3, batchSize: 4, validation: discs(6, 16, 9) })).toHaveLength(1);
    await expect(model.fit(source, { epochs: 0 })).rejects.toThrow('options.epochs: expected an integer from 1 to 1000000, got 0');
  });
});

describe('evaluate', () => {
  it('scores a perfect prediction as Dice 1 and an empty one as 0', async () => {
    const model = await UNet.create({ ...small, norm: 'none' });
    // A head bias of +1000 makes every pixel foreground; of -1000, none.
    const state = await model.stateDict();
    const zeroed = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, { data: new Float32Array(v.data.length), shape: v.shape }]));
    const allForeground = { ...zeroed, 'head.conv.bias': { data: new Float32Array([1000]), shape: [1] } };
    await model.loadStateDict(allForeground);
    const full = { images: data.images, masks: { data: new Uint8Array(24 * 256).fill(1), shape: [24, 1, 16, 16] } };
    expect(await model.evaluate(full)).toMatchObject({ dice: 1, iou: 1 });
    const scores = await model.evaluate(data);
    expect(scores.dice).toBeGreaterThan(0);
    expect(scores.dice).toBeLessThan(1);
    const empty = { images: data.images, masks: { data: new Uint8Array(24 * 256), shape: [24, 1, 16, 16] } };
    expect(await model.evaluate(empty)).toMatchObject({ dice: null, iou: null });
  });
});

describe('while fit runs', () => {
  it("the model's other operations (forward, predict) wait their turn", async () => {
    const model = await UNet.create(small);
    const order: string[] = [];
    const fitting = model.fit(data, quick).then(() => order.push('fit'));
    const forward = model.forward(data.images).then(() => order.push('forward'));
    const predicted = model.predict(data.images, { output: 'logits' }).then((result) => (order.push('predict'), result));
    expect(model.history).toEqual([]);
    const [, , during] = await Promise.all([fitting, forward, predicted]);
    expect(order).toEqual(['fit', 'forward', 'predict']);
    expect(model.history).toHaveLength(3);
    // predict ran on the trained weights, not on a snapshot from before fit.
    const after = await model.predict(data.images, { output: 'logits' });
    expect(maxAbsDifference(during.data, after.data)).toBe(0);
  });
});
