// Boxplots of scores per image, one box per group (a metric and class, say), drawn by vega-lite as SVG in the
// look of the training curves. The numbers are matplotlib's (cbook.boxplot_stats with whis=1.5): quartiles by
// numpy's linear percentiles, whiskers at the furthest values within 1.5 IQR of the box, values beyond them as dots.
import { checkPath, writeFileAtomic } from '../files.js';
import { percentile } from '../stats/percentile.js';
import { checkOptions, integer, rangeError, typeError, type Check } from '../validate.js';
import { vegaLiteSvg } from './vega.js';

export interface BoxStats {
  /** Values in the group. */
  count: number;
  mean: number;
  /** The 25th, 50th and 75th percentiles. */
  q1: number;
  median: number;
  q3: number;
  /** The smallest and largest values within 1.5 IQR of the box (the box's edge where none lies between). */
  whiskerLow: number;
  whiskerHigh: number;
  /** The values beyond the whiskers, ascending. */
  outliers: number[];
}

export interface BoxGroup {
  label: string;
  /** Finite numbers; an empty group keeps its place on the axis with no box. */
  values: readonly number[];
}

export interface BoxplotOptions {
  title?: string;
  /** The value axis' title (default 'score'). */
  yLabel?: string;
  /** Height of the plot in pixels (default 240); the width grows with the groups. */
  height?: number;
  /** The value axis' range; default [0, 1] when every value lies in it (scores), else fitted to the values. */
  yDomain?: [number, number];
}

function checkValues(values: unknown, name: string, minimum: number): asserts values is readonly number[] {
  if (!Array.isArray(values) || values.length < minimum) throw typeError(name, `${minimum ? 'a non-empty array' : 'an array'} of finite numbers`, values);
  values.forEach((value: unknown, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(`${name}[${i}]`, 'a finite number', value);
  });
}

function statsOf(values: readonly number[]): BoxStats {
  const sorted = Float64Array.from(values).sort();
  const [q1, median, q3] = [25, 50, 75].map((percent) => percentile(sorted, percent));
  const reach = 1.5 * (q3 - q1);
  const inside = sorted.filter((value) => value >= q1 - reach && value <= q3 + reach);
  // Both whiskers start at the box, as matplotlib's do, however the values lie.
  const whiskerLow = Math.min(q1, inside[0] ?? q1);
  const whiskerHigh = Math.max(q3, inside.at(-1) ?? q3);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  const outliers = Array.from(sorted.filter((value) => value < whiskerLow || value > whiskerHigh));
  return { count: sorted.length, mean, q1, median, q3, whiskerLow, whiskerHigh, outliers };
}

/** The box, whiskers and outliers of `values` (at least one finite number). */
export function boxStats(values: readonly number[]): BoxStats {
  checkValues(values, 'values', 1);
  return statsOf(values);
}

const optionChecks: Record<keyof BoxplotOptions, Check> = {
  title: (value, name) => {
    if (typeof value !== 'string') throw typeError(name, 'a string', value);
  },
  yLabel: (value, name) => {
    if (typeof value !== 'string') throw typeError(name, 'a string', value);
  },
  height: integer(40, 4096),
  yDomain: (value, name) => {
    const ok = Array.isArray(value) && value.length === 2 && value.every(Number.isFinite) && value[0] < value[1];
    if (!ok) throw typeError(name, '[low, high] with low < high', value);
  },
};

// The curves' first colour (vega's tableau10 blue), the box filled lighter than its outline.
const BLUE = '#4c78a8';
const DARK = '#333333';
const BOX_WIDTH = 28;

/** Boxplots of the groups, side by side in their order, as an SVG; the mean of each is drawn as a diamond. */
export async function boxplotSvg(groups: readonly BoxGroup[], options?: BoxplotOptions): Promise<string> {
  if (!Array.isArray(groups) || groups.length === 0) throw typeError('groups', 'a non-empty array of { label, values }', groups);
  const { title, yLabel = 'score', height = 240, yDomain } = checkOptions<BoxplotOptions>(options, 'options', optionChecks);
  const labels = new Set<string>();
  const boxes: Array<BoxStats & { label: string }> = [];
  const outliers: Array<{ label: string; value: number }> = [];
  groups.forEach((group, g) => {
    if (typeof group?.label !== 'string') throw typeError(`groups[${g}].label`, 'a string', group?.label);
    if (labels.has(group.label)) throw rangeError(`groups[${g}].label`, 'a label no other group has', group.label);
    labels.add(group.label);
    checkValues(group.values, `groups[${g}].values`, 0);
    if (group.values.length === 0) return;
    const stats = statsOf(group.values);
    boxes.push({ label: group.label, ...stats });
    outliers.push(...stats.outliers.map((value) => ({ label: group.label, value })));
  });
  const everyValue = groups.flatMap((group) => group.values);
  const scores = everyValue.length > 0 && everyValue.every((value) => value >= 0 && value <= 1);
  const scale = yDomain ? { domain: yDomain } : scores ? { domain: [0, 1] } : { zero: false, nice: true };
  const x = { field: 'label', type: 'nominal', title: null, sort: [...labels], scale: { domain: [...labels] }, axis: { labelAngle: 0 } };
  const y = (field: string) => ({ field, type: 'quantitative', title: yLabel, scale });
  const layer = (name: string, mark: Record<string, unknown>, encoding: Record<string, unknown>, values: unknown[] = boxes) => ({
    name,
    data: { values },
    mark,
    encoding: { x, ...encoding },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(title === undefined ? {} : { title }),
    width: { step: Math.max(2 * BOX_WIDTH, 56) },
    height,
    layer: [
      layer('whisker', { type: 'rule', color: DARK }, { y: y('whiskerLow'), y2: { field: 'whiskerHigh' } }),
      layer('cap_low', { type: 'tick', color: DARK, size: BOX_WIDTH / 2 }, { y: y('whiskerLow') }),
      layer('cap_high', { type: 'tick', color: DARK, size: BOX_WIDTH / 2 }, { y: y('whiskerHigh') }),
      layer('box', { type: 'bar', size: BOX_WIDTH, color: BLUE, fillOpacity: 0.35, stroke: BLUE, strokeWidth: 1.5 }, { y: y('q1'), y2: { field: 'q3' } }),
      layer('median', { type: 'tick', color: DARK, size: BOX_WIDTH, thickness: 2 }, { y: y('median') }),
      layer('mean', { type: 'point', shape: 'diamond', filled: true, color: DARK, size: 40 }, { y: y('mean') }),
      layer('outlier', { type: 'point', shape: 'circle', filled: false, color: DARK, size: 24 }, { y: y('value') }, outliers),
    ],
    config: { font: 'DejaVu Sans, sans-serif', background: 'white' },
  };
  return vegaLiteSvg(spec);
}

/** Writes boxplotSvg(groups, options) to `path`, atomically. */
export async function writeBoxplot(path: string, groups: readonly BoxGroup[], options?: BoxplotOptions): Promise<void> {
  checkPath(path, 'path');
  await writeFileAtomic(path, await boxplotSvg(groups, options));
}
