// metrics.hausdorff, metrics.surfaceDistance and metrics.surfaceDice against MONAI's algorithm transcribed on
// scipy (test/oracle/monai_surface.py) on random 2D and 3D masks with empty cases, and on hand-computed cases.
import { describe, expect, it } from 'vitest';

import { metrics } from '../lib/index.js';
import type { Tensor } from '../lib/index.js';
import { random } from './helpers/data.js';
import { decode, encode, runOracle } from './helpers/oracle.js';

type Masks = { data: Float32Array; shape: number[] };

/**
 * N x C x spatial masks, each image and class a union of random ellipses (ellipsoids in 3D) and scattered single
 * elements, so edges are long and some components are tiny. `empty` lists [n, c] planes left empty.
 */
function blobs(shape: number[], seed: number, empty: [number, number][] = []): Masks {
  const next = random(seed);
  const [count, channels, ...spatial] = shape;
  const plane = spatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * channels * plane);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      if (empty.some(([en, ec]) => en === n && ec === c)) continue;
      const shapes = Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({
        centre: spatial.map((size) => next() * size),
        radius: spatial.map((size) => 1 + next() * size * 0.3),
      }));
      for (let i = 0; i < plane; i++) {
        const position: number[] = [];
        let rest = i;
        for (let d = spatial.length - 1; d >= 0; d--) {
          position[d] = rest % spatial[d];
          rest = Math.floor(rest / spatial[d]);
        }
        const inside = shapes.some(({ centre, radius }) => position.reduce((sum, p, d) => sum + ((p - centre[d]) / radius[d]) ** 2, 0) <= 1);
        if (inside || next() < 0.004) data[(n * channels + c) * plane + i] = 1;
      }
    }
  }
  return { data, shape };
}

type Metric = 'hausdorff' | 'surfaceDistance' | 'surfaceDice';
interface Case {
  name: string;
  metric: Metric;
  pred: Masks;
  target: Masks;
  options: Record<string, unknown>;
}

// 2D: image 1 class 1 has no prediction, image 2 class 2 is empty on both sides, image 3 class 1 has no truth.
const pred2d = blobs([4, 3, 48, 40], 1, [[1, 1], [2, 2]]);
const target2d = blobs([4, 3, 48, 40], 2, [[2, 2], [3, 1]]);
const pred3d = blobs([2, 2, 20, 24, 18], 3, [[1, 1]]);
const target3d = blobs([2, 2, 20, 24, 18], 4);
const perImageSpacing = [[1, 1], [0.5, 2], [1.5, 1.5], [3, 0.25]];

const CASES: Case[] = [
  { name: 'hausdorff', metric: 'hausdorff', pred: pred2d, target: target2d, options: {} },
  { name: 'hausdorff 95, spacing', metric: 'hausdorff', pred: pred2d, target: target2d, options: { percentile: 95, spacing: [0.7, 1.3] } },
  { name: 'hausdorff directed chessboard', metric: 'hausdorff', pred: pred2d, target: target2d, options: { directed: true, distanceMetric: 'chessboard' } },
  { name: 'hausdorff taxicab with background', metric: 'hausdorff', pred: pred2d, target: target2d, options: { distanceMetric: 'taxicab', includeBackground: true } },
  { name: 'hausdorff per-image spacing', metric: 'hausdorff', pred: pred2d, target: target2d, options: { spacing: perImageSpacing, percentile: 50 } },
  { name: 'asd', metric: 'surfaceDistance', pred: pred2d, target: target2d, options: {} },
  { name: 'asd symmetric, spacing', metric: 'surfaceDistance', pred: pred2d, target: target2d, options: { symmetric: true, spacing: 0.6 } },
  { name: 'asd symmetric taxicab', metric: 'surfaceDistance', pred: pred2d, target: target2d, options: { symmetric: true, distanceMetric: 'taxicab' } },
  { name: 'surface dice', metric: 'surfaceDice', pred: pred2d, target: target2d, options: { classThresholds: [1, 2.5] } },
  { name: 'surface dice per-image spacing', metric: 'surfaceDice', pred: pred2d, target: target2d, options: { classThresholds: [0, 3], spacing: perImageSpacing } },
  { name: 'hausdorff reduced mean', metric: 'hausdorff', pred: pred2d, target: target2d, options: { reduction: 'mean' } },
  { name: 'asd reduced mean_batch', metric: 'surfaceDistance', pred: pred2d, target: target2d, options: { reduction: 'mean_batch', symmetric: true } },
  { name: 'surface dice reduced mean', metric: 'surfaceDice', pred: pred2d, target: target2d, options: { classThresholds: [2, 2], reduction: 'mean' } },
  { name: '3D hausdorff 95, spacing', metric: 'hausdorff', pred: pred3d, target: target3d, options: { percentile: 95, spacing: [2, 1, 0.5] } },
  { name: '3D hausdorff chessboard', metric: 'hausdorff', pred: pred3d, target: target3d, options: { distanceMetric: 'chessboard', includeBackground: true } },
  { name: '3D asd symmetric', metric: 'surfaceDistance', pred: pred3d, target: target3d, options: { symmetric: true, spacing: [1, 0.8, 1.2] } },
  { name: '3D surface dice', metric: 'surfaceDice', pred: pred3d, target: target3d, options: { classThresholds: [1.5] } },
];

const ours = (item: Case) => (metrics[item.metric] as (p: Masks, t: Masks, o: unknown) => Promise<number | Tensor>)(item.pred, item.target, { reduction: 'none', ...item.options });

/** Whether exactly one of the masks of plane (n, c) is empty: where MONAI's percentile gives NaN. */
function oneSideEmpty(item: Case, index: number): boolean {
  const [, channels, ...spatial] = item.pred.shape;
  const dropped = item.options.includeBackground || channels === 1 ? 0 : 1;
  const scored = channels - dropped;
  const plane = spatial.reduce((a, b) => a * b, 1);
  const offset = (Math.floor(index / scored) * channels + (index % scored) + dropped) * plane;
  const any = (masks: Masks) => masks.data.subarray(offset, offset + plane).some((value) => value === 1);
  return any(item.pred) !== any(item.target);
}

describe('surface metrics against MONAI', () => {
  it('equal MONAI on random 2D and 3D masks, with empty masks, spacing, every distance metric and reduction', async () => {
    const oracle = runOracle<{ values: Parameters<typeof decode>[0][] }>('monai_surface.py', {
      cases: CASES.map((item) => ({ metric: item.metric, pred: encode(item.pred), target: encode(item.target), options: item.options })),
    });
    for (const [i, item] of CASES.entries()) {
      const result = await ours(item);
      const actual = typeof result === 'number' ? [result] : Array.from(result.data as Float32Array);
      const expected = Array.from(decode(oracle.values[i]).data as Float64Array);
      expect(actual.length, item.name).toBe(expected.length);
      for (const [j, value] of expected.entries()) {
        const label = `${item.name} [${j}]`;
        if (Number.isNaN(value) && item.options.percentile && oneSideEmpty(item, j)) {
          expect(actual[j], `${label}: Infinity where MONAI's percentile of infinities is NaN`).toBe(Infinity);
        } else if (!Number.isFinite(value)) {
          expect(actual[j], label).toBe(value);
        } else {
          expect(Math.abs(actual[j] - value), `${label}: ${actual[j]} vs ${value}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value)));
        }
      }
    }
    // the cases reach every branch: finite values, both sides empty (NaN), one side empty (Infinity)
    const plain = Array.from(((await ours(CASES[0])) as Tensor<Float32Array>).data);
    expect(plain.filter(Number.isNaN)).toHaveLength(1);
    expect(plain.filter((value) => value === Infinity)).toHaveLength(2);
    expect(plain.filter((value) => Number.isFinite(value) && value > 2)).not.toHaveLength(0);
  });
});

describe('surface metrics by hand', () => {
  // one element of the prediction at (0, 0) and one of the truth at (3, 4) in a 10 x 10 image
  const point = (y: number, x: number) => {
    const data = new Float32Array(100);
    data[y * 10 + x] = 1;
    return { data, shape: [1, 1, 10, 10] };
  };
  const pred = point(0, 0);
  const target = point(3, 4);

  it('gives the distance between two points under each metric and spacing', async () => {
    expect(await metrics.hausdorff(pred, target)).toBeCloseTo(5, 6);
    expect(await metrics.hausdorff(pred, target, { spacing: [2, 1] })).toBeCloseTo(Math.hypot(6, 4), 5);
    expect(await metrics.hausdorff(pred, target, { distanceMetric: 'chessboard' })).toBe(4);
    expect(await metrics.hausdorff(pred, target, { distanceMetric: 'taxicab' })).toBe(7);
    expect(await metrics.surfaceDistance(pred, target, { symmetric: true })).toBeCloseTo(5, 6);
    expect(await metrics.surfaceDice(pred, target, { classThresholds: [4.9] })).toBe(0);
    expect(await metrics.surfaceDice(pred, target, { classThresholds: [5] })).toBe(1);
  });

  it('takes the percentile of each direction before the maximum', async () => {
    // truth: a row of 11 elements; prediction: the same row with one element 6 rows off at its right end
    const row = new Float32Array(12 * 11);
    for (let x = 0; x < 11; x++) row[x] = 1;
    const moved = row.slice();
    moved[10] = 0;
    moved[6 * 11 + 10] = 1;
    const truth = { data: row, shape: [1, 1, 12, 11] };
    const shifted = { data: moved, shape: [1, 1, 12, 11] };
    expect(await metrics.hausdorff(shifted, truth)).toBeCloseTo(6, 6);
    // pred -> truth: ten 0s and a 6; truth -> pred: ten 0s and a 1; the 95th percentile lies halfway between the
    // 10th and 11th values: 3 and 0.5
    expect(await metrics.hausdorff(shifted, truth, { percentile: 95 })).toBeCloseTo(3, 5);
    expect(await metrics.hausdorff(shifted, truth, { percentile: 95, directed: true })).toBeCloseTo(3, 5);
    expect(await metrics.hausdorff(truth, shifted, { percentile: 95, directed: true })).toBeCloseTo(0.5, 5);
    // average surface distance: 6 / 11 one way; (6 + 1) / 22 both ways
    expect(await metrics.surfaceDistance(shifted, truth)).toBeCloseTo(6 / 11, 6);
    expect(await metrics.surfaceDistance(shifted, truth, { symmetric: true })).toBeCloseTo(7 / 22, 6);
    expect(await metrics.surfaceDice(shifted, truth, { classThresholds: [0.5] })).toBeCloseTo(20 / 22, 6);
  });

  it('reads class-index targets as their one-hot form', async () => {
    const labels = new Int32Array(3 * 12 * 12);
    const oneHot = new Float32Array(3 * 3 * 12 * 12);
    const prediction = new Float32Array(3 * 3 * 12 * 12);
    const next = random(5);
    for (let n = 0; n < 3; n++) {
      for (let i = 0; i < 144; i++) {
        const y = Math.floor(i / 12), x = i % 12;
        const label = x < 4 + n ? 0 : y < 6 ? 1 : 2;
        labels[n * 144 + i] = label;
        oneHot[(n * 3 + label) * 144 + i] = 1;
        prediction[(n * 3 + (next() < 0.9 ? label : (label + 1) % 3)) * 144 + i] = 1;
      }
    }
    const pred = { data: prediction, shape: [3, 3, 12, 12] };
    const asIndices = await metrics.hausdorff(pred, { data: labels, shape: [3, 1, 12, 12] }, { reduction: 'none' });
    const asOneHot = await metrics.hausdorff(pred, { data: oneHot, shape: [3, 3, 12, 12] }, { reduction: 'none' });
    expect(asIndices.shape).toEqual([3, 2]);
    expect(Array.from(asIndices.data)).toEqual(Array.from(asOneHot.data));
  });

  it('refuses bad options with errors that name them', async () => {
    await expect(metrics.hausdorff(pred, target, { percentile: 0 })).rejects.toThrow(/options\.percentile: expected a number in \(0, 100\], got 0/);
    await expect(metrics.hausdorff(pred, target, { percentile: 101 })).rejects.toThrow(RangeError);
    await expect(metrics.hausdorff(pred, target, { spacing: [1, 2, 3] })).rejects.toThrow(/spacing: expected one number, or 2/);
    await expect(metrics.hausdorff(pred, target, { spacing: [[1, 1], [2, 2]] })).rejects.toThrow(/spacing: expected one list per image \(1\), got 2/);
    await expect(metrics.hausdorff(pred, target, { spacing: [-1] })).rejects.toThrow(/spacing/);
    await expect(metrics.hausdorff(pred, target, { spacing: [[1, 'a']] as never })).rejects.toThrow(/options\.spacing\[0\]\[1\]: expected a number/);
    await expect(metrics.hausdorff(pred, target, { distanceMetric: 'manhattan' as never })).rejects.toThrow(/distanceMetric: expected 'euclidean' \| 'chessboard' \| 'taxicab'/);
    await expect(metrics.hausdorff(pred, target, { percentil: 95 } as never)).rejects.toThrow(/percentil/);
    await expect(metrics.surfaceDice(pred, target, { classThresholds: [1, 2] })).rejects.toThrow(/classThresholds: expected one per class scored \(1\), got 2/);
    await expect(metrics.surfaceDice(pred, target, { classThresholds: [-1] })).rejects.toThrow(/classThresholds\[0\]/);
    await expect(metrics.surfaceDistance({ data: new Float32Array(4), shape: [2, 2] }, target)).rejects.toThrow(/pred: expected NC\[spatial\]/);
    await expect(metrics.surfaceDistance(pred, { data: new Float32Array(50), shape: [1, 1, 5, 10] })).rejects.toThrow(/target: expected shape/);
  });
});
