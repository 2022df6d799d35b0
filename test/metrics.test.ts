import { beforeAll, describe, expect, it } from 'vitest';

import { metrics, type TensorLike } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { decode, encode, runOracle, toNumbers } from './helpers/oracle.js';
import { expectClose, fromNested, monaiCases, values } from './helpers/monai.js';

describe("MONAI's own test cases", () => {
  const cases = monaiCases.filter((c) => c.fn === 'diceMetric' || c.fn === 'iouMetric');
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const metric = c.fn === 'diceMetric' ? metrics.dice : metrics.iou;
    const result = await metric(fromNested(c.input), fromNested(c.target), c.options);
    expectClose(values(result), Array.from(fromNested(c.expected).data), c.rtol, Math.max(c.atol, 1e-6), c.source);
  });
});

describe('hand-computed cases', () => {
  // Two images, 2x2. Image 0: pred [[1,1],[0,0]], truth [[1,0],[0,0]]. Image 1: pred empty, truth [[0,0],[0,1]].
  const pred = { data: new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0]), shape: [2, 1, 2, 2] };
  const truth = { data: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 1]), shape: [2, 1, 2, 2] };

  it("maskIoU: intersection / (area1 + area2 - intersection + 1e-5) per image", async () => {
    const iou = await metrics.maskIoU(pred, truth);
    expect(iou.shape).toEqual([2]);
    expect(iou.data[0]).toBeCloseTo(1 / (2 + 1 - 1 + 1e-5), 6);
    expect(iou.data[1]).toBe(0);
  });

  it('maskIoU accepts NHW masks', async () => {
    const iou = await metrics.maskIoU({ data: pred.data, shape: [2, 2, 2] }, { data: truth.data, shape: [2, 2, 2] });
    expect(Array.from(iou.data)).toEqual([expect.closeTo(0.5, 5), 0]);
  });

  it('dice and iou per image, and the mean', async () => {
    const predFloat = { data: Float32Array.from(pred.data), shape: pred.shape };
    const truthFloat = { data: Float32Array.from(truth.data), shape: truth.shape };
    const dice = await metrics.dice(predFloat, truthFloat, { reduction: 'none' });
    expect(dice.shape).toEqual([2, 1]);
    expect(Array.from(dice.data)).toEqual([expect.closeTo(2 / 3, 6), 0]);
    const iou = await metrics.iou(predFloat, truthFloat, { reduction: 'none' });
    expect(Array.from(iou.data)).toEqual([expect.closeTo(1 / 2, 6), 0]);
    expect(await metrics.dice(predFloat, truthFloat)).toBeCloseTo(1 / 3, 6);
  });

  it('an empty ground truth gives NaN with ignoreEmpty, which the mean skips', async () => {
    const empty = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    const somePred = { data: new Float32Array([1, 0, 0, 0]), shape: [1, 1, 2, 2] };
    const none = await metrics.dice(somePred, empty, { reduction: 'none' });
    expect(none.data[0]).toBeNaN();
    expect(await metrics.dice(somePred, empty)).toBe(0);
    const scored = await metrics.dice(somePred, empty, { ignoreEmpty: false, reduction: 'none' });
    expect(scored.data[0]).toBe(0);
    expect((await metrics.dice(empty, empty, { ignoreEmpty: false, reduction: 'none' })).data[0]).toBe(1);
  });

  it('class-index targets are one-hot encoded to match a one-hot prediction', async () => {
    const labels = { data: new Int32Array([0, 1, 2, 2]), shape: [1, 1, 2, 2] };
    const onehot = { data: new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]), shape: [1, 3, 2, 2] };
    expect(Array.from((await metrics.dice(onehot, labels, { reduction: 'none' })).data)).toEqual([1, 1, 1]);
    expect(Array.from((await metrics.iou(onehot, { data: labels.data, shape: [1, 2, 2] }, { reduction: 'none' })).data)).toEqual([1, 1, 1]);
  });

  it('confusion matrix: rows are the truth, columns the prediction', async () => {
    const predicted = { data: new Int32Array([0, 1, 2, 2, 1, 0]), shape: [1, 2, 3] };
    const actual = { data: new Int32Array([0, 1, 1, 2, 2, 0]), shape: [1, 2, 3] };
    const matrix = await metrics.confusionMatrix(predicted, actual, 3);
    expect(matrix.shape).toEqual([3, 3]);
    expect(matrix.dtype).toBe('int64');
    expect(toNumbers(matrix.data)).toEqual([2, 0, 0, 0, 1, 1, 0, 1, 1]);
    expect(await metrics.pixelAccuracy(predicted, actual)).toBeCloseTo(4 / 6, 6);
  });

  it('binarize thresholds the sigmoid; argmax picks the largest logit', async () => {
    const logits = { data: new Float32Array([-2, 0, 0.1, 3]), shape: [1, 1, 2, 2] };
    expect(Array.from((await metrics.binarize(logits)).data)).toEqual([0, 1, 1, 1]);
    expect(Array.from((await metrics.binarize(logits, { threshold: 0.9 })).data)).toEqual([0, 0, 0, 1]);
    const twoClass = { data: new Float32Array([5, 0, 0, 1, 0, 5, 5, 0]), shape: [1, 2, 2, 2] };
    const indices = await metrics.argmax(twoClass, { oneHot: false });
    expect(indices.shape).toEqual([1, 1, 2, 2]);
    expect(toNumbers(indices.data)).toEqual([0, 1, 1, 0]);
    expect(toNumbers((await metrics.argmax(twoClass)).data)).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
  });

  it('refuses class values outside [0, classes)', async () => {
    const bad = { data: new Int32Array([0, 3]), shape: [1, 2] };
    const good = { data: new Int32Array([0, 1]), shape: [1, 2] };
    await expect(metrics.confusionMatrix(good, bad, 3)).rejects.toThrow(/target/);
    await expect(metrics.confusionMatrix(bad, good, 3)).rejects.toThrow(/pred/);
  });
});

describe('oracle: every reduction against the MONAI transcription', () => {
  const reductions = ['none', 'mean', 'sum', 'mean_batch', 'sum_batch', 'mean_channel', 'sum_channel'] as const;
  const grid = (['diceMetric', 'iouMetric'] as const).flatMap((fn) =>
    reductions.flatMap((reduction) => [
      { fn, options: { reduction } },
      { fn, options: { reduction, includeBackground: false, ignoreEmpty: false } },
    ]),
  );
  let pred: TensorLike;
  let truth: TensorLike;
  let expected: Parameters<typeof decode>[0][];

  beforeAll(async () => {
    pred = await metrics.argmax(randomImages([3, 3, 4, 5], 31));
    const target = await metrics.argmax(randomImages([3, 3, 4, 5], 33));
    // Class 2 of image 0 is empty in the truth, so the NaN paths run.
    const data = Float32Array.from(target.data as Float32Array).fill(0, 2 * 20, 3 * 20);
    truth = { data, shape: target.shape };
    expected = runOracle('loss_case.py', grid.map(({ fn, options }) => ({ fn, input: encode(pred), target: encode(truth), options })));
  });

  it.each(grid.map((c, i) => [`${c.fn} ${JSON.stringify(c.options)}`, i] as const))('%s', async (_, i) => {
    const { fn, options } = grid[i];
    const result = await (fn === 'diceMetric' ? metrics.dice : metrics.iou)(pred, truth, options);
    expectClose(values(result), toNumbers(decode(expected[i]).data), 1e-6, 1e-7, fn);
  });
});
