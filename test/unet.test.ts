import { describe, expect, it } from 'vitest';

import { UNet, type UNetOptions } from '../lib/index.js';
import { maxAbsDifference } from './helpers/oracle.js';
import { randomImages } from './helpers/data.js';
import { loopTurns } from './helpers/loop.js';

describe('UNet.create', () => {
  it('fills the documented defaults', async () => {
    const model = await UNet.create({ baseFilters: 4, device: 'cpu' });
    expect(model.config).toEqual({
      inChannels: 1,
      classes: 1,
      depth: 4,
      baseFilters: 4,
      growth: 2,
      norm: 'batch',
      activation: 'relu',
      upsampling: 'transposed',
      dropout: 0,
    });
    expect(model.device).toBe('cpu');
  });

  it('counts parameters as the architecture implies (the paper U-Net, depth 4, 64 filters: 31.0 M)', async () => {
    // Bias-free 3x3 convolutions followed by batch norm (scale and shift), transposed 2x2 up-convolutions.
    const doubleConv = (i: number, o: number) => 9 * i * o + 9 * o * o + 4 * o;
    const upConv = (i: number, o: number) => 4 * i * o + o;
    const f = [64, 128, 256, 512, 1024];
    let expected = doubleConv(3, 64) + 64 * 2 + 2;
    for (let level = 0; level < 4; level++) {
      expected += doubleConv(f[level], f[level + 1]) + upConv(f[level + 1], f[level]) + doubleConv(2 * f[level], f[level]);
    }
    expect(expected).toBe(31_037_698);
    const paper = await UNet.create({ inChannels: 3, classes: 2, device: 'cpu' });
    expect(paper.parameterCount).toBe(expected);
    paper.dispose();
  });

  it('gives the same weights for the same seed and different ones otherwise', async () => {
    const options = { baseFilters: 4, depth: 2, device: 'cpu' } as const;
    const [a, b, c] = await Promise.all([
      UNet.create({ ...options, seed: 3 }),
      UNet.create({ ...options, seed: 3 }),
      UNet.create({ ...options, seed: 4 }),
    ]);
    const [wa, wb, wc] = await Promise.all([a.stateDict(), b.stateDict(), c.stateDict()]);
    const name = 'inc.conv1.weight';
    expect(maxAbsDifference(wa[name].data, wb[name].data)).toBe(0);
    expect(maxAbsDifference(wa[name].data, wc[name].data)).toBeGreaterThan(0);
  });
});

describe('forward: output shapes over a grid of options', () => {
  const grid: (UNetOptions & { size: [number, number] })[] = [];
  for (const depth of [1, 2, 3, 4, 5, 6]) grid.push({ depth, size: [64, 64] });
  for (const norm of ['batch', 'instance', 'none'] as const) grid.push({ norm, size: [17, 23] });
  for (const activation of ['relu', 'elu', 'leaky_relu'] as const) grid.push({ activation, size: [32, 40] });
  for (const upsampling of ['transposed', 'nearest', 'bilinear'] as const) grid.push({ upsampling, size: [31, 16] });
  grid.push({ classes: 5, inChannels: 3, size: [24, 24] });
  grid.push({ growth: 1.5, dropout: 0.3, size: [50, 18] });
  grid.push({ depth: 3, size: [8, 8] });

  it.each(grid)('%j', async ({ size, ...options }) => {
    const model = await UNet.create({ baseFilters: 4, depth: 3, device: 'cpu', ...options });
    const { inChannels, classes } = model.config;
    const logits = await model.forward(randomImages([2, inChannels, ...size], 1));
    expect(logits.shape).toEqual([2, classes, ...size]);
    expect(logits.dtype).toBe('float32');
    expect(logits.data.every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});

describe('forward', () => {
  it('is deterministic in eval mode (dropout off, running statistics used)', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, dropout: 0.5, device: 'cpu', seed: 1 });
    const x = randomImages([1, 1, 16, 16], 2);
    const [first, second] = await Promise.all([model.forward(x), model.forward(x)]);
    expect(maxAbsDifference(first.data, second.data)).toBe(0);
  });

  it('treats each image of a batch independently', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const batch = randomImages([2, 1, 16, 16], 3);
    const second = { data: batch.data.slice(256), shape: [1, 1, 16, 16] };
    const [both, alone] = await Promise.all([model.forward(batch), model.forward(second)]);
    expect(maxAbsDifference(both.data.slice(256), alone.data)).toBeLessThan(1e-5);
  });

  it('accepts float64 images', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const x = randomImages([1, 1, 16, 16], 4);
    const [a, b] = await Promise.all([model.forward(x), model.forward({ data: Float64Array.from(x.data), shape: x.shape })]);
    expect(maxAbsDifference(a.data, b.data)).toBe(0);
  });

  it('runs the operations of one model one at a time, in call order', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const before = await model.stateDict();
    const zeros = Object.fromEntries(
      Object.entries(before).map(([name, value]) => [name, { data: new Float32Array(value.data.length), shape: value.shape }]),
    );
    const x = randomImages([1, 1, 16, 16], 5);
    // Queued in this order: forward with the old weights, load zeros, forward with zeros.
    const first = model.forward(x);
    const load = model.loadStateDict(zeros);
    const second = model.forward(x);
    const [withOld, , withZeros] = await Promise.all([first, load, second]);
    expect(withOld.data.some((value) => value !== 0)).toBe(true);
    expect(withZeros.data.every((value) => value === 0)).toBe(true);
  });
});

describe('the event loop', () => {
  it('stays free while a forward pass runs on a worker thread', async () => {
    const model = await UNet.create({ baseFilters: 16, depth: 4, device: 'cpu', seed: 1 });
    const images = randomImages([4, 1, 256, 256], 7);
    const turns = loopTurns();
    await model.forward(images);
    // A blocked loop would turn at most once; a free one turns every millisecond or so of the pass.
    const count = turns.stop();
    expect(count).toBeGreaterThan(20);
  });
});

describe('dispose', () => {
  it('lets queued work finish, then rejects later calls', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu' });
    const pending = model.forward(randomImages([1, 1, 16, 16], 6));
    model.dispose();
    expect(model.disposed).toBe(true);
    await expect(pending).resolves.toMatchObject({ shape: [1, 1, 16, 16] });
    await expect(model.forward(randomImages([1, 1, 16, 16], 6))).rejects.toThrow('forward: the model has been disposed');
    await expect(model.predict(randomImages([1, 1, 16, 16], 6))).rejects.toThrow('predict: the model has been disposed');
    await expect(model.stateDict()).rejects.toThrow('disposed');
    expect(() => model.config).toThrow('disposed');
  });

  it('happens at the end of a `using` block', async () => {
    let escaped: UNet;
    {
      using model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu' });
      escaped = model;
      expect(model.disposed).toBe(false);
    }
    expect(escaped.disposed).toBe(true);
  });
});
