// nnU-Net's choice of post-processing on hand-made predictions whose Dice before and after is known.
import { describe, expect, it } from 'vitest';

import { choosePostprocessing } from '../lib/evaluation/postprocess_choice.js';
import type { Tensor } from '../lib/index.js';

const SIZE = 32;

/** N x 1 x 32 x 32 label maps, each image drawn by `draw(set)` with set(y0, x0, side, label). */
function maps(count: number, draw: (set: (y: number, x: number, side: number, label: number) => void, n: number) => void): Tensor<Uint8Array> {
  const data = new Uint8Array(count * SIZE * SIZE);
  for (let n = 0; n < count; n++) {
    draw((y0, x0, side, label) => {
      for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) data[n * SIZE * SIZE + y * SIZE + x] = label;
    }, n);
  }
  return { data, shape: [count, 1, SIZE, SIZE], dtype: 'uint8' };
}

describe('choosePostprocessing', () => {
  it('keeps the largest foreground component when it removes false blobs (binary)', async () => {
    const truth = maps(2, (set) => set(4, 4, 10, 1));
    // the square, and a 3 x 3 blob far from it on the first image only
    const predicted = maps(2, (set, n) => {
      set(4, 4, 10, 1);
      if (n === 0) set(25, 25, 3, 1);
    });
    const choice = await choosePostprocessing(predicted, truth, 1);
    // Dice of the first image 2 x 100 / (109 + 100), the second 1; after: both 1
    const before = (200 / 209 + 1) / 2;
    expect(choice.steps[0]).toMatchObject({ class: null, kept: true, after: 1 });
    expect(choice.steps[0].before).toBeCloseTo(before, 6);
    // on top of it, class 1's own largest component changes nothing: not kept
    expect(choice.steps[1]).toMatchObject({ class: 1, before: 1, after: 1, kept: false });
    expect(choice.postprocess).toEqual([{ keepLargestComponent: { independent: false } }]);
  });

  it('refuses the foreground step when it hurts a class, and takes the per-class step that helps', async () => {
    // class 1: a 10 x 10 square; class 2: a 6 x 6 square apart from it; the prediction adds a class-1 speck
    const truth = maps(1, (set) => {
      set(2, 2, 10, 1);
      set(20, 20, 6, 2);
    });
    const predicted = maps(1, (set) => {
      set(2, 2, 10, 1);
      set(20, 20, 6, 2);
      set(28, 2, 2, 1);
    });
    const choice = await choosePostprocessing(predicted, truth, 3);
    // the foreground's largest component is class 1's square: class 2 would go (Dice 1 -> 0)
    expect(choice.steps[0]).toMatchObject({ class: null, kept: false });
    expect(choice.steps[0].after).toBeCloseTo((1 + 0) / 2, 6);
    expect(choice.steps[1]).toMatchObject({ class: 1, after: 1, kept: true });
    expect(choice.steps[1].before).toBeCloseTo(200 / 204, 6);
    expect(choice.steps[2]).toMatchObject({ class: 2, before: 1, after: 1, kept: false });
    expect(choice.postprocess).toEqual([{ keepLargestComponent: { labels: [1] } }]);
  });

  it('counts a class absent from both masks as no score, and one the truth lacks as 0 (nnU-Net)', async () => {
    // image 0: class 1 in both; image 1: neither has class 1 but the prediction has a speck of it
    const truth = maps(2, (set, n) => n === 0 && set(2, 2, 8, 1));
    const predicted = maps(2, (set, n) => (n === 0 ? set(2, 2, 8, 1) : set(20, 20, 2, 1)));
    const choice = await choosePostprocessing(predicted, truth, 1);
    // before: (1 + 0) / 2; keeping the largest component leaves the speck (it is image 1's largest)
    expect(choice.steps[0]).toMatchObject({ before: 0.5, after: 0.5, kept: false });
    expect(choice.postprocess).toEqual([]);
  });
});
