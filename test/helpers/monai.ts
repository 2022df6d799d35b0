// MONAI's pinned test cases (test/fixtures/monai-cases.json) and comparison helpers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect } from 'vitest';

import type { Tensor } from '../../lib/index.js';
import { toNumbers } from './oracle.js';

type Nested = number | Nested[];

interface MonaiCase {
  name: string;
  fn: 'dice' | 'diceCe' | 'focal' | 'tversky' | 'diceMetric' | 'iouMetric';
  input: Nested;
  target: Nested;
  options: Record<string, unknown>;
  expected: Nested;
  rtol: number;
  atol: number;
  source: string;
}

export const monaiCases: MonaiCase[] = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'monai-cases.json'), 'utf8'),
);

export function fromNested(nested: Nested): { data: Float64Array; shape: number[] } {
  const shape: number[] = [];
  for (let level: Nested = nested; Array.isArray(level); level = level[0]) shape.push(level.length);
  const flat: number[] = [];
  const visit = (item: Nested): void => {
    if (Array.isArray(item)) item.forEach(visit);
    else flat.push(item);
  };
  visit(nested);
  return { data: Float64Array.from(flat), shape };
}

export function values(result: number | Tensor): number[] {
  return typeof result === 'number' ? [result] : toNumbers(result.data);
}

export function expectClose(actual: number[], expected: number[], rtol: number, atol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((value, i) => {
    if (Number.isNaN(expected[i])) expect(value, label).toBeNaN();
    else expect(Math.abs(value - expected[i]), `${label} [${i}]: ${value} vs ${expected[i]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(expected[i]));
  });
}

