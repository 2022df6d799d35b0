// The percentile bootstrap interval of the mean difference b - a between two models' scores per image: images
// are drawn with replacement, the interval is between percentiles of the resampled means (numpy's 'linear').
import { seededRandom } from '../data/random.js';
import { checkOptions, integer, number, seedCheck } from '../validate.js';
import { percentile } from './percentile.js';
import { pairedDifferences, type Sample } from './samples.js';

export interface BootstrapOptions {
  /** Resamples of the images (default 10000). */
  resamples?: number;
  /** The interval's coverage, in (0, 1) (default 0.95). */
  confidence?: number;
  /** Seed of the draws (default 0): the same seed gives the same interval. */
  seed?: number;
}

export const BOOTSTRAP_DEFAULTS: Required<BootstrapOptions> = { resamples: 10_000, confidence: 0.95, seed: 0 };

export interface BootstrapInterval {
  /** The (1 - confidence) / 2 and (1 + confidence) / 2 percentiles of the resampled mean differences. */
  low: number;
  high: number;
  resamples: number;
  confidence: number;
  seed: number;
}

const optionChecks = {
  resamples: integer(1, 10_000_000),
  confidence: number(0, 1, { minExclusive: true, maxExclusive: true }),
  seed: seedCheck,
};

/** The image indices of each resample: `count` draws with replacement, from mulberry32 seeded with `seed`. */
export function* bootstrapResamples(count: number, resamples: number, seed: number): Generator<Uint32Array> {
  const uniform = seededRandom(seed);
  for (let r = 0; r < resamples; r++) yield Uint32Array.from({ length: count }, () => Math.floor(uniform() * count));
}

/** The percentile bootstrap interval of mean(b - a) (at least 1 image). */
export function bootstrapMeanDifference(a: Sample, b: Sample, options?: BootstrapOptions): BootstrapInterval {
  const differences = pairedDifferences(a, b, 1);
  const { resamples, confidence, seed } = { ...BOOTSTRAP_DEFAULTS, ...checkOptions<BootstrapOptions>(options, 'options', optionChecks) };
  const means = new Float64Array(resamples);
  let r = 0;
  for (const indices of bootstrapResamples(differences.length, resamples, seed)) {
    let sum = 0;
    for (const index of indices) sum += differences[index];
    means[r++] = sum / differences.length;
  }
  means.sort();
  const tail = (100 * (1 - confidence)) / 2;
  return { low: percentile(means, tail), high: percentile(means, 100 - tail), resamples, confidence, seed };
}
