// fit's progress: native events delivered to the user's callbacks, a throwing callback stopping training, and
// the AbortError an aborted fit rejects with.
import type { FitOptions } from './fit.js';
import type { EpochLogs, History } from './history.js';

export interface ProgressEvent {
  type: 'batchEnd' | 'epochEnd';
  step: number;
  epoch: number;
  loss: number;
  logs?: EpochLogs;
}

/**
 * Delivers native progress events to the user's callbacks, keeps their Promises, and stops training (through
 * the shared flag) when one throws or rejects. settled() resolves once every event sent has arrived and every
 * callback Promise has settled.
 */
export class ProgressRelay {
  /** [0]: stop requested; [1]: epoch events whose callback has finished (native waits on it). */
  readonly stopFlag = new Int32Array(2);
  #epochsHandled = 0;
  error: unknown;
  #batchEvents = 0;
  #epochEvents = 0;
  #pending: Promise<unknown>[] = [];
  #arrived?: () => void;
  #expected?: { batchEvents: number; epochEvents: number };

  constructor(private readonly callbacks: Pick<FitOptions, 'onBatchEnd' | 'onEpochEnd'>) {}

  readonly deliver = (event: ProgressEvent): void => {
    if (event.type === 'batchEnd') this.#batchEvents++;
    else this.#epochEvents++;
    try {
      const result =
        event.type === 'batchEnd'
          ? this.callbacks.onBatchEnd?.(event.step, { epoch: event.epoch, loss: event.loss })
          : this.callbacks.onEpochEnd?.(event.epoch, event.logs as EpochLogs);
      if (result instanceof Promise) this.#pending.push(result.catch((error: unknown) => this.fail(error)));
    } catch (error) {
      this.fail(error);
    }
    // Native waits for this before the next epoch. Not for the callback's Promise: a callback that awaits a call
    // on the same model (queued behind fit) would wait forever.
    if (event.type === 'epochEnd') Atomics.store(this.stopFlag, 1, ++this.#epochsHandled);
    this.#checkArrived();
  };

  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  async settled(expected: { batchEvents: number; epochEvents: number }): Promise<void> {
    this.#expected = expected;
    await new Promise<void>((resolve) => {
      this.#arrived = resolve;
      this.#checkArrived();
    });
    await Promise.all(this.#pending);
  }

  private fail(error: unknown): void {
    this.error ??= error;
    this.stop();
  }

  #checkArrived(): void {
    const expected = this.#expected;
    if (expected && this.#batchEvents >= expected.batchEvents && this.#epochEvents >= expected.epochEvents) this.#arrived?.();
  }
}

export function abortError(history: History, reason: unknown): Error {
  const error = new Error('fit: aborted', { cause: reason }) as Error & { history: History };
  error.name = 'AbortError';
  error.history = history;
  return error;
}

