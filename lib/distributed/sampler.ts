// Which images a rank trains on: PyTorch's DistributedSampler, index for index (native/core/distributed/sampler.h).
// fit uses it under a process group; a loop over batches that JS supplies can use it to shard its data the same way.
import { native } from '../binding/loader.js';
import { integer } from '../validate.js';

export interface SamplerOptions {
  rank: number;
  worldSize: number;
  /** Default true: a permutation drawn with seed + epoch. */
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
  /** Default false: pad by repetition to a multiple of worldSize; true cuts instead. */
  dropLast?: boolean;
}

/** The indices into `count` items that `options.rank` takes in `epoch` (every rank gets as many). */
export function distributedIndices(count: number, epoch: number, options: SamplerOptions): number[] {
  integer(1, 2 ** 40)(count, 'count');
  integer(0, 2 ** 40)(epoch, 'epoch');
  return native.distributedIndices(count, epoch, options);
}
