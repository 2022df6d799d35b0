// The paired statistics against scipy and numpy (python3-scipy): the t-test, the Wilcoxon signed-rank test by each
// of its methods and at their thresholds, the bootstrap interval from the same resamples; then `torch-unet compare`
// on two hand-written eval outputs, and its errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { bootstrapMeanDifference, bootstrapResamples, pairedTTest, wilcoxonSignedRank, type WilcoxonMethod } from '../lib/index.js';
import { random } from './helpers/data.js';
import { runOracle } from './helpers/oracle.js';

interface OracleResult {
  t: { t: number | null; pValue: number | null; df: number } | null;
  wilcoxon: { statistic: number; pValue: number | null } | { error: string };
  wilcoxonApprox: { statistic: number; pValue: number | null } | { error: string };
  permutation: number | null;
}

/** Scores of n images for two models: b near a, shifted by `shift`; `grid` > 0 rounds to multiples of 1/grid (ties). */
function scores(n: number, seed: number, { shift = 0.02, grid = 0, zeros = 0 } = {}) {
  const next = random(seed);
  const round = (value: number) => (grid ? Math.round(value * grid) / grid : value);
  const a = Array.from({ length: n }, () => round(0.5 + 0.4 * next()));
  const b = a.map((value, i) => (i < zeros ? value : round(value + shift + 0.1 * (next() - 0.5))));
  return { a, b };
}

// grid 16: dyadic values, so equal differences are equal in floating point.
const CASES: { name: string; a: number[]; b: number[]; method: WilcoxonMethod; against: 'auto' | 'approx' | 'permutation' }[] = [
  { name: 'n 9, no ties: exact', ...scores(9, 1), method: 'exact', against: 'auto' },
  { name: 'n 50, no ties: exact (the limit)', ...scores(50, 2, { shift: 0.01 }), method: 'exact', against: 'auto' },
  { name: 'n 51, no ties: normal', ...scores(51, 3, { shift: 0.01 }), method: 'normal', against: 'auto' },
  { name: 'n 200, ties and zeros: normal', ...scores(200, 4, { grid: 16, zeros: 20, shift: 0.005 }), method: 'normal', against: 'auto' },
  { name: 'n 30, zeros: normal', ...scores(30, 5, { zeros: 4 }), method: 'normal', against: 'auto' },
  { name: 'n 20, ties: normal', ...scores(20, 6, { grid: 16 }), method: 'normal', against: 'approx' },
  { name: 'n 14, ties: normal (above the permutation limit)', ...scores(14, 7, { grid: 16 }), method: 'normal', against: 'approx' },
  { name: 'n 13, ties: permutation (the limit)', ...scores(13, 8, { grid: 16 }), method: 'permutation', against: 'permutation' },
  { name: 'n 10, zeros: permutation', ...scores(10, 9, { zeros: 3 }), method: 'permutation', against: 'permutation' },
  { name: 'n 6, ties and zeros: permutation', a: [0.5, 0.5, 0.25, 0.75, 0.5, 0.125], b: [0.625, 0.375, 0.25, 0.875, 0.75, 0.125], method: 'permutation', against: 'permutation' },
  { name: 'n 2000, a clear difference: normal, tiny p', ...scores(2000, 10, { shift: 0.01 }), method: 'normal', against: 'auto' },
];

const relative = (ours: number, theirs: number) => Math.abs(ours - theirs) / Math.max(Math.abs(theirs), 1e-300);

describe('pairedTTest and wilcoxonSignedRank', () => {
  const oracle = runOracle<{ paired: OracleResult[] }>('paired_stats_case.py', { paired: CASES.map(({ a, b }) => ({ a, b })), bootstrap: [] });

  it('equal scipy.stats.ttest_rel(b, a): t, df and the two-sided p', () => {
    CASES.forEach(({ name, a, b }, i) => {
      const ours = pairedTTest(a, b);
      const theirs = oracle.paired[i].t!;
      expect(ours.df, name).toBe(theirs.df);
      expect(relative(ours.t!, theirs.t!), name).toBeLessThan(1e-12);
      expect(relative(ours.pValue!, theirs.pValue!), name).toBeLessThan(1e-9);
      expect(ours.meanDifference).toBeCloseTo(b.reduce((s, v) => s + v, 0) / b.length - a.reduce((s, v) => s + v, 0) / a.length, 12);
    });
    // The last case's p is far below 1e-20: the tail, not 1 - something, is computed.
    expect(pairedTTest(CASES.at(-1)!.a, CASES.at(-1)!.b).pValue).toBeLessThan(1e-20);
  });

  it('equal scipy.stats.wilcoxon(b, a) by the method each case calls for, and the statistic is min(R+, R-)', () => {
    CASES.forEach(({ name, a, b, method, against }, i) => {
      const ours = wilcoxonSignedRank(a, b);
      const row = oracle.paired[i];
      const theirs = against === 'permutation' ? { statistic: (row.wilcoxonApprox as { statistic: number }).statistic, pValue: row.permutation } : (row[against === 'auto' ? 'wilcoxon' : 'wilcoxonApprox'] as { statistic: number; pValue: number });
      expect(ours.method, name).toBe(method);
      expect(ours.statistic, name).toBe(theirs.statistic);
      expect(relative(ours.pValue!, theirs.pValue!), name).toBeLessThan(1e-9);
    });
  });

  it('picks a method that matters: at the permutation limit the normal approximation is off, and with ties scipy 1.10 differs', () => {
    const limit = CASES.findIndex(({ name }) => name.startsWith('n 13'));
    const approx = oracle.paired[limit].wilcoxonApprox as { pValue: number };
    expect(Math.abs(wilcoxonSignedRank(CASES[limit].a, CASES[limit].b).pValue! - approx.pValue)).toBeGreaterThan(1e-3);
    const exactLimit = CASES.findIndex(({ name }) => name.startsWith('n 50'));
    const exact = wilcoxonSignedRank(CASES[exactLimit].a, CASES[exactLimit].b).pValue!;
    expect(Math.abs(exact - (oracle.paired[exactLimit].wilcoxonApprox as { pValue: number }).pValue)).toBeGreaterThan(1e-6);
  });

  it('gives hand-computed answers', () => {
    // Four positive differences, no ties: R- = 0, and 2 of the 16 sign patterns are as extreme.
    expect(wilcoxonSignedRank([0, 0, 0, 0], [1, 2, 3, 4])).toEqual({ statistic: 0, pValue: 0.125, method: 'exact', ranked: 4, zeros: 0 });
    // Four equal differences: tied ranks of 2.5; the permutation distribution gives the same 2 / 16.
    expect(wilcoxonSignedRank([1, 2, 3, 4], [1.5, 2.5, 3.5, 4.5])).toMatchObject({ statistic: 0, pValue: 0.125, method: 'permutation' });
    // Ranks 1..3: R+ = 1 + 3 and R- = 2; R+ >= 4 in 3 of the 8 sign patterns, so p = 2 * 3 / 8.
    expect(wilcoxonSignedRank([0, 0, 0], [1, -2, 3])).toMatchObject({ statistic: 2, pValue: 0.75 });
    // R+ = R- = 3: the centre of the distribution, p is 1.
    expect(wilcoxonSignedRank([0, 0, 0], [1, 2, -3])).toMatchObject({ statistic: 3, pValue: 1 });
    // t = mean / (sd / sqrt(n)) = 2 / (1 / sqrt(3)); two-sided p of t(2) at 2 sqrt(3) is 0.0741799...
    const t = pairedTTest([0, 0, 0], [1, 2, 3]);
    expect(t.t).toBeCloseTo(2 * Math.sqrt(3), 12);
    expect(t.pValue).toBeCloseTo(0.07417990022744847, 12);
  });

  it('returns null where scipy gives nan or raises: every difference zero', () => {
    expect(pairedTTest([0.5, 0.7], [0.5, 0.7])).toEqual({ meanDifference: 0, t: null, df: 1, pValue: null });
    expect(wilcoxonSignedRank([0.5, 0.7], [0.5, 0.7])).toEqual({ statistic: 0, pValue: null, method: null, ranked: 0, zeros: 2 });
    const allZero = runOracle<{ paired: OracleResult[] }>('paired_stats_case.py', { paired: [{ a: [0.5, 0.7, 0.9], b: [0.5, 0.7, 0.9] }], bootstrap: [] }).paired[0];
    expect(allZero.t).toEqual({ t: null, pValue: null, df: 2 });
    expect(allZero.wilcoxonApprox).toEqual({ error: expect.stringContaining('zero for all elements') });
    // The same nonzero difference everywhere: no spread, an infinite t (scipy: inf, p 0).
    expect(pairedTTest([0.25, 0.5], [0.5, 0.75])).toEqual({ meanDifference: 0.25, t: Infinity, df: 1, pValue: 0 });
  });

  it('names what is wrong with the samples', () => {
    expect(() => pairedTTest([1], [2])).toThrow(new RangeError('a: expected at least 2 values, got 1'));
    expect(() => wilcoxonSignedRank([], [])).toThrow(new RangeError('a: expected at least 1 value, got 0'));
    expect(() => pairedTTest([1, 2, 3], [1, 2])).toThrow(new RangeError('b: expected 3 values (as many as a), got 2'));
    expect(() => pairedTTest([1, 2], [1, NaN])).toThrow(new TypeError('b[1]: expected a finite number, got NaN'));
    expect(() => wilcoxonSignedRank([1, Infinity], [1, 2])).toThrow(new RangeError('a[1]: expected a finite number, got Infinity'));
    expect(() => wilcoxonSignedRank([1, '2'] as never, [1, 2])).toThrow(new TypeError("a[1]: expected a finite number, got '2'"));
    expect(() => pairedTTest('12' as never, [1, 2])).toThrow(new TypeError("a: expected an array of finite numbers, got '12'"));
  });
});

describe('bootstrapMeanDifference', () => {
  const { a, b } = scores(17, 21);
  const differences = b.map((value, i) => value - a[i]);
  const percents = (confidence: number) => [(100 * (1 - confidence)) / 2, 100 - (100 * (1 - confidence)) / 2];

  it("equals numpy's percentiles of the mean difference over the same resamples", () => {
    const settings = [
      { resamples: 10_000, confidence: 0.95, seed: 0 },
      { resamples: 301, confidence: 0.9, seed: 7 },
    ];
    const oracle = runOracle<{ bootstrap: number[][] }>('paired_stats_case.py', {
      paired: [],
      bootstrap: settings.map(({ resamples, confidence, seed }) => ({ differences, indices: [...bootstrapResamples(a.length, resamples, seed)].map((indices) => Array.from(indices)), percents: percents(confidence) })),
    });
    settings.forEach((options, i) => {
      const ours = i === 0 ? bootstrapMeanDifference(a, b) : bootstrapMeanDifference(a, b, options);
      expect(ours).toMatchObject(options);
      expect(ours.low).toBeCloseTo(oracle.bootstrap[i][0], 14);
      expect(ours.high).toBeCloseTo(oracle.bootstrap[i][1], 14);
      expect(ours.low).toBeLessThan(ours.high);
    });
  });

  it('draws each resample with replacement from the seed, the same each time', () => {
    const [first, second] = [...bootstrapResamples(17, 2, 3)];
    expect([...bootstrapResamples(17, 2, 3)]).toEqual([first, second]);
    expect(first).not.toEqual(second);
    expect(Math.max(...first)).toBeLessThan(17);
    expect(new Set(first).size).toBeLessThan(17); // with replacement: 17 draws from 17 repeat some
    const seeded = bootstrapMeanDifference(a, b, { seed: 11 });
    expect(bootstrapMeanDifference(a, b, { seed: 11 })).toEqual(seeded);
    expect(bootstrapMeanDifference(a, b, { seed: 12 }).low).not.toBe(seeded.low);
    // The mean difference lies inside its interval; a wider coverage gives a wider one.
    const meanDifference = differences.reduce((s, v) => s + v, 0) / differences.length;
    expect(seeded.low).toBeLessThan(meanDifference);
    expect(seeded.high).toBeGreaterThan(meanDifference);
    const wide = bootstrapMeanDifference(a, b, { seed: 11, confidence: 0.99 });
    expect(wide.high - wide.low).toBeGreaterThan(seeded.high - seeded.low);
  });

  it('names a bad option', () => {
    expect(() => bootstrapMeanDifference(a, b, { confidence: 1 })).toThrow(new RangeError('options.confidence: expected a number in (0, 1), got 1'));
    expect(() => bootstrapMeanDifference(a, b, { resamples: 0 })).toThrow(new RangeError('options.resamples: expected an integer from 1 to 10000000, got 0'));
    expect(() => bootstrapMeanDifference(a, b, { samples: 5 } as never)).toThrow(/options.samples: unknown option; expected one of resamples, confidence, seed/);
  });
});

describe('torch-unet compare', () => {
  const CLI = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
  const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-compare-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, 'compare', ...args], { encoding: 'utf8', timeout: 120_000 });

  // Two classes, 12 images; b is better on class 1, as good on class 2; class 2 is absent from image 0's truth
  // (null), and the Hausdorff distance is infinite for image 1 of b (an empty prediction).
  const first = scores(12, 31, { shift: 0.05 });
  const second = scores(12, 32, { shift: 0 });
  const names = first.a.map((_, i) => `image${i}.png`);
  const hausdorff = (model: 'a' | 'b', i: number): (number | string)[] => (model === 'b' && i === 1 ? ['Infinity', 2] : [3 + i, 2 + (i % 3)]);
  const evalOutput = (model: 'a' | 'b') => ({
    type: 'evaluated',
    classes: [1, 2],
    images: names.map((name, i) => ({
      name,
      iou: [first[model][i], i === 0 ? null : second[model][i]],
      dice: [first[model][i] / 2 + 0.5, i === 0 ? null : second[model][i] / 2 + 0.5],
      hausdorff95: hausdorff(model, i),
    })),
    iouByClass: [0.5, 0.5],
    meanIoU: 0.5,
  });
  const write = (name: string, content: string) => {
    const path = join(scratch, name);
    writeFileSync(path, content);
    return path;
  };
  // As eval --json prints it (one line), and pretty-printed with the images in another order.
  const fileA = write('a.json', `${JSON.stringify(evalOutput('a'))}\n`);
  const reordered = { ...evalOutput('b'), images: [...evalOutput('b').images].reverse() };
  const fileB = write('b.json', JSON.stringify(reordered, null, 2));

  it('--json prints one object: per metric and class, and the mean over classes, the stats of the library', () => {
    const result = cli(fileA, fileB, '--json', '--resamples', '2000', '--seed', '3');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const output = JSON.parse(lines[0]);
    expect(output).toMatchObject({ type: 'compared', a: fileA, b: fileB, images: 12, resamples: 2000, confidence: 0.95, seed: 3, notCompared: [] });
    const rows = output.rows as { metric: string; class: number | string; n: number; notFinite: number; missing: number }[];
    expect(rows.map((row) => `${row.metric}:${row.class}`)).toEqual(['iou:1', 'iou:2', 'iou:mean', 'dice:1', 'dice:2', 'dice:mean', 'hausdorff95:1', 'hausdorff95:2', 'hausdorff95:mean']);
    expect(rows.find((row) => row.metric === 'iou' && row.class === 2)).toMatchObject({ n: 11, missing: 1, notFinite: 0 });
    expect(rows.find((row) => row.metric === 'hausdorff95' && row.class === 1)).toMatchObject({ n: 11, missing: 0, notFinite: 1 });
    expect(rows.find((row) => row.metric === 'hausdorff95' && row.class === 'mean')).toMatchObject({ n: 11, notFinite: 1 });
    // Class 1's IoU row is the library's stats of the paired scores.
    const iou = rows[0] as unknown as Record<string, unknown>;
    const t = pairedTTest(first.a, first.b);
    const w = wilcoxonSignedRank(first.a, first.b);
    const interval = bootstrapMeanDifference(first.a, first.b, { resamples: 2000, seed: 3 });
    expect(iou).toMatchObject({ n: 12, meanDifference: t.meanDifference, interval: { low: interval.low, high: interval.high }, tTest: { t: t.t, df: 11, pValue: t.pValue }, wilcoxon: { statistic: w.statistic, pValue: w.pValue, method: 'exact' } });
    expect(iou.meanA).toBeCloseTo(first.a.reduce((s, v) => s + v, 0) / 12, 12);
    // The per-image mean over classes: image 0 has class 1 only.
    const meanRow = rows[2] as unknown as { meanA: number };
    const perImage = first.a.map((value, i) => (i === 0 ? value : (value + second.a[i]) / 2));
    expect(meanRow.meanA).toBeCloseTo(perImage.reduce((s, v) => s + v, 0) / 12, 12);
  });

  it('prints a table with the notes, and CSV with --csv', () => {
    const table = cli(fileA, fileB, '--resamples', '500');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^metric\s+class\s+n\s+mean a\s+mean b\s+b - a\s+95% interval\s+t-test p\s+Wilcoxon p/);
    expect(table.stdout).toMatch(/\niou\s+1\s+12\s+\d\.\d{4}\s+\d\.\d{4}\s+[+-]\d\.\d{4}\s+\[[+-]\d\.\d{4}, [+-]\d\.\d{4}\]\s+\S+\s+\S+\n/);
    expect(table.stdout).toContain('12 images paired by name; bootstrap of 500 resamples, seed 0');
    expect(table.stdout).toContain('hausdorff95 class 1: 1 image left out, a score not finite');
    expect(table.stdout).toContain('iou class 2: 1 image without a score in one or both');
    const csv = cli(fileA, fileB, '--csv', '--resamples', '500').stdout.trim().split('\n');
    expect(csv[0]).toBe('metric,class,n,not_finite,missing,mean_a,mean_b,difference,ci_low,ci_high,t_test_p,wilcoxon_p');
    expect(csv).toHaveLength(10);
    expect(csv[1].split(',').slice(0, 5)).toEqual(['iou', '1', '12', '0', '0']);
    expect(Number(csv[1].split(',')[10])).toBeCloseTo(pairedTTest(first.a, first.b).pValue!, 12);
  });

  it('compares the metrics both have and names the others', () => {
    const extra = write('extra.json', JSON.stringify({ ...evalOutput('b'), images: evalOutput('b').images.map((image) => ({ ...image, surfaceDice: [0.5, 0.5] })) }));
    const output = JSON.parse(cli(fileA, extra, '--json', '--resamples', '100').stdout);
    expect(output.notCompared).toEqual([`surfaceDice (only in ${extra})`]);
    expect(new Set(output.rows.map((row: { metric: string }) => row.metric))).toEqual(new Set(['iou', 'dice', 'hausdorff95']));
  });

  it('refuses files that are not eval outputs, other images, other classes, and wrong usage', () => {
    const notJson = write('notes.txt', 'hello\n');
    const otherEvent = write('train.json', '{"type":"epoch","loss":0.3}\n');
    const missing = write('missing.json', JSON.stringify({ ...evalOutput('b'), images: evalOutput('b').images.slice(2) }));
    const binary = evalOutput('b').images.map(({ name, iou, dice, hausdorff95 }) => ({ name, iou: iou.slice(0, 1), dice: dice.slice(0, 1), hausdorff95: hausdorff95.slice(0, 1) }));
    const classes = write('classes.json', JSON.stringify({ ...evalOutput('b'), classes: [1], images: binary }));
    const shortScores = write('short.json', JSON.stringify({ ...evalOutput('b'), images: evalOutput('b').images.map((image, i) => (i === 4 ? { ...image, iou: [0.5] } : image)) }));
    const cases: [string[], string][] = [
      [[fileA, notJson], `torch-unet: ${notJson}: not the output of 'torch-unet eval --json' (no JSON line of type 'evaluated')`],
      [[otherEvent, fileB], `torch-unet: ${otherEvent}: not the output of 'torch-unet eval --json'`],
      [[fileA, join(scratch, 'none.json')], `torch-unet: ${join(scratch, 'none.json')}: cannot be read (ENOENT)`],
      [[fileA, missing], `torch-unet: ${missing} lacks 2 of the 12 images of ${fileA} (image0.png, image1.png); compare needs the same images in both`],
      [[fileA, classes], `torch-unet: ${fileA} scores classes 1, 2, ${classes} classes 1: not the same model task`],
      [[fileA, shortScores], `torch-unet: ${shortScores}: images[4] (image4.png).iou has 1 scores for 2 classes`],
    ];
    for (const [args, message] of cases) {
      const result = cli(...args);
      expect(result.status, message).toBe(1);
      expect(result.stderr.trim()).toContain(message);
      expect(result.stdout).toBe('');
    }
    expect(cli(fileA, fileB, '--confidence', '1').status).toBe(2);
    expect(cli(fileA).status).toBe(2);
  });
});
