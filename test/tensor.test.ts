import { describe, expect, it } from 'vitest';

import { metrics, tensor } from '../lib/index.js';
import { toNumbers } from './helpers/oracle.js';

describe('tensors across the boundary', () => {
  it.each([
    ['Float32Array', new Float32Array([1, 0, 1, 1])],
    ['Float64Array', new Float64Array([1, 0, 1, 1])],
    ['Uint8Array', new Uint8Array([1, 0, 1, 1])],
    ['Int32Array', new Int32Array([1, 0, 1, 1])],
    ['BigInt64Array', new BigInt64Array([1n, 0n, 1n, 1n])],
  ])('reads %s with its dtype', async (_, data) => {
    const truth = { data: new Uint8Array([1, 0, 0, 1]), shape: [1, 1, 2, 2] };
    const iou = await metrics.maskIoU({ data, shape: [1, 1, 2, 2] }, truth);
    expect(iou.data[0]).toBeCloseTo(2 / (3 + 2 - 2 + 1e-5), 6);
  });

  it('reads views at an offset into a larger buffer', async () => {
    const buffer = new Float32Array([9, 9, 1, 0, 0, 1, 9]);
    const view = new Float32Array(buffer.buffer, 8, 4);
    const iou = await metrics.maskIoU({ data: view, shape: [1, 4] }, { data: new Float32Array([1, 0, 0, 1]), shape: [1, 4] });
    expect(iou.data[0]).toBeCloseTo(2 / (2 + 1e-5), 6);
  });

  it('returns float32, uint8 and int64 results with their dtype and shape', async () => {
    const logits = tensor(new Float32Array([3, -1, 2, -4, 0, 0]), [1, 2, 3]);
    const binary = await metrics.binarize(logits);
    expect(binary).toMatchObject({ dtype: 'float32', shape: [1, 2, 3] });
    expect(binary.data).toBeInstanceOf(Float32Array);
    const indices = await metrics.argmax(logits, { oneHot: false });
    expect(indices).toMatchObject({ dtype: 'int64', shape: [1, 1, 3] });
    expect(toNumbers(indices.data)).toEqual([0, 1, 0]);
  });

  it('results own their memory: they survive the inputs and later calls', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => metrics.binarize(tensor(new Float32Array(1000).fill(i - 10), [1, 1, 1000]))),
    );
    results.forEach((result, i) => expect(result.data.every((v) => v === (i - 10 >= 0 ? 1 : 0))).toBe(true));
  });

  it('tensor() checks that data and shape agree', () => {
    expect(() => tensor(new Float32Array(5), [2, 3])).toThrow('tensor: data has 5 elements but shape [2, 3] needs 6');
    expect(() => tensor([1, 2] as never, [2])).toThrow(TypeError);
  });
});
