import { describe, expect, it } from 'vitest';

import { augment } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { toNumbers } from './helpers/oracle.js';
import { discs } from './helpers/shapes.js';

const { images, masks } = discs(8, 24, 4);

describe('augment', () => {
  it('flips are exact pixel permutations that move images and masks together', async () => {
    const flipped = await augment(images, masks, { horizontalFlip: 1 });
    for (let i = 0; i < 8; i++) {
      for (let y = 0; y < 24; y++) {
        for (let x = 0; x < 24; x++) {
          const from = i * 576 + y * 24 + (23 - x), to = i * 576 + y * 24 + x;
          expect(flipped.images.data[to]).toBe(images.data[from]);
          expect(flipped.masks.data[to]).toBe(masks.data[from]);
        }
      }
    }
  });

  it('keeps masks as labels through affine and elastic transforms, aligned with the images', async () => {
    const labels = { data: masks.data.map((v) => v * 3), shape: masks.shape };
    const result = await augment(images, labels, { affine: 1, elastic: 1 }, 7);
    expect(result.masks.dtype).toBe('uint8');
    expect(new Set(toNumbers(result.masks.data))).toEqual(new Set([0, 3]));
    let agree = 0;
    for (let i = 0; i < result.masks.data.length; i++) agree += Number(Number(result.images.data[i]) > 0.3) === Number(result.masks.data[i] === 3) ? 1 : 0;
    expect(agree / result.masks.data.length).toBeGreaterThan(0.95);
  });

  it('is reproducible by seed and leaves its inputs alone', async () => {
    const input = randomImages([4, 1, 24, 24], 3);
    const copy = Float32Array.from(input.data);
    const mask = { data: new Uint8Array(4 * 576), shape: [4, 1, 24, 24] };
    const [a, b, c] = await Promise.all([augment(input, mask, true, 1), augment(input, mask, true, 1), augment(input, mask, true, 2)]);
    expect(toNumbers(a.images.data)).toEqual(toNumbers(b.images.data));
    expect(toNumbers(a.images.data)).not.toEqual(toNumbers(c.images.data));
    expect(toNumbers(input.data)).toEqual(Array.from(copy));
  });

  it('changes intensities only in images', async () => {
    const result = await augment(images, masks, { brightness: 1, contrast: 1, gamma: 1, noise: 1 }, 5);
    expect(toNumbers(result.masks.data)).toEqual(toNumbers(masks.data));
    expect(toNumbers(result.images.data)).not.toEqual(toNumbers(images.data));
  });

  it('refuses bad options', async () => {
    await expect(augment(images, masks, { rotationDegrees: 200 })).rejects.toThrow('options.rotationDegrees');
    await expect(augment(images, masks, { flip: 1 } as never)).rejects.toThrow('options.flip: unknown option');
    await expect(augment(images, { data: new Uint8Array(10), shape: [1, 1, 2, 5] })).rejects.toThrow('masks: expected shape');
  });
});
