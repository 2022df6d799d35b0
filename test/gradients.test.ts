import { describe, expect, it } from 'vitest';

import { UNet } from '../lib/index.js';
import { randomImages, randomLabels } from './helpers/data.js';
import { maxAbs, maxAbsDifference } from './helpers/oracle.js';

describe('gradients', () => {
  it.each([
    { classes: 1, norm: 'batch', upsampling: 'transposed' },
    { classes: 3, norm: 'instance', upsampling: 'bilinear' },
    { classes: 2, norm: 'none', upsampling: 'nearest', dropout: 0.2 },
  ] as const)('reach every parameter: %j', async (options) => {
    const model = await UNet.create({ baseFilters: 4, depth: 3, device: 'cpu', seed: 5, ...options });
    const images = randomImages([2, 1, 24, 24], 1);
    const targets = options.classes === 1
      ? { data: Float32Array.from(randomLabels([2, 1, 24, 24], 2, 2).data), shape: [2, 1, 24, 24] }
      : randomLabels([2, 24, 24], options.classes, 2);
    const { loss, gradients } = await model.gradients(images, targets);
    expect(loss).toBeGreaterThan(0);
    const parameters = await model.stateDict();
    const parameterNames = Object.keys(parameters).filter((name) => !/running_|num_batches/.test(name));
    expect(Object.keys(gradients).sort()).toEqual(parameterNames.sort());
    for (const [name, gradient] of Object.entries(gradients)) {
      expect(gradient.shape, name).toEqual(parameters[name].shape);
      expect(gradient.data.every(Number.isFinite), name).toBe(true);
      expect(maxAbs(gradient.data), name).toBeGreaterThan(0);
    }
  });

  it('leave the weights and batch-norm statistics as they were', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 6 });
    const before = await model.stateDict();
    const images = randomImages([2, 1, 16, 16], 3);
    await model.gradients(images, { data: new Float32Array(2 * 256).fill(1), shape: [2, 1, 16, 16] });
    const after = await model.stateDict();
    for (const name of Object.keys(before)) expect(maxAbsDifference(before[name].data, after[name].data), name).toBe(0);
  });

  it('follow the chosen loss, and a numerical derivative', async () => {
    const model = await UNet.create({ baseFilters: 2, depth: 1, norm: 'none', device: 'cpu', seed: 7 });
    const images = randomImages([1, 1, 8, 8], 4);
    const targets = { data: Float32Array.from(randomLabels([1, 1, 8, 8], 2, 5).data), shape: [1, 1, 8, 8] };
    const loss = { name: 'bce', reduction: 'sum' } as const;
    const { gradients } = await model.gradients(images, targets, loss);
    // d loss / d head bias by central differences, through loadStateDict and forward in float32.
    const state = await model.stateDict();
    const bias = state['head.conv.bias'].data as Float32Array;
    const lossWithBias = async (value: number) => {
      const shifted = { ...state, 'head.conv.bias': { data: new Float32Array([value]), shape: [1] } };
      await model.loadStateDict(shifted);
      return (await model.gradients(images, targets, loss)).loss;
    };
    const h = 1e-2;
    const numeric = ((await lossWithBias(bias[0] + h)) - (await lossWithBias(bias[0] - h))) / (2 * h);
    expect(gradients['head.conv.bias'].data[0]).toBeCloseTo(numeric, 2);
  });
});
