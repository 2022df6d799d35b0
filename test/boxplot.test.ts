// The boxplot picture: its numbers against matplotlib's cbook.boxplot_stats (python3-matplotlib), and its SVG read
// back by an XML parser: one box per group, in place on the value axis, the outliers as dots, the labels.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { boxplotSvg, boxStats, writeBoxplot, type BoxStats } from '../lib/index.js';
import { random } from './helpers/data.js';
import { runOracle } from './helpers/oracle.js';

interface Picture {
  root: string;
  width: string;
  height: string;
  marks: Record<string, { d: string | null; transform: string | null }[]>;
  texts: string[];
}

const oracle = (values: number[][], svgs: string[] = []) => runOracle<{ stats: Omit<BoxStats, 'count'>[]; pictures: Picture[] }>('boxplot_case.py', { values, svgs });

/** `count` values: most in [0.6, 0.9], some far out on either side when `outliers`. */
function sample(count: number, seed: number, outliers = false): number[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => (outliers && i % 9 === 4 ? (i % 2 ? 3 : -2) * next() : 0.6 + 0.3 * next()));
}

const folder = mkdtempSync(join(tmpdir(), 'torch-unet-boxplot-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('boxStats', () => {
  it("equals matplotlib's boxplot_stats: quartiles, whiskers at 1.5 IQR, outliers and the mean", () => {
    const next = random(5);
    const cases = [
      sample(37, 1),
      sample(60, 2, true),
      sample(1, 3),
      sample(2, 4),
      [0.5, 0.5, 0.5, 0.5],
      [0.25, 0.25, 0.5, 0.75, 0.75, 0.75, 1],
      // Distances: a long right tail.
      Array.from({ length: 80 }, () => -10 * Math.log(1 - next())),
      // Just beyond 1.5 IQR of the box (13.5 and -4.5), within 1.6.
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 13.7],
      [-4.7, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      // Small samples where the whiskers can fall back to the box.
      ...Array.from({ length: 30 }, (_, i) => sample(3 + (i % 7), 100 + i, true)),
    ];
    const theirs = oracle(cases).stats;
    let outliers = 0;
    cases.forEach((values, i) => {
      const ours = boxStats(values);
      expect(ours.count).toBe(values.length);
      for (const key of ['q1', 'median', 'q3', 'whiskerLow', 'whiskerHigh'] as const) expect(ours[key], `case ${i} ${key}`).toBe(theirs[i][key]);
      expect(ours.mean, `case ${i} mean`).toBeCloseTo(theirs[i].mean, 13);
      expect(ours.outliers, `case ${i} outliers`).toEqual(theirs[i].outliers);
      outliers += ours.outliers.length;
    });
    expect(outliers, 'some cases have outliers').toBeGreaterThan(10);
  });

  it('gives hand-computed numbers', () => {
    // Quartiles 2, 3, 4 (linear): IQR 2, so the whiskers reach 1 and 4 and 100 is an outlier.
    expect(boxStats([4, 1, 100, 3, 2])).toEqual({ count: 5, mean: 22, q1: 2, median: 3, q3: 4, whiskerLow: 1, whiskerHigh: 4, outliers: [100] });
    // Positions 0.75 and 2.25 of four values: 1.75 and 3.25 (numpy's 'linear').
    expect(boxStats([1, 2, 3, 4])).toMatchObject({ q1: 1.75, median: 2.5, q3: 3.25, whiskerLow: 1, whiskerHigh: 4, outliers: [] });
  });

  it('names what is wrong', () => {
    expect(() => boxStats([])).toThrow(new TypeError('values: expected a non-empty array of finite numbers, got an array'));
    expect(() => boxStats([1, NaN])).toThrow(new TypeError('values[1]: expected a finite number, got NaN'));
    expect(() => boxStats([1, Infinity])).toThrow(new TypeError('values[1]: expected a finite number, got Infinity'));
  });
});

describe('boxplotSvg', () => {
  it('draws one box per group where its quartiles lie, the whiskers, means and outliers, and the labels', async () => {
    const groups = [
      { label: 'Dice 1', values: sample(40, 11, true).map((v) => Math.min(1, Math.max(0, v))) },
      { label: 'Dice 2', values: sample(25, 12) },
      { label: 'IoU 1', values: [] },
      { label: 'IoU 2', values: [0.1, 0.4, 0.6, 0.62, 0.9] },
    ];
    const height = 200;
    const svg = await boxplotSvg(groups, { title: 'Scores per image', yLabel: 'Dice or IoU', height });
    const [picture] = oracle([], [svg]).pictures;
    expect(picture.root).toBe('{http://www.w3.org/2000/svg}svg');
    const drawn = groups.filter((group) => group.values.length > 0).map((group) => boxStats(group.values));
    for (const mark of ['box', 'median', 'mean', 'whisker', 'cap_low', 'cap_high']) expect(picture.marks[mark], mark).toHaveLength(drawn.length);
    expect(picture.marks.outlier).toHaveLength(drawn.reduce((sum, stats) => sum + stats.outliers.length, 0));
    expect(picture.marks.outlier.length).toBeGreaterThan(0);
    // Scores in [0, 1] get the axis [0, 1]: a box's top is at height * (1 - q3), its height is height * IQR.
    picture.marks.box.forEach(({ d }, i) => {
      const [, top, boxHeight] = /^M[\d.]+,([\d.]+)h[\d.]+v([\d.]+)h-[\d.]+Z$/.exec(d ?? '')!.map(Number);
      expect(top).toBeCloseTo(height * (1 - drawn[i].q3), 6);
      expect(boxHeight).toBeCloseTo(height * (drawn[i].q3 - drawn[i].q1), 6);
    });
    const outlierHeights = picture.marks.outlier.map(({ transform }) => Number(/translate\([\d.]+,([\d.]+)\)/.exec(transform ?? '')![1]));
    expect(outlierHeights).toEqual(drawn.flatMap((stats) => stats.outliers.map((value) => expect.closeTo(height * (1 - value), 6))));
    for (const text of ['Scores per image', 'Dice or IoU', 'Dice 1', 'Dice 2', 'IoU 1', 'IoU 2', '0.0', '1.0']) expect(picture.texts).toContain(text);
  });

  it('fits the axis to distances, and writeBoxplot writes the same SVG', async () => {
    const groups = [
      { label: 'a', values: [1, 2, 3, 4, 50, 2.5] },
      { label: 'b', values: [3, 4, 5] },
    ];
    const path = join(folder, 'nested', 'distances.svg');
    await writeBoxplot(path, groups, { yLabel: 'pixels' });
    const svg = readFileSync(path, 'utf8');
    expect(svg).toBe(await boxplotSvg(groups, { yLabel: 'pixels' }));
    const [picture] = oracle([], [svg]).pictures;
    expect(picture.marks.box).toHaveLength(2);
    expect(picture.marks.outlier).toHaveLength(1); // 50
    expect(picture.texts).toContain('50');
    expect(picture.texts).toContain('pixels');
    // Groups with nothing to draw (every distance infinite, say) keep their labels.
    const [empty] = oracle([], [await boxplotSvg([{ label: 'HD95 1', values: [] }, { label: 'HD95 2', values: [] }])]).pictures;
    expect(empty.marks.box).toEqual([]);
    expect(empty.texts).toEqual(expect.arrayContaining(['HD95 1', 'HD95 2']));
  });

  it('names what is wrong', async () => {
    await expect(boxplotSvg([])).rejects.toThrow(new TypeError('groups: expected a non-empty array of { label, values }, got an array'));
    await expect(boxplotSvg([{ label: 'a', values: [1] }, { label: 'a', values: [2] }])).rejects.toThrow(new RangeError("groups[1].label: expected a label no other group has, got 'a'"));
    await expect(boxplotSvg([{ label: 'a', values: [1, Infinity] }])).rejects.toThrow(new TypeError('groups[0].values[1]: expected a finite number, got Infinity'));
    await expect(boxplotSvg([{ label: 'a', values: [1] }], { yDomain: [1, 0] })).rejects.toThrow(/options.yDomain: expected \[low, high\] with low < high/);
    await expect(boxplotSvg([{ label: 'a', values: [1] }], { colour: 'red' } as never)).rejects.toThrow(/options.colour: unknown option/);
  });
});
