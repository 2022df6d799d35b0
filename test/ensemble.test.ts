// Ensemble: the mean of the models' probabilities, its mask, flip TTA per model, and the checks of its inputs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Ensemble, UNet, type Tensor } from '../lib/index.js';
import { randomImages } from './helpers/data.js';

const images = randomImages([2, 1, 32, 40], 7);
let multi: UNet[];
let binary: UNet[];

beforeAll(async () => {
  multi = await Promise.all([11, 12, 13].map((seed) => UNet.create({ baseFilters: 4, depth: 2, classes: 3, device: 'cpu', seed })));
  binary = await Promise.all([21, 22].map((seed) => UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed })));
});

afterAll(() => {
  for (const model of [...multi, ...binary]) model.dispose();
});

/** Element-wise mean of the models' probabilities, in JS: the oracle. */
async function meanProbabilities(models: UNet[], options: { tta?: 'flips' } = {}): Promise<Float32Array> {
  const each = await Promise.all(models.map((model) => model.predict(images, { ...options, output: 'probabilities' })));
  return Float32Array.from(each[0].data as Float32Array, (_, i) => each.reduce((sum, p) => sum + (p.data as Float32Array)[i], 0) / each.length);
}

function argmaxOf(probabilities: Float32Array, shape: number[]): number[] {
  const [count, classes, height, width] = shape;
  const plane = height * width;
  const mask: number[] = [];
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < plane; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (probabilities[(n * classes + c) * plane + i] > probabilities[(n * classes + best) * plane + i]) best = c;
      mask.push(best);
    }
  }
  return mask;
}

const borrowed = (models: UNet[]) => new Ensemble(models);

describe('Ensemble', () => {
  it('averages the models\' probabilities and takes the likeliest class of the mean', async () => {
    const ensemble = borrowed(multi);
    const expected = await meanProbabilities(multi);
    const mean = await ensemble.predict(images, { output: 'probabilities' });
    expect(mean.shape).toEqual([2, 3, 32, 40]);
    const worst = (mean.data as Float32Array).reduce((max, value, i) => Math.max(max, Math.abs(value - expected[i])), 0);
    expect(worst).toBeLessThan(1e-6);
    const mask = await ensemble.predict(images);
    expect(mask.shape).toEqual([2, 1, 32, 40]);
    expect(Array.from(mask.data as Uint8Array)).toEqual(argmaxOf(expected, [2, 3, 32, 40]));
    // the mean is not any one model's answer
    const single = await multi[0].predict(images);
    expect(Array.from(single.data as Uint8Array)).not.toEqual(Array.from(mask.data as Uint8Array));
  });

  it('thresholds the mean sigmoid for one class, and with one model is that model', async () => {
    const expected = await meanProbabilities(binary);
    const mask = await borrowed(binary).predict(images, { threshold: 0.5 });
    expect(Array.from(mask.data as Uint8Array)).toEqual(Array.from(expected, (p) => (p >= 0.5 ? 1 : 0)));
    const alone = await borrowed([binary[0]]).predict(images, { threshold: 0.45 });
    expect(Array.from(alone.data as Uint8Array)).toEqual(Array.from((await binary[0].predict(images, { threshold: 0.45 })).data as Uint8Array));
  });

  it('post-processes the mean\'s mask, as predict does one model\'s', async () => {
    const { postprocess } = await import('../lib/index.js');
    const ensemble = borrowed(binary);
    // the median probability as the threshold: half the pixels in, in many pieces
    const sorted = Float32Array.from(await meanProbabilities(binary)).sort();
    const threshold = sorted[sorted.length >> 1];
    const options = { removeSmallObjects: { minSize: 30 }, keepLargestComponent: true } as const;
    const plain = (await ensemble.predict(images, { threshold })) as Tensor<Uint8Array>;
    const cleaned = await ensemble.predict(images, { threshold, postprocess: options });
    const expected = await postprocess.apply(plain, options);
    expect(Array.from(cleaned.data as Uint8Array)).toEqual(Array.from(expected.data));
    expect(Array.from(cleaned.data as Uint8Array)).not.toEqual(Array.from(plain.data));
  });

  it('composes with flip TTA: the mean over every model and flip', async () => {
    const expected = await meanProbabilities(multi, { tta: 'flips' });
    const mean: Tensor = await borrowed(multi).predict(images, { output: 'probabilities', tta: 'flips' });
    const worst = (mean.data as Float32Array).reduce((max, value, i) => Math.max(max, Math.abs(value - expected[i])), 0);
    expect(worst).toBeLessThan(1e-6);
    const plain = await meanProbabilities(multi);
    expect(plain.some((value, i) => Math.abs(value - expected[i]) > 1e-3)).toBe(true);
  });

  it('loads model files, and refuses mixed models, logits and bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ensemble-'));
    try {
      await multi[0].save(join(dir, 'a.pt'));
      await multi[1].save(join(dir, 'b.pt'));
      const loaded = await Ensemble.load([join(dir, 'a.pt'), join(dir, 'b.pt')]);
      const expected = await meanProbabilities(multi.slice(0, 2));
      const mean = await loaded.predict(images, { output: 'probabilities' });
      expect((mean.data as Float32Array).every((value, i) => Math.abs(value - expected[i]) < 1e-6)).toBe(true);
      loaded.dispose();
      await expect(Ensemble.load([join(dir, 'a.pt'), join(dir, 'missing.pt')])).rejects.toThrow(/missing\.pt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => new Ensemble([multi[0], binary[0]])).toThrow(/models\[1\]: inChannels 1 and classes 1 differ from models\[0\]'s 1 and 3/);
    expect(() => new Ensemble([])).toThrow(TypeError);
    expect(() => new Ensemble([multi[0], {} as UNet])).toThrow(/models\[1\]: expected a UNet/);
    await expect(borrowed(multi).predict(images, { output: 'logits' })).rejects.toThrow(/options\.output: an ensemble averages probabilities/);
    await expect(borrowed(multi).predict(images, { threshold: 2 })).rejects.toThrow(/threshold/);
  });
});
