// predict runs an inference net built from the weights (folded, prepacked); every operation that changes the
// weights must drop it, so that predict's logits keep equal to forward's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { UNet } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { maxAbsDifference } from './helpers/oracle.js';
import { discs } from './helpers/shapes.js';

const data = discs(8, 32, 3);
const x = randomImages([2, 1, 32, 32], 4);
const folder = mkdtempSync(join(tmpdir(), 'torch-unet-refresh-'));

async function expectPredictFollowsForward(model: UNet, before: Float32Array): Promise<void> {
  const forward = await model.forward(x);
  const predicted = await model.predict(x, { output: 'logits' });
  expect(maxAbsDifference(forward.data, before)).toBeGreaterThan(1e-3); // the weights did change
  expect(maxAbsDifference(predicted.data as Float32Array, forward.data)).toBeLessThan(1e-4);
}

describe('predict after the weights change', () => {
  let model: UNet;
  let other: UNet;
  // Each case starts from a model whose inference net is built (predict has run).
  async function primed(): Promise<Float32Array> {
    await model.predict(x, { output: 'logits' });
    return (await model.forward(x)).data;
  }

  beforeAll(async () => {
    model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    other = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 2 });
    await other.trainStep(data.images, data.masks, { lr: 1e-2 });
    await other.exportWeights(join(folder, 'other.weights.pt'));
    await other.save(join(folder, 'other.pt'));
  });

  it('trainStep', async () => {
    const before = await primed();
    await model.trainStep(data.images, data.masks, { lr: 1e-2 });
    await expectPredictFollowsForward(model, before);
  });

  it('fit', async () => {
    const before = await primed();
    await model.fit(data, { epochs: 1, batchSize: 4, lr: 1e-2 });
    await expectPredictFollowsForward(model, before);
  });

  it('fit resumed from a checkpoint', async () => {
    const before = await primed();
    await model.fit(data, { epochs: 2, batchSize: 4, lr: 1e-2, resumeFrom: join(folder, 'other.pt') });
    await expectPredictFollowsForward(model, before);
  });

  it('importWeights', async () => {
    await model.trainStep(data.images, data.masks, { lr: 1e-2 });
    const before = await primed();
    await model.importWeights(join(folder, 'other.weights.pt'));
    await expectPredictFollowsForward(model, before);
  });

  it('loadStateDict', async () => {
    await model.trainStep(data.images, data.masks, { lr: 1e-2 });
    const before = await primed();
    await model.loadStateDict(await other.stateDict());
    await expectPredictFollowsForward(model, before);
  });

  it('load', async () => {
    await model.trainStep(data.images, data.masks, { lr: 1e-2 });
    const before = await primed();
    const loaded = await UNet.load(join(folder, 'other.pt'), { device: 'cpu' });
    const forward = await loaded.forward(x);
    expect(maxAbsDifference(forward.data, before)).toBeGreaterThan(1e-3);
    expect(maxAbsDifference((await loaded.predict(x, { output: 'logits' })).data as Float32Array, forward.data)).toBeLessThan(1e-4);
  });
});
