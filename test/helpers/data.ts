// Small deterministic test inputs.
import { seededRandom } from '../../lib/data/random.js';

/** A seeded generator (the library's mulberry32), so failures reproduce. */
export const random = seededRandom;

export function randomImages(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  const next = random(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = next() * 2 - 1;
  return { data, shape };
}

export function randomLabels(shape: number[], classes: number, seed: number): { data: Int32Array; shape: number[] } {
  const next = random(seed);
  const data = new Int32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * classes);
  return { data, shape };
}
