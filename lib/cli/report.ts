// How a command talks to its user: a progress bar on a terminal, one JSON line per event for scripts (--json), or
// nothing but the results (--quiet). Every command reports through one Reporter.
import { SingleBar } from 'cli-progress';

import type { BatchLogs, EpochLogs } from '../training/history.js';

export interface OutputOptions {
  quiet?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export interface Reporter {
  /** A line of text for people; with --json an event { type: 'message', text }. */
  message(text: string): void;
  /** A result: printed as text, or as one JSON event with --json. Shown even with --quiet. */
  result(type: string, value: Record<string, unknown>, text: string): void;
  /** Training progress: call once before fit, then pass the callbacks to fit. */
  training(totalEpochs: number, stepsPerEpoch: number, firstEpoch?: number): TrainingCallbacks;
  /** Work over a list of files (predict, eval). */
  items(label: string, total: number): { tick(name: string): void; stop(): void };
}

export interface TrainingCallbacks {
  onBatchEnd(step: number, logs: BatchLogs): void;
  onEpochEnd(epoch: number, logs: EpochLogs): void;
  stop(): void;
}

const format = (value: number | null | undefined, digits = 4) => (value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));

export function createReporter(options: OutputOptions): Reporter {
  if (options.json) return jsonReporter();
  // A bar needs a terminal; piped or quiet output gets lines only where they matter.
  const showBar = !options.quiet && process.stderr.isTTY === true;
  const say = (text: string) => {
    if (!options.quiet) console.error(text);
  };
  return {
    message: say,
    result: (_type, _value, text) => console.log(text),
    training(totalEpochs, stepsPerEpoch, firstEpoch = 1) {
      const bar = showBar
        ? new SingleBar({
            format: 'epoch {epoch}/{epochs} |{bar}| {percentage}% | step {value}/{total} | ETA {eta_formatted} | loss {loss} | val Dice {valDice}',
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: Math.max(10, stepsPerEpoch),
          })
        : undefined;
      const steps = (totalEpochs - firstEpoch + 1) * stepsPerEpoch;
      bar?.start(steps, 0, { epoch: firstEpoch, epochs: totalEpochs, loss: '-', valDice: '-' });
      let done = 0;
      let valDice = '-';
      return {
        onBatchEnd: (_step, logs) => bar?.update(++done, { epoch: logs.epoch, loss: format(logs.loss) }),
        onEpochEnd: (epoch, logs) => {
          valDice = format(logs.valDice);
          if (bar) bar.update({ valDice });
          else say(`epoch ${epoch}/${totalEpochs}  loss ${format(logs.loss)}  val Dice ${valDice}  val IoU ${format(logs.valIoU)}  ${logs.seconds.toFixed(1)} s`);
        },
        stop: () => bar?.stop(),
      };
    },
    items(label, total) {
      const bar = showBar ? new SingleBar({ format: `${label} |{bar}| {value}/{total} | ETA {eta_formatted} | {name}`, hideCursor: true }) : undefined;
      bar?.start(total, 0, { name: '' });
      return { tick: (name) => bar?.increment({ name }), stop: () => bar?.stop() };
    },
  };
}

function jsonReporter(): Reporter {
  const emit = (event: Record<string, unknown>) => console.log(JSON.stringify(event));
  return {
    message: (text) => emit({ type: 'message', text }),
    result: (type, value) => emit({ type, ...value }),
    training: () => ({
      onBatchEnd: (step, logs) => emit({ type: 'batch', step, ...logs }),
      onEpochEnd: (_epoch, logs) => emit({ type: 'epoch', ...logs }),
      stop: () => undefined,
    }),
    items: () => ({ tick: () => undefined, stop: () => undefined }),
  };
}

/** Rows of cells as aligned text columns, two spaces apart (the first row is the header). */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((value, column) => value.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}
