import { describe, expect, it } from 'vitest';

import { losses, type Tensor } from '../lib/index.js';
import { randomImages, randomLabels } from './helpers/data.js';
import { expectClose, fromNested, monaiCases, values } from './helpers/monai.js';
import { decode, encode, runOracle, toNumbers } from './helpers/oracle.js';

const lossFunctions = { dice: losses.dice, diceCe: losses.diceCe, focal: losses.focal, tversky: losses.tversky };

describe("MONAI's own test cases", () => {
  const cases = monaiCases.filter((c) => c.fn in lossFunctions);
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const lossFunction = lossFunctions[c.fn as keyof typeof lossFunctions] as (a: unknown, b: unknown, o: unknown) => Promise<number | Tensor>;
    const result = await lossFunction(fromNested(c.input), fromNested(c.target), c.options);
    expectClose(values(result), Array.from(fromNested(c.expected).data), c.rtol, Math.max(c.atol, 1e-6), c.source);
  });
});

describe('hand-computed cases', () => {
  // One image, one channel, 2x2: prediction [[1, 0], [0, 1]], ground truth [[1, 0], [1, 0]].
  const prediction = { data: new Float32Array([1, 0, 0, 1]), shape: [1, 1, 2, 2] };
  const truth = { data: new Float32Array([1, 0, 1, 0]), shape: [1, 1, 2, 2] };

  it('dice: 1 - (2·1 + 1e-5) / (2 + 2 + 1e-5)', async () => {
    expect(await losses.dice(prediction, truth)).toBeCloseTo(1 - 2.00001 / 4.00001, 6);
  });

  it('dice, jaccard: 1 - (2·1 + 1e-5) / (2·(4 - 1) + 1e-5)', async () => {
    expect(await losses.dice(prediction, truth, { jaccard: true })).toBeCloseTo(1 - 2.00001 / 6.00001, 6);
  });

  it('dice without smoothing on a perfect prediction is 0', async () => {
    expect(await losses.dice(truth, truth, { smoothNr: 0, smoothDr: 0 })).toBe(0);
  });

  it('tversky alpha 0.3, beta 0.7: tp 1, fp 1, fn 1 -> 1 - 1 / (1 + 0.3 + 0.7)', async () => {
    const loss = await losses.tversky(prediction, truth, { alpha: 0.3, beta: 0.7, smoothNr: 0, smoothDr: 0 });
    expect(loss).toBeCloseTo(0.5, 6);
  });

  it('bce of logit 0 is ln 2 whatever the target', async () => {
    const logits = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    expect(await losses.bce(logits, truth)).toBeCloseTo(Math.LN2, 6);
    expect(await losses.bce(logits, truth, { reduction: 'sum' })).toBeCloseTo(4 * Math.LN2, 5);
  });

  it('cross entropy of equal logits over 4 classes is ln 4, and ignoreIndex drops pixels', async () => {
    const logits = { data: new Float32Array(4 * 4), shape: [1, 4, 2, 2] };
    const labels = { data: new Int32Array([0, 1, 2, 3]), shape: [1, 2, 2] };
    expect(await losses.crossEntropy(logits, labels)).toBeCloseTo(Math.log(4), 6);
    const ignoring = { data: new Int32Array([0, 255, 255, 255]), shape: [1, 1, 2, 2] };
    expect(await losses.crossEntropy(logits, ignoring, { ignoreIndex: 255, reduction: 'sum' })).toBeCloseTo(Math.log(4), 6);
  });

  it('focal with gamma 0 equals BCE with logits', async () => {
    const logits = randomImages([2, 1, 3, 3], 11);
    const target = { data: Float32Array.from(randomLabels([2, 1, 3, 3], 2, 12).data), shape: [2, 1, 3, 3] };
    const [focal, bce] = await Promise.all([losses.focal(logits, target, { gamma: 0 }), losses.bce(logits, target)]);
    expect(focal).toBeCloseTo(bce, 6);
  });

  it("reduction 'none' gives a tensor N x C x 1 x 1 for dice", async () => {
    const perImage = await losses.dice(prediction, truth, { reduction: 'none' });
    expect(perImage.shape).toEqual([1, 1, 1, 1]);
    expect(perImage.data[0]).toBeCloseTo(1 - 2.00001 / 4.00001, 6);
  });
});

describe('oracle: random inputs against the MONAI transcription and torch (python3-torch)', () => {
  const logits = randomImages([2, 3, 5, 6], 21);
  const labels = randomLabels([2, 1, 5, 6], 3, 22);
  const binaryLogits = randomImages([2, 1, 5, 6], 23);
  const binaryTarget = { data: Float32Array.from(randomLabels([2, 1, 5, 6], 2, 24).data), shape: [2, 1, 5, 6] };
  const multi = { input: logits, target: labels };
  const binary = { input: binaryLogits, target: binaryTarget };
  const grid: { fn: keyof typeof losses; input: typeof logits; target: { data: Float32Array | Int32Array; shape: number[] }; options: Record<string, unknown> }[] = [
    { fn: 'dice', ...multi, options: { softmax: true, toOnehotY: true } },
    { fn: 'dice', ...multi, options: { softmax: true, toOnehotY: true, includeBackground: false, weight: [2, 0.5] } },
    { fn: 'dice', ...multi, options: { sigmoid: true, toOnehotY: true, squaredPred: true, batch: true, reduction: 'sum' } },
    { fn: 'dice', ...multi, options: { softmax: true, toOnehotY: true, jaccard: true, smoothNr: 0, smoothDr: 1e-3, reduction: 'none' } },
    { fn: 'dice', ...binary, options: { sigmoid: true, batch: true } },
    { fn: 'diceCe', ...multi, options: { softmax: true, toOnehotY: true } },
    { fn: 'diceCe', ...multi, options: { softmax: true, toOnehotY: true, lambdaDice: 0.3, lambdaCe: 1.7, ceWeight: [1, 2, 3], labelSmoothing: 0.1 } },
    { fn: 'diceCe', ...binary, options: { sigmoid: true, ceWeight: 3 } },
    { fn: 'bce', ...binary, options: {} },
    { fn: 'bce', ...binary, options: { posWeight: 2.5, reduction: 'none' } },
    { fn: 'crossEntropy', ...multi, options: {} },
    { fn: 'crossEntropy', ...multi, options: { weight: [0.2, 1, 3], labelSmoothing: 0.2, reduction: 'sum' } },
    { fn: 'crossEntropy', ...multi, options: { ignoreIndex: 1, reduction: 'none' } },
    { fn: 'focal', ...multi, options: { toOnehotY: true, gamma: 1.5, alpha: 0.25 } },
    { fn: 'focal', ...multi, options: { toOnehotY: true, useSoftmax: true, weight: [1, 2, 3], reduction: 'sum' } },
    { fn: 'focal', ...binary, options: { reduction: 'none' } },
    { fn: 'tversky', ...multi, options: { softmax: true, toOnehotY: true, alpha: 0.3, beta: 0.7 } },
    { fn: 'tversky', ...multi, options: { sigmoid: true, toOnehotY: true, includeBackground: false, batch: true, reduction: 'none' } },
  ];
  const expected = runOracle<Parameters<typeof decode>[0][]>(
    'loss_case.py',
    grid.map(({ fn, input, target, options }) => ({ fn, input: encode(input), target: encode(target), options })),
  );

  it.each(grid.map((c, i) => [`${c.fn} ${JSON.stringify(c.options)}`, i] as const))('%s', async (_, i) => {
    const { fn, input, target, options } = grid[i];
    const lossFunction = losses[fn] as (a: unknown, b: unknown, o: unknown) => Promise<number | Tensor>;
    const result = await lossFunction(input, target, options);
    expectClose(values(result), toNumbers(decode(expected[i]).data), 1e-5, 1e-6, fn);
  });
});
