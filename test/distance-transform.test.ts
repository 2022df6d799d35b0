// metrics.distanceTransform against scipy.ndimage (python3-scipy) on random 1D, 2D and 3D masks, with and without
// spacing, and on hand-computed cases.
import { describe, expect, it } from 'vitest';

import { metrics } from '../lib/index.js';
import { random } from './helpers/data.js';
import { decode, encode, runOracle } from './helpers/oracle.js';

/** A mask of the shape with zeros at the given density: sparse zeros make long distances. */
function randomMask(shape: number[], zeros: number, seed: number) {
  const next = random(seed);
  const data = Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (next() < zeros ? 0 : 1));
  return { data, shape };
}

const CASES = [
  { shape: [97], zeros: 0.05, metric: 'euclidean', spacing: [0.5] },
  { shape: [37, 53], zeros: 0.02, metric: 'euclidean' },
  { shape: [64, 48], zeros: 0.002, metric: 'euclidean', spacing: [1.7, 0.6] },
  { shape: [40, 40], zeros: 0.3, metric: 'euclidean', spacing: [3, 3] },
  { shape: [17, 19, 23], zeros: 0.003, metric: 'euclidean', spacing: [2.5, 1, 0.7] },
  { shape: [24, 24, 24], zeros: 0.02, metric: 'euclidean' },
  { shape: [37, 53], zeros: 0.01, metric: 'chessboard' },
  { shape: [37, 53], zeros: 0.01, metric: 'taxicab' },
  { shape: [17, 19, 23], zeros: 0.002, metric: 'chessboard' },
  { shape: [17, 19, 23], zeros: 0.002, metric: 'taxicab' },
] as const;

describe('metrics.distanceTransform', () => {
  it('equals scipy distance_transform_edt and distance_transform_cdt on random masks', async () => {
    const masks = CASES.map((item, i) => randomMask([...item.shape], item.zeros, 11 + i));
    const oracle = runOracle<{ distances: Parameters<typeof decode>[0][] }>('edt_case.py', {
      cases: CASES.map((item, i) => ({ mask: encode(masks[i]), metric: item.metric, spacing: 'spacing' in item ? item.spacing : undefined })),
    });
    for (const [i, item] of CASES.entries()) {
      const ours = await metrics.distanceTransform(masks[i], { distanceMetric: item.metric, spacing: 'spacing' in item ? [...item.spacing] : undefined });
      const expected = decode(oracle.distances[i]).data as Float64Array;
      expect(ours.shape).toEqual([...item.shape]);
      expect(ours.data).toBeInstanceOf(Float64Array);
      let worst = 0;
      for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(ours.data[j] - expected[j]));
      expect(worst, `${item.metric} ${item.shape.join('x')}`).toBeLessThan(1e-9);
      expect(Math.max(...ours.data), 'some distances are long').toBeGreaterThan(3);
    }
  });

  it('gives hand-computed distances, one spacing for all dimensions, and Infinity without a zero', async () => {
    const line = await metrics.distanceTransform({ data: Uint8Array.from([1, 1, 0, 1, 1, 1]), shape: [6] });
    expect(Array.from(line.data)).toEqual([2, 1, 0, 1, 2, 3]);
    // One zero in the corner of a 3 x 4: distances sqrt(dy^2 + dx^2), and with spacing 2 twice those.
    const corner = { data: Uint8Array.from({ length: 12 }, (_, i) => (i === 0 ? 0 : 1)), shape: [3, 4] };
    const expected = Array.from({ length: 12 }, (_, i) => Math.hypot(Math.floor(i / 4), i % 4));
    const plain = await metrics.distanceTransform(corner);
    const scaled = await metrics.distanceTransform(corner, { spacing: 2 });
    plain.data.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 12));
    scaled.data.forEach((value, i) => expect(value).toBeCloseTo(2 * expected[i], 12));
    const chessboard = await metrics.distanceTransform(corner, { distanceMetric: 'chessboard' });
    const taxicab = await metrics.distanceTransform(corner, { distanceMetric: 'taxicab' });
    expect(Array.from(chessboard.data)).toEqual([0, 1, 2, 3, 1, 1, 2, 3, 2, 2, 2, 3]);
    expect(Array.from(taxicab.data)).toEqual([0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5]);
    const full = await metrics.distanceTransform({ data: new Uint8Array(6).fill(1), shape: [2, 3] });
    expect(Array.from(full.data)).toEqual(new Array(6).fill(Infinity));
  });

  it('refuses a mask of 4 dimensions, an unknown metric and spacing of the wrong length', async () => {
    const mask = { data: new Uint8Array(16), shape: [2, 2, 2, 2] };
    await expect(metrics.distanceTransform(mask)).rejects.toThrow(/mask: expected 1 to 3 spatial dimensions, got \[2, 2, 2, 2\]/);
    const square = { data: new Uint8Array(4), shape: [2, 2] };
    await expect(metrics.distanceTransform(square, { distanceMetric: 'manhattan' as never })).rejects.toThrow(/distanceMetric: expected 'euclidean' \| 'chessboard' \| 'taxicab', got 'manhattan'/);
    await expect(metrics.distanceTransform(square, { spacing: [1, 2, 3] })).rejects.toThrow(/spacing: expected one number, or 2 \(one per dimension\), got 3/);
    await expect(metrics.distanceTransform(square, { spacing: [1, -2] })).rejects.toThrow(/spacing: expected positive finite values/);
  });
});
