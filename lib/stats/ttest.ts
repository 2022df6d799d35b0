// The paired t-test of two models' scores per image: scipy.stats.ttest_rel(b, a), two-sided.
import { studentTTwoSided } from './distributions.js';
import { mean, pairedDifferences, type Sample } from './samples.js';

export interface PairedTTest {
  /** The mean over images of b - a. */
  meanDifference: number;
  /** meanDifference over its standard error; ±Infinity when every difference is the same nonzero value, null when all are zero (scipy: nan). */
  t: number | null;
  /** Degrees of freedom: images - 1. */
  df: number;
  /** Two-sided; 0 for an infinite t, null when all differences are zero (scipy: nan). */
  pValue: number | null;
}

/** The paired t-test of b against a (at least 2 images). Positive t: b scores higher. */
export function pairedTTest(a: Sample, b: Sample): PairedTTest {
  const differences = pairedDifferences(a, b, 2);
  const count = differences.length;
  const df = count - 1;
  // Equal differences have no spread at all; the rounding of a mean would make some up.
  const constant = differences.every((value) => value === differences[0]);
  const meanDifference = constant ? differences[0] : mean(differences);
  if (constant && meanDifference === 0) return { meanDifference, t: null, df, pValue: null };
  let squares = 0;
  for (const value of differences) squares += (value - meanDifference) ** 2;
  const t = constant ? Math.sign(meanDifference) * Infinity : meanDifference / Math.sqrt(squares / df / count);
  return { meanDifference, t, df, pValue: studentTTwoSided(t, df) };
}
