// Training curves for people: loss, validation loss, Dice and IoU per epoch, drawn by vega-lite as SVG.
import { checkPath, writeFileAtomic } from '../files.js';
import type { EpochLogs } from '../training/history.js';
import { typeError } from '../validate.js';
import { vegaLiteSvg } from './vega.js';

/** The training curves as an SVG: loss (and validation loss) per epoch above, validation Dice and IoU below. */
export async function curves(history: readonly EpochLogs[]): Promise<string> {
  if (!Array.isArray(history) || history.length === 0) throw typeError('history', 'a non-empty array of epoch logs (from fit)', history);
  const rows: Array<{ epoch: number; series: string; value: number; panel: 'loss' | 'score' }> = [];
  history.forEach((logs, index) => {
    if (typeof logs?.epoch !== 'number' || typeof logs.loss !== 'number') throw typeError(`history[${index}]`, 'epoch logs with epoch and loss', logs);
    const add = (series: keyof EpochLogs, panel: 'loss' | 'score') => {
      const value = logs[series];
      if (typeof value === 'number' && Number.isFinite(value)) rows.push({ epoch: logs.epoch, series, value, panel });
    };
    add('loss', 'loss');
    add('valLoss', 'loss');
    add('valDice', 'score');
    add('valIoU', 'score');
  });
  const line = (panel: 'loss' | 'score', title: string) => ({
    width: 480,
    height: 180,
    title,
    transform: [{ filter: `datum.panel === '${panel}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: panel === 'loss' ? 'loss' : 'score', ...(panel === 'score' ? { scale: { domain: [0, 1] } } : { scale: { zero: false } }) },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
  const panels = [line('loss', 'Loss')];
  if (rows.some(({ panel }) => panel === 'score')) panels.push(line('score', 'Validation Dice and IoU'));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    vconcat: panels,
    resolve: { scale: { color: 'independent' } },
    config: { font: 'DejaVu Sans, sans-serif', background: 'white' },
  };
  return vegaLiteSvg(spec);
}

/** Writes curves(history) to `path`, atomically. */
export async function writeCurves(path: string, history: readonly EpochLogs[]): Promise<void> {
  checkPath(path, 'path');
  await writeFileAtomic(path, await curves(history));
}
