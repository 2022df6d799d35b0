// Dynamic batching for predict: concurrent calls with the same options and image size are coalesced into one
// native batch (up to maxBatch images, waiting at most maxDelayMs for more), and each caller gets its own slice.
import { sliceBatch, type Tensor, type TensorData, type TensorLike } from '../tensor.js';

export interface BatchingOptions {
  /** Most images in one coalesced batch. */
  maxBatch: number;
  /** Longest wait for more calls after the first one arrives, in milliseconds. */
  maxDelayMs: number;
}

interface Waiting {
  images: TensorLike;
  resolve: (result: Tensor) => void;
  reject: (error: unknown) => void;
}

/** Runs one coalesced batch natively. */
export type RunBatch = (images: TensorLike) => Promise<Tensor>;

interface Group {
  waiting: Waiting[];
  count: number;
  timer: NodeJS.Timeout;
  run: RunBatch;
}

function concatenate(parts: TensorLike[]): TensorLike {
  const [first] = parts;
  const Data = first.data.constructor as new (length: number) => TensorData;
  const data = new Data(parts.reduce((sum, part) => sum + part.data.length, 0));
  let offset = 0;
  for (const part of parts) {
    (data as Float32Array).set(part.data as Float32Array, offset);
    offset += part.data.length;
  }
  return { data, shape: [parts.reduce((sum, part) => sum + part.shape[0], 0), ...first.shape.slice(1)] };
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

export class PredictBatcher {
  readonly #groups = new Map<string, Group>();

  /**
   * `key` names what must be equal for calls to share a batch (the options, the image size and dtype); `run`
   * predicts one batch with those options.
   */
  predict(key: string, images: TensorLike, options: BatchingOptions, run: RunBatch): Promise<Tensor> {
    return new Promise<Tensor>((resolve, reject) => {
      let group = this.#groups.get(key);
      if (group && group.count + images.shape[0] > options.maxBatch) {
        this.#flush(key);
        group = undefined;
      }
      if (!group) {
        group = { waiting: [], count: 0, timer: setTimeout(() => this.#flush(key), options.maxDelayMs), run };
        this.#groups.set(key, group);
      }
      group.waiting.push({ images, resolve, reject });
      group.count += images.shape[0];
      if (group.count >= options.maxBatch) this.#flush(key);
    });
  }

  #flush(key: string): void {
    const group = this.#groups.get(key);
    if (!group) return;
    this.#groups.delete(key);
    clearTimeout(group.timer);
    const { waiting } = group;
    const batch = waiting.length === 1 ? waiting[0].images : concatenate(waiting.map((w) => w.images));
    group.run(batch).then(
      (result) => split(result, waiting.map((w) => w.images.shape[0])).forEach((part, i) => waiting[i].resolve(part)),
      (error: unknown) => waiting.forEach((w) => w.reject(error)),
    );
  }
}
