// predict's inference network (native/core/inference/inference_net.cc): on a CPU with oneDNN, prepacked channels-last
// convolutions with batch norm folded and ReLU fused, batches cut into chunks. Its logits must be forward()'s.
import { describe, expect, it } from 'vitest';

import { UNet, type UNetConfig } from '../lib/index.js';
import { random, randomImages } from './helpers/data.js';
import { maxAbs, maxAbsDifference } from './helpers/oracle.js';

/** Running statistics away from their defaults, so that folding them into the convolutions is really checked. */
async function perturbBatchNorm(model: UNet, seed: number): Promise<void> {
  const next = random(seed);
  const state = await model.stateDict();
  for (const [name, tensor] of Object.entries(state)) {
    const data = tensor.data as Float32Array;
    if (name.endsWith('running_mean')) data.forEach((_, i) => (data[i] = 0.2 * (next() - 0.5)));
    if (name.endsWith('running_var')) data.forEach((_, i) => (data[i] = 0.5 + next()));
    if (name.endsWith('norm1.weight') || name.endsWith('norm2.weight')) data.forEach((_, i) => (data[i] = 0.5 + next()));
  }
  await model.loadStateDict(state);
}

const cases: { name: string; config: Partial<UNetConfig>; shape: number[] }[] = [
  { name: 'batch norm, transposed, batch 1, odd size', config: { norm: 'batch' }, shape: [1, 1, 37, 45] },
  { name: 'batch norm, transposed, batch 3 in chunks of 2', config: { norm: 'batch' }, shape: [3, 1, 160, 160] },
  { name: 'batch norm, bilinear, batch 3', config: { norm: 'batch', upsampling: 'bilinear' }, shape: [3, 1, 40, 24] },
  { name: 'no norm, nearest, ELU, 2 channels in, 3 classes', config: { norm: 'none', upsampling: 'nearest', activation: 'elu', inChannels: 2, classes: 3 }, shape: [3, 2, 33, 32] },
  { name: 'no norm, transposed, leaky ReLU', config: { norm: 'none', activation: 'leaky_relu' }, shape: [1, 1, 32, 48] },
  { name: 'instance norm (not folded), bilinear', config: { norm: 'instance', upsampling: 'bilinear' }, shape: [3, 1, 35, 32] },
];

describe('predict logits equal forward (eval) logits', () => {
  for (const [index, { name, config, shape }] of cases.entries()) {
    it(name, async () => {
      const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 10 + index, ...config });
      if (config.norm === 'batch') await perturbBatchNorm(model, index);
      const x = randomImages(shape, 20 + index);
      const [logits, forward] = await Promise.all([model.predict(x, { output: 'logits' }), model.forward(x)]);
      expect(logits.shape).toEqual([shape[0], config.classes ?? 1, shape[2], shape[3]]);
      expect(maxAbs(forward.data)).toBeGreaterThan(1e-2); // not trivially equal
      expect(maxAbsDifference(logits.data, forward.data)).toBeLessThan(1e-4);
      // Called again (cached weights, reused memory), the same logits.
      const again = await model.predict(x, { output: 'logits' });
      expect(maxAbsDifference(again.data, logits.data)).toBe(0);
      model.dispose();
    });
  }
});
