// Dynamic batching for predict, as Triton's dynamic batcher does it: calls with the same options and image size
// wait in a queue; when the model is free, the oldest ready queue (full, or its first call has waited
// maxQueueDelayMs) runs as one native batch of up to maxBatchSize images, and each caller gets its own slice.
// One batch runs at a time (the model runs its operations one at a time anyway), so batches grow under load.
import { sliceBatch, type Tensor, type TensorData, type TensorLike } from '../tensor.js';

export interface BatchingOptions {
  /** Most images in one batch. */
  maxBatchSize: number;
  /** Longest a call waits for others to share its batch, in milliseconds. */
  maxQueueDelayMs: number;
  /** Most calls waiting (not yet running); a call past it rejects at once with a QueueFullError. Default no limit. */
  maxQueueSize?: number;
}

/** A call refused because the queue was full: try again later (a server answers 503). */
export class QueueFullError extends Error {
  readonly code = 'ERR_QUEUE_FULL';
  constructor(readonly maxQueueSize: number) {
    super(`the queue is full (maxQueueSize = ${maxQueueSize} calls waiting)`);
    this.name = 'QueueFullError';
  }
}

/** Runs one batch natively. Its images are overwritten by a later batch once the Promise settles: keep none of them. */
export type RunBatch = (images: TensorLike) => Promise<Tensor>;

interface Waiting {
  images: TensorLike;
  arrived: number;
  resolve: (result: Tensor) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Queue {
  waiting: Waiting[];
  options: BatchingOptions;
  run: RunBatch;
}

/**
 * The parts one after another, in `spare` when it is of their type and large enough (the batcher's buffer of its
 * last batch: reusing it spares the garbage collector megabytes a batch), else in a new array.
 */
function concatenate(parts: TensorLike[], spare: TensorData | undefined): { batch: TensorLike; buffer: TensorData } {
  const [first] = parts;
  const length = parts.reduce((sum, part) => sum + part.data.length, 0);
  const Data = first.data.constructor as new (length: number) => TensorData;
  const buffer = spare instanceof Data && spare.length >= length ? spare : new Data(length);
  const data = buffer.subarray(0, length);
  let offset = 0;
  for (const part of parts) {
    (data as Float32Array).set(part.data as Float32Array, offset);
    offset += part.data.length;
  }
  return { batch: { data, shape: [parts.reduce((sum, part) => sum + part.shape[0], 0), ...first.shape.slice(1)] }, buffer };
}

/** Views of one result, one per caller, in the order the calls came (no copy). */
function split(result: Tensor, counts: number[]): Tensor[] {
  let start = 0;
  return counts.map((count) => {
    const part = sliceBatch(result, start, start + count);
    start += count;
    return part;
  });
}

/**
 * Settles each caller in a turn of the event loop of its own, in call order: what a caller does with its result
 * (a server encodes and sends it) then runs between other timers and I/O instead of all callers' work in one block.
 */
function deliver(taken: Waiting[], parts: Tensor[]): void {
  let next = 0;
  const settle = () => {
    taken[next].resolve(parts[next]);
    if (++next < taken.length) setImmediate(settle);
  };
  settle();
}

// A timer may fire a fraction of a millisecond before its deadline: that much early counts as due.
const TIMER_SLACK_MS = 0.5;

export class PredictBatcher {
  readonly #queues = new Map<string, Queue>();
  #running = false;
  #timer?: NodeJS.Timeout;
  #queued = 0;
  // The last batch's buffer, free again once its native call has ended (one batch runs at a time).
  #spare?: TensorData;

  /** Calls waiting, over all queues (the running batch not included). */
  get queued(): number {
    return this.#queued;
  }

  /**
   * `key` names what must be equal for calls to share a batch (the options, the image size and dtype); `run`
   * predicts one batch with those options. An abort rejects the call at once with the signal's reason: a
   * waiting call leaves its queue, a running one's result is dropped.
   */
  predict(key: string, images: TensorLike, options: BatchingOptions, run: RunBatch, signal?: AbortSignal): Promise<Tensor> {
    return new Promise<Tensor>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (options.maxQueueSize !== undefined && this.#queued >= options.maxQueueSize) {
        return reject(new QueueFullError(options.maxQueueSize));
      }
      let queue = this.#queues.get(key);
      if (!queue) {
        queue = { waiting: [], options, run };
        this.#queues.set(key, queue);
      }
      const waiting: Waiting = { images, arrived: performance.now(), resolve, reject, signal };
      if (signal) {
        waiting.onAbort = () => this.#drop(key, waiting);
        signal.addEventListener('abort', waiting.onAbort, { once: true });
      }
      queue.waiting.push(waiting);
      this.#queued++;
      this.#schedule();
    });
  }

  #drop(key: string, waiting: Waiting): void {
    const queue = this.#queues.get(key);
    const at = queue ? queue.waiting.indexOf(waiting) : -1;
    if (queue && at >= 0) {
      queue.waiting.splice(at, 1);
      this.#queued--;
      if (queue.waiting.length === 0) this.#queues.delete(key);
    }
    waiting.reject(waiting.signal?.reason);
  }

  /** Starts the oldest ready queue when no batch runs, else waits for the earliest deadline or the running batch. */
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running) return;
    const now = performance.now();
    let ready: string | undefined;
    let oldest = Infinity;
    let nextDeadline = Infinity;
    for (const [key, { waiting, options }] of this.#queues) {
      const images = waiting.reduce((sum, call) => sum + call.images.shape[0], 0);
      const deadline = waiting[0].arrived + options.maxQueueDelayMs;
      if (images >= options.maxBatchSize || deadline <= now + TIMER_SLACK_MS) {
        if (waiting[0].arrived < oldest) [ready, oldest] = [key, waiting[0].arrived];
      } else nextDeadline = Math.min(nextDeadline, deadline);
    }
    if (ready !== undefined) this.#start(ready);
    else if (nextDeadline < Infinity) this.#timer = setTimeout(() => this.#schedule(), Math.max(1, nextDeadline - now));
  }

  /** Runs the first calls of a queue, up to maxBatchSize images (at least one call), as one batch. */
  #start(key: string): void {
    const queue = this.#queues.get(key)!;
    const taken: Waiting[] = [];
    let images = 0;
    while (queue.waiting.length > 0) {
      const next = queue.waiting[0].images.shape[0];
      if (taken.length > 0 && images + next > queue.options.maxBatchSize) break;
      taken.push(queue.waiting.shift()!);
      images += next;
    }
    if (queue.waiting.length === 0) this.#queues.delete(key);
    this.#queued -= taken.length;
    this.#running = true;
    const joined = taken.length > 1 ? concatenate(taken.map((call) => call.images), this.#spare) : undefined;
    if (joined) this.#spare = undefined;
    const batch = joined?.batch ?? taken[0].images;
    new Promise<Tensor>((resolve) => resolve(queue.run(batch)))
      .then(
        (result) => deliver(taken, split(result, taken.map((call) => call.images.shape[0]))),
        (error: unknown) => taken.forEach((call) => call.reject(error)),
      )
      .finally(() => {
        for (const call of taken) if (call.onAbort) call.signal!.removeEventListener('abort', call.onAbort);
        if (joined) this.#spare = joined.buffer;
        this.#running = false;
        this.#schedule();
      });
  }
}
