// The Wilcoxon signed-rank test of two models' scores per image, two-sided, with the defaults of
// scipy.stats.wilcoxon(b, a) (zero_method='wilcox', correction=False, method='auto') as SciPy 1.15 and later
// choose its method (scipy/stats/_wilcoxon.py, gh-21567):
//  - zero differences are dropped before ranking; |b - a| are ranked with ties given their mean rank;
//  - more than 50 images: the normal approximation;
//  - up to 50 images with no zeros and no ties: the exact distribution of the signed-rank statistic;
//  - up to 13 images with zeros or ties: the exact permutation distribution (all 2^n signs of the ranks, as SciPy's
//    permutation_test enumerates them), else the normal approximation;
//  - the normal approximation: mean n(n+1)/4, variance (n(n+1)(2n+1) - sum(t^3 - t) / 2) / 24 over groups of t
//    tied ranks, n the nonzero differences, no continuity correction.
// SciPy 1.10 to 1.14 differ only with zeros or ties at up to 50 images: they apply the no-ties exact distribution
// at a rounded-down statistic when there are ties (gh-19872), and the normal approximation when there are zeros.
import { normalTwoSided } from './distributions.js';
import { pairedDifferences, type Sample } from './samples.js';

/** Most images for the exact distribution; above it the normal approximation. */
export const WILCOXON_EXACT_MAX = 50;
/** Most images for the permutation distribution when there are ties or zeros (2^13 < 9999, SciPy's resamples). */
export const WILCOXON_PERMUTATION_MAX = 13;

export type WilcoxonMethod = 'exact' | 'permutation' | 'normal';

export interface WilcoxonSignedRank {
  /** min(R+, R-): the smaller of the rank sums of the positive and of the negative differences (scipy's statistic). */
  statistic: number;
  /** Two-sided; null when every difference is zero (SciPy 1.10 raises there, later ones give nan). */
  pValue: number | null;
  /** How the p-value was found; null when every difference is zero. */
  method: WilcoxonMethod | null;
  /** Images with a nonzero difference: those ranked. */
  ranked: number;
  /** Images with a zero difference, dropped. */
  zeros: number;
}

/** Mean ranks of |values| (1 = smallest), and the sizes of the groups of equal ones. */
function rankMagnitudes(values: Float64Array): { ranks: Float64Array; tieSizes: number[] } {
  const order = Array.from(values.keys()).sort((i, j) => Math.abs(values[i]) - Math.abs(values[j]));
  const ranks = new Float64Array(values.length);
  const tieSizes: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && Math.abs(values[order[end]]) === Math.abs(values[order[start]])) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    tieSizes.push(end - start);
    start = end;
  }
  return { ranks, tieSizes };
}

/**
 * P(R+ <= observed) and P(R+ >= observed) over the 2^n equally likely signs of the ranks. Ranks are whole or half
 * numbers, so twice them index an array of counts; counts up to 2^50 are exact in a double.
 */
function signedRankTails(ranks: Float64Array, rankSumPlus: number): { below: number; above: number } {
  const doubled = Array.from(ranks, (rank) => Math.round(2 * rank));
  const total = doubled.reduce((sum, value) => sum + value, 0);
  const counts = new Float64Array(total + 1);
  counts[0] = 1;
  let reach = 0;
  for (const value of doubled) {
    for (let sum = reach; sum >= 0; sum--) counts[sum + value] += counts[sum];
    reach += value;
  }
  const observed = Math.round(2 * rankSumPlus);
  let below = 0;
  let above = 0;
  for (let sum = 0; sum <= total; sum++) {
    if (sum <= observed) below += counts[sum];
    if (sum >= observed) above += counts[sum];
  }
  const outcomes = 2 ** ranks.length;
  return { below: below / outcomes, above: above / outcomes };
}

/** The Wilcoxon signed-rank test of b against a (at least 1 image). */
export function wilcoxonSignedRank(a: Sample, b: Sample): WilcoxonSignedRank {
  const differences = pairedDifferences(a, b, 1);
  const nonzero = differences.filter((value) => value !== 0);
  const zeros = differences.length - nonzero.length;
  const { ranks, tieSizes } = rankMagnitudes(nonzero);
  let rankSumPlus = 0;
  let rankSumMinus = 0;
  nonzero.forEach((value, i) => (value > 0 ? (rankSumPlus += ranks[i]) : (rankSumMinus += ranks[i])));
  const statistic = Math.min(rankSumPlus, rankSumMinus);
  const base = { statistic, ranked: nonzero.length, zeros };
  if (nonzero.length === 0) return { ...base, pValue: null, method: null };

  const ties = tieSizes.some((size) => size > 1);
  // SciPy counts the zeros in the sample size that picks the method, before dropping them.
  const images = differences.length;
  const method: WilcoxonMethod =
    images > WILCOXON_EXACT_MAX ? 'normal' : !ties && zeros === 0 ? 'exact' : images <= WILCOXON_PERMUTATION_MAX ? 'permutation' : 'normal';
  if (method === 'normal') {
    const n = nonzero.length;
    const tieTerm = tieSizes.reduce((sum, size) => sum + size ** 3 - size, 0);
    const spread = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieTerm / 2) / 24);
    return { ...base, pValue: normalTwoSided((statistic - (n * (n + 1)) / 4) / spread), method };
  }
  // Without ties the permutation distribution is the exact one; one computation serves both.
  const { below, above } = signedRankTails(ranks, rankSumPlus);
  return { ...base, pValue: Math.min(1, 2 * Math.min(below, above)), method };
}
