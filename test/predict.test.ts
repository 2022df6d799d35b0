import { beforeAll, describe, expect, it } from 'vitest';

import { standardise, UNet } from '../lib/index.js';
import { maxAbsDifference, toNumbers } from './helpers/oracle.js';
import { randomImages } from './helpers/data.js';
import { discs } from './helpers/shapes.js';

let binary: UNet;
let multi: UNet;

beforeAll(async () => {
  binary = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 2 });
  // Trained a little, so batch-norm statistics are not the defaults and folding them matters.
  await binary.fit(discs(16, 32, 1), { epochs: 2, batchSize: 4, lr: 1e-2 });
  multi = await UNet.create({ baseFilters: 4, depth: 2, classes: 3, device: 'cpu', seed: 3 });
});

describe('predict', () => {
  it('gives the logits of forward, with batch norm folded into the convolutions', async () => {
    const x = randomImages([2, 1, 37, 45], 1);
    const [logits, forward] = await Promise.all([binary.predict(x, { output: 'logits' }), binary.forward(x)]);
    expect(logits.shape).toEqual([2, 1, 37, 45]);
    expect(maxAbsDifference(logits.data, forward.data)).toBeLessThan(1e-4);
  });

  it('returns uint8 masks by default: thresholded probabilities for one class, argmax for more', async () => {
    const x = randomImages([2, 1, 32, 32], 2);
    const [mask, probabilities] = await Promise.all([binary.predict(x), binary.predict(x, { output: 'probabilities' })]);
    expect(mask).toMatchObject({ dtype: 'uint8', shape: [2, 1, 32, 32] });
    expect(toNumbers(mask.data)).toEqual(toNumbers(probabilities.data).map((p) => (p >= 0.5 ? 1 : 0)));
    const strict = await binary.predict(x, { threshold: 0.9 });
    expect(toNumbers(strict.data)).toEqual(toNumbers(probabilities.data).map((p) => (p >= 0.9 ? 1 : 0)));
    const classes = await multi.predict(x);
    const logits = await multi.forward(x);
    const expected = Array.from({ length: 2 * 1024 }, (_, i) => {
      const [n, pixel] = [Math.floor(i / 1024), i % 1024];
      const scores = [0, 1, 2].map((c) => logits.data[n * 3 * 1024 + c * 1024 + pixel]);
      return scores.indexOf(Math.max(...scores));
    });
    expect(toNumbers(classes.data)).toEqual(expected);
  });

  it('tiled equals untiled where one tile covers the image', async () => {
    const x = randomImages([1, 1, 32, 32], 3);
    const [tiled, whole] = await Promise.all([
      binary.predict(x, { output: 'logits', tile: { size: 32 } }),
      binary.predict(x, { output: 'logits' }),
    ]);
    expect(maxAbsDifference(tiled.data, whole.data)).toBeLessThan(1e-6);
  });

  it('stitches overlapping tiles seamlessly over a large image', async () => {
    const x = randomImages([1, 1, 80, 112], 4);
    const tiled = await binary.predict(x, { output: 'probabilities', tile: { size: 32, overlap: 0.5 } });
    const whole = await binary.predict(x, { output: 'probabilities' });
    expect(tiled.shape).toEqual([1, 1, 80, 112]);
    // Tiles see less context than the whole image, so the two differ a little, but agree on most pixels.
    const masksAgree = toNumbers(tiled.data).filter((p, i) => p >= 0.5 === whole.data[i] >= 0.5).length;
    expect(masksAgree / (80 * 112)).toBeGreaterThan(0.9);
  });

  it('flip TTA on a symmetric input equals plain predict', async () => {
    // With every kernel symmetric under both flips the network commutes with flips, so a symmetric input has a
    // symmetric prediction, and averaging over flips must change nothing.
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 6 });
    const state = await model.stateDict();
    for (const tensor of Object.values(state)) {
      const [, , kh, kw] = tensor.shape;
      if (tensor.shape.length !== 4 || kh < 2) continue;
      const data = tensor.data as Float32Array;
      const copy = Float32Array.from(data);
      const planes = data.length / (kh * kw);
      for (let p = 0; p < planes; p++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            const at = (yy: number, xx: number) => copy[p * kh * kw + yy * kw + xx];
            data[p * kh * kw + y * kw + x] = (at(y, x) + at(kh - 1 - y, x) + at(y, kw - 1 - x) + at(kh - 1 - y, kw - 1 - x)) / 4;
          }
        }
      }
    }
    await model.loadStateDict(state);
    const x = randomImages([1, 1, 32, 32], 5);
    const symmetric = new Float32Array(1024);
    for (let y = 0; y < 32; y++) {
      for (let c = 0; c < 32; c++) symmetric[y * 32 + c] = x.data[Math.min(y, 31 - y) * 32 + Math.min(c, 31 - c)];
    }
    const input = { data: symmetric, shape: [1, 1, 32, 32] };
    const [tta, plain] = await Promise.all([
      model.predict(input, { output: 'probabilities', tta: 'flips' }),
      model.predict(input, { output: 'probabilities' }),
    ]);
    expect(maxAbsDifference(tta.data, plain.data)).toBeLessThan(1e-5);
    // And TTA really runs: on an ordinary model and input it differs from plain predict.
    const [ordinaryTta, ordinary] = await Promise.all([
      binary.predict(x, { output: 'probabilities', tta: 'flips' }),
      binary.predict(x, { output: 'probabilities' }),
    ]);
    expect(maxAbsDifference(ordinaryTta.data, ordinary.data)).toBeGreaterThan(1e-4);
  });

  it('standardises natively: uint8 pixels or floats give what predict(standardise(images)) gives, bit for bit', async () => {
    const colour = await UNet.create({ inChannels: 3, baseFilters: 4, depth: 2, classes: 3, device: 'cpu', seed: 4 });
    for (const model of [binary, colour]) {
      const channels = model.config.inChannels;
      const pixels = Uint8Array.from({ length: 2 * channels * 40 * 36 }, (_, i) => (i * 7919 + (i >> 5) * 13) % 256);
      pixels.fill(77, 0, 40 * 36); // a flat channel: it only loses its mean
      const images = { data: pixels, shape: [2, channels, 40, 36] };
      const asDecoded = { data: Float32Array.from(pixels, (value) => value / 255), shape: images.shape };
      const expected = await model.predict(standardise(asDecoded), { output: 'logits' });
      const fromPixels = await model.predict(images, { output: 'logits', standardise: true });
      const fromFloats = await model.predict(asDecoded, { output: 'logits', standardise: true });
      expect(maxAbsDifference(fromPixels.data, expected.data)).toBe(0);
      expect(maxAbsDifference(fromFloats.data, expected.data)).toBe(0);
      const batched = await Promise.all([0, 1].map(() => model.predict(images, { standardise: true, batching: { maxBatchSize: 4, maxQueueDelayMs: 5 } })));
      const mask = await model.predict(standardise(asDecoded));
      for (const result of batched) expect(toNumbers(result.data)).toEqual(toNumbers(mask.data));
    }
    const pixels = { data: new Uint8Array(32 * 32), shape: [1, 1, 32, 32] };
    await expect(binary.predict(pixels)).rejects.toThrow('images.data: expected a Float32Array or Float64Array of images (uint8 pixels need options.standardise), got Uint8Array');
    await expect(binary.predict(pixels, { standardise: 'yes' } as never)).rejects.toThrow('options.standardise');
    colour.dispose();
  });

  it('refuses what it cannot do, clearly, and keeps serving', async () => {
    const x = randomImages([1, 1, 32, 32], 6);
    await expect(binary.predict({ data: new Float32Array(2048), shape: [1, 2, 32, 32] })).rejects.toThrow("images: expected 1 channels");
    await expect(binary.predict(x, { tile: { size: 64 } })).rejects.toThrow('tile.size: 64 is larger than the image (32x32)');
    await expect(binary.predict(x, { tile: { size: 2 } })).rejects.toThrow('options.tile.size: expected at least 2^depth = 4, got 2');
    await expect(binary.predict(x, { tile: { size: 16, overlap: 1 } })).rejects.toThrow('options.tile.overlap');
    await expect(binary.predict(x, { maxPixels: 1000 })).rejects.toThrow('images: 1024 pixels (N x H x W) exceed maxPixels = 1000');
    await expect(binary.predict(x, { output: 'labels' } as never)).rejects.toThrow("options.output: expected 'mask' | 'probabilities' | 'logits'");
    await expect(binary.predict(x)).resolves.toMatchObject({ shape: [1, 1, 32, 32] });
  });

  it('follows new weights after training', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 4 });
    const x = randomImages([1, 1, 32, 32], 7);
    const before = await model.predict(x, { output: 'logits' });
    await model.trainStep(discs(4, 32, 2).images, discs(4, 32, 2).masks, { lr: 0.1 });
    const [after, forward] = await Promise.all([model.predict(x, { output: 'logits' }), model.forward(x)]);
    expect(maxAbsDifference(after.data, before.data)).toBeGreaterThan(1e-4);
    expect(maxAbsDifference(after.data, forward.data)).toBeLessThan(1e-4);
  });
});
