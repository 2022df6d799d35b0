// The checks every paired statistic makes of its two samples, and the differences b - a it works on.
import { rangeError, typeError } from '../validate.js';

/** Scores per image of two models, in the same image order. */
export type Sample = readonly number[] | Float64Array | Float32Array;

function checkSample(values: unknown, name: string, minimum: number): asserts values is Sample {
  const isArray = Array.isArray(values) || values instanceof Float64Array || values instanceof Float32Array;
  if (!isArray) throw typeError(name, 'an array of finite numbers', values);
  if (values.length < minimum) throw new RangeError(`${name}: expected at least ${minimum} value${minimum === 1 ? '' : 's'}, got ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    const value: unknown = values[i];
    if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(`${name}[${i}]`, 'a finite number', value);
    if (!Number.isFinite(value)) throw rangeError(`${name}[${i}]`, 'a finite number', value);
  }
}

/** b[i] - a[i] for each image i, after checking both: arrays of finite numbers of one length, at least `minimum`. */
export function pairedDifferences(a: Sample, b: Sample, minimum: number): Float64Array {
  checkSample(a, 'a', minimum);
  checkSample(b, 'b', minimum);
  if (b.length !== a.length) throw new RangeError(`b: expected ${a.length} values (as many as a), got ${b.length}`);
  return Float64Array.from(a, (value, i) => b[i] - value);
}

export const mean = (values: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
};
