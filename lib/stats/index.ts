// Statistics for comparing two models on the same images: paired tests, the bootstrap, percentiles.
export { pairedTTest, type PairedTTest } from './ttest.js';
export { wilcoxonSignedRank, WILCOXON_EXACT_MAX, WILCOXON_PERMUTATION_MAX, type WilcoxonSignedRank, type WilcoxonMethod } from './wilcoxon.js';
export { bootstrapMeanDifference, bootstrapResamples, BOOTSTRAP_DEFAULTS, type BootstrapOptions, type BootstrapInterval } from './bootstrap.js';
export { percentile } from './percentile.js';
export type { Sample } from './samples.js';
