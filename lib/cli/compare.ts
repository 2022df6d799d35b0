// `torch-unet compare a.json b.json`: two models' eval outputs on the same images, metric by metric and class by
// class (and the mean over classes per image): the mean difference b - a with its bootstrap interval, the paired
// t-test and the Wilcoxon signed-rank test; as a table, --json (one object) or --csv. It only prints.
import { bootstrapMeanDifference, pairedTTest, wilcoxonSignedRank, type WilcoxonMethod } from '../stats/index.js';
import { mean } from '../stats/samples.js';
import { readEvalOutput, type EvalOutput, type Score } from './eval_output.js';
import { createReporter, formatTable, type OutputOptions } from './report.js';

export interface CompareOptions extends OutputOptions {
  resamples: number;
  confidence: number;
  seed: number;
  csv?: boolean;
}

export interface ComparedRow {
  metric: string;
  /** A class as eval numbers it, or 'mean': the mean over an image's classes that have a score. */
  class: number | 'mean';
  /** Images where both have a finite score: those compared. */
  n: number;
  /** Images left out because a score is not finite (a Hausdorff distance to an empty mask, say). */
  notFinite: number;
  /** Images left out because a score is null (undefined there: a class absent from the truth, say). */
  missing: number;
  meanA: number | null;
  meanB: number | null;
  meanDifference: number | null;
  interval: { low: number; high: number } | null;
  /** Null below 2 images; an infinite t (no spread in the differences) prints as null in JSON. */
  tTest: { t: number | null; df: number; pValue: number | null } | null;
  wilcoxon: { statistic: number; pValue: number | null; method: WilcoxonMethod | null } | null;
}

/** The mean of an image's finite class scores; non-finite if any is; null if none has a score. */
function meanOverClasses(scores: Score[]): Score {
  const present = scores.filter((value): value is number => value !== null);
  return present.length ? mean(present) : null;
}

/** The same images in both, or an error that names what one lacks. */
function pairedNames(a: EvalOutput, b: EvalOutput): string[] {
  const lacking = (from: EvalOutput, other: EvalOutput) => [...other.images.keys()].filter((name) => !from.images.has(name));
  for (const [from, other] of [[a, b], [b, a]]) {
    const names = lacking(from, other);
    if (names.length) {
      const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', ...' : '');
      throw new Error(`${from.file} lacks ${names.length} of the ${other.images.size} images of ${other.file} (${shown}); compare needs the same images in both`);
    }
  }
  return [...a.images.keys()];
}

function compareScores(metric: string, classLabel: number | 'mean', pairs: [Score, Score][], options: CompareOptions): ComparedRow {
  const [a, b]: [number[], number[]] = [[], []];
  let notFinite = 0;
  let missing = 0;
  for (const [scoreA, scoreB] of pairs) {
    if (scoreA === null || scoreB === null) missing++;
    else if (!Number.isFinite(scoreA) || !Number.isFinite(scoreB)) notFinite++;
    else {
      a.push(scoreA);
      b.push(scoreB);
    }
  }
  const row = { metric, class: classLabel, n: a.length, notFinite, missing };
  if (a.length === 0) return { ...row, meanA: null, meanB: null, meanDifference: null, interval: null, tTest: null, wilcoxon: null };
  const { low, high } = bootstrapMeanDifference(a, b, { resamples: options.resamples, confidence: options.confidence, seed: options.seed });
  const tTest = a.length >= 2 ? pairedTTest(a, b) : null;
  const { statistic, pValue, method } = wilcoxonSignedRank(a, b);
  return {
    ...row,
    meanA: mean(a),
    meanB: mean(b),
    meanDifference: tTest ? tTest.meanDifference : b[0] - a[0],
    interval: { low, high },
    tTest: tTest && { t: tTest.t, df: tTest.df, pValue: tTest.pValue },
    wilcoxon: { statistic, pValue, method },
  };
}

export function compareOutputs(a: EvalOutput, b: EvalOutput, options: CompareOptions): { images: number; rows: ComparedRow[]; notCompared: string[] } {
  if (a.classes.join() !== b.classes.join()) throw new Error(`${a.file} scores classes ${a.classes.join(', ')}, ${b.file} classes ${b.classes.join(', ')}: not the same model task`);
  const names = pairedNames(a, b);
  const metrics = a.metrics.filter((metric) => b.metrics.includes(metric));
  if (metrics.length === 0) throw new Error(`${a.file} and ${b.file} have no metric in common (${a.metrics.join(', ')}; ${b.metrics.join(', ')})`);
  const notCompared = [...a.metrics.filter((m) => !metrics.includes(m)).map((m) => `${m} (only in ${a.file})`), ...b.metrics.filter((m) => !metrics.includes(m)).map((m) => `${m} (only in ${b.file})`)];
  const rows: ComparedRow[] = [];
  for (const metric of metrics) {
    const scores = (output: EvalOutput, name: string) => (output.images.get(name) as Record<string, Score[]>)[metric];
    a.classes.forEach((classNumber, c) => rows.push(compareScores(metric, classNumber, names.map((name) => [scores(a, name)[c], scores(b, name)[c]]), options)));
    // With one class the mean is that class again.
    if (a.classes.length > 1) rows.push(compareScores(metric, 'mean', names.map((name) => [meanOverClasses(scores(a, name)), meanOverClasses(scores(b, name))]), options));
  }
  return { images: names.length, rows, notCompared };
}

const fixed = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value.toFixed(4));
const signed = (value: number | null | undefined) => (value === null || value === undefined ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(4)}`);
const probability = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value < 1e-4 ? value.toExponential(1) : value.toFixed(4));
const imageCount = (count: number) => `${count} image${count === 1 ? '' : 's'}`;
const csvCell = (value: number | string | null | undefined) => (value === null || value === undefined ? '' : String(value));

export async function compare(fileA: string, fileB: string, options: CompareOptions): Promise<void> {
  const report = createReporter(options);
  const [a, b] = await Promise.all([readEvalOutput(fileA), readEvalOutput(fileB)]);
  const { images, rows, notCompared } = compareOutputs(a, b, options);
  const { resamples, confidence, seed } = options;
  if (options.csv) {
    const header = ['metric', 'class', 'n', 'not_finite', 'missing', 'mean_a', 'mean_b', 'difference', 'ci_low', 'ci_high', 't_test_p', 'wilcoxon_p'];
    const lines = rows.map((row) => [row.metric, row.class, row.n, row.notFinite, row.missing, row.meanA, row.meanB, row.meanDifference, row.interval?.low, row.interval?.high, row.tTest?.pValue, row.wilcoxon?.pValue].map(csvCell).join(','));
    console.log([header.join(','), ...lines].join('\n'));
    return;
  }
  const percent = `${+(confidence * 100).toFixed(6)}%`;
  const header = ['metric', 'class', 'n', 'mean a', 'mean b', 'b - a', `${percent} interval`, 't-test p', 'Wilcoxon p'];
  const body = rows.map((row) => [
    row.metric,
    String(row.class),
    String(row.n),
    fixed(row.meanA),
    fixed(row.meanB),
    signed(row.meanDifference),
    row.interval ? `[${signed(row.interval.low)}, ${signed(row.interval.high)}]` : '-',
    probability(row.tTest?.pValue),
    probability(row.wilcoxon?.pValue),
  ]);
  const notes = [
    `a: ${fileA}, b: ${fileB}; ${imageCount(images)} paired by name; bootstrap of ${resamples} resamples, seed ${seed}; two-sided p-values`,
    ...rows.filter((row) => row.notFinite > 0).map((row) => `${row.metric} class ${row.class}: ${imageCount(row.notFinite)} left out, a score not finite`),
    ...rows.filter((row) => row.missing > 0).map((row) => `${row.metric} class ${row.class}: ${imageCount(row.missing)} without a score in one or both`),
    ...notCompared.map((metric) => `not compared: ${metric}`),
  ];
  report.result('compared', { a: fileA, b: fileB, images, resamples, confidence, seed, rows, notCompared }, `${formatTable([header, ...body])}\n\n${notes.join('\n')}`);
}
