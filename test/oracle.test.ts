// The same weights and input give the same logits, loss and gradients as the PyTorch reference U-Net
// (test/reference/unet.py) run by python3-torch on the same libtorch.
import { describe, expect, it } from 'vitest';

import { UNet, type Tensor, type UNetOptions } from '../lib/index.js';
import { decode, maxAbs, maxAbsDifference, runOracle } from './helpers/oracle.js';

interface Encoded {
  dtype: 'float32';
  shape: number[];
  b64: string;
}

interface UNetCase {
  state: Record<string, Encoded>;
  x: Encoded;
  target: Encoded;
  logits: Encoded;
  loss: number;
  gradients: Record<string, Encoded>;
  parameterCount: number;
}

const cases: { title: string; config: Required<Omit<UNetOptions, 'device' | 'seed' | 'dropout'>>; shape: number[] }[] = [
  {
    title: 'binary, batch norm, relu, transposed, size not a multiple of 2^depth',
    config: { inChannels: 1, classes: 1, depth: 3, baseFilters: 8, growth: 2, norm: 'batch', activation: 'relu', upsampling: 'transposed' },
    shape: [2, 1, 30, 44],
  },
  {
    title: '3 classes, RGB, instance norm, elu, bilinear',
    config: { inChannels: 3, classes: 3, depth: 2, baseFilters: 6, growth: 2, norm: 'instance', activation: 'elu', upsampling: 'bilinear' },
    shape: [2, 3, 20, 24],
  },
  {
    title: '2 classes, no norm, leaky_relu, nearest, growth 1.5, depth 4',
    config: { inChannels: 2, classes: 2, depth: 4, baseFilters: 5, growth: 1.5, norm: 'none', activation: 'leaky_relu', upsampling: 'nearest' },
    shape: [3, 2, 33, 47],
  },
];

describe.each(cases)('oracle: $title', ({ config, shape }) => {
  const oracle = runOracle<UNetCase>('unet_case.py', { config, shape, seed: 7, threads: 2 });
  const state = Object.fromEntries(Object.entries(oracle.state).map(([name, value]) => [name, decode(value)]));

  async function loaded(): Promise<UNet> {
    const model = await UNet.create({ ...config, device: 'cpu' });
    await model.loadStateDict(state);
    return model;
  }

  it('has the same parameter names, shapes and count', async () => {
    const model = await UNet.create({ ...config, device: 'cpu' });
    const ours = await model.stateDict();
    expect(Object.keys(ours).sort()).toEqual(Object.keys(oracle.state).sort());
    for (const [name, value] of Object.entries(ours)) expect(value.shape, name).toEqual(oracle.state[name].shape);
    expect(model.parameterCount).toBe(oracle.parameterCount);
  });

  it('gives the same logits within 1e-5', async () => {
    const model = await loaded();
    const logits = await model.forward(decode(oracle.x));
    const expected = decode(oracle.logits);
    expect(logits.shape).toEqual(expected.shape);
    expect(maxAbs(expected.data)).toBeGreaterThan(1e-3);
    expect(maxAbsDifference(logits.data, expected.data)).toBeLessThan(1e-5);
  });

  it('gives the same default loss and gradients', async () => {
    const model = await loaded();
    const result = await model.gradients(decode(oracle.x), decode(oracle.target));
    expect(result.loss).toBeCloseTo(oracle.loss, 5);
    expect(Object.keys(result.gradients).sort()).toEqual(Object.keys(oracle.gradients).sort());
    for (const [name, encoded] of Object.entries(oracle.gradients)) {
      const expected: Tensor = decode(encoded);
      const scale = Math.max(maxAbs(expected.data), 1e-6);
      expect(maxAbsDifference(result.gradients[name].data, expected.data) / scale, name).toBeLessThan(1e-3);
    }
  });
});
