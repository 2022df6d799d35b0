// A group of training processes on PyTorch's c10d (native/core/distributed/process_group.h): joined from explicit
// options or from the environment torchrun sets, then given to fit as options.processGroup.
import type { NativeProcessGroup } from '../binding/contract.js';
import { native } from '../binding/loader.js';
import { checkTensor, type Tensor, type TensorLike } from '../tensor.js';
import { typeError } from '../validate.js';

export type DistributedBackend = 'gloo' | 'nccl';

export interface ProcessGroupOptions {
  /** This process's rank, 0 to worldSize - 1. Default: $RANK. */
  rank?: number;
  /** Processes in the group. Default: $WORLD_SIZE. */
  worldSize?: number;
  /** Where rank 0 (or torchrun's agent) hosts the rendezvous. Default: $MASTER_ADDR, else '127.0.0.1'. */
  masterAddr?: string;
  /** Default: $MASTER_PORT, else 29500. */
  masterPort?: number;
  /** 'gloo' (CPU) or 'nccl' (CUDA builds). Default 'gloo'. */
  backend?: DistributedBackend;
  /** Seconds the rendezvous and every collective may wait before failing. Default 300. */
  timeout?: number;
  /** The network interface Gloo uses, e.g. 'eth0'. Default: $GLOO_SOCKET_IFNAME, else the hostname's. */
  interface?: string;
}

/** The environment variables torchrun (and `torch-unet train --nproc-per-node`) give each worker. */
const ENVIRONMENT = {
  rank: 'RANK',
  worldSize: 'WORLD_SIZE',
  masterAddr: 'MASTER_ADDR',
  masterPort: 'MASTER_PORT',
  interface: 'GLOO_SOCKET_IFNAME',
} as const;
const NUMERIC = new Set(['rank', 'worldSize', 'masterPort']);

const groups = new WeakMap<ProcessGroup, NativeProcessGroup>();

/** One process's membership of a group; fit({ processGroup }) trains with the others, as DDP does. */
export class ProcessGroup {
  private constructor(nativeGroup: NativeProcessGroup) {
    groups.set(this, nativeGroup);
  }

  /**
   * Joins the group (torch.distributed.init_process_group with env:// semantics): resolves once all worldSize
   * processes have joined, rejects when the timeout passes first. Options left out come from the environment.
   */
  static async init(options: ProcessGroupOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<ProcessGroup> {
    if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
    const merged: Record<string, unknown> = { ...options };
    for (const [key, variable] of Object.entries(ENVIRONMENT)) {
      const text = env[variable];
      if (merged[key] !== undefined || text === undefined || text === '') continue;
      const value = NUMERIC.has(key) ? Number(text) : text;
      if (typeof value === 'number' && !Number.isInteger(value)) throw new TypeError(`$${variable}: expected an integer, got '${text}'`);
      merged[key] = value;
    }
    for (const key of ['rank', 'worldSize'] as const) {
      if (merged[key] === undefined) throw new TypeError(`options.${key}: not given and $${ENVIRONMENT[key]} is not set (torchrun sets it)`);
    }
    // Under torchrun its agent hosts the store; every rank connects to it.
    if (env.TORCHELASTIC_USE_AGENT_STORE === 'True') {
      merged.agentStore = true;
      merged.restartCount = Number(env.TORCHELASTIC_RESTART_COUNT ?? 0);
    }
    return new ProcessGroup(await native.initProcessGroup(merged));
  }

  get rank(): number {
    return nativeGroup(this).rank;
  }

  get worldSize(): number {
    return nativeGroup(this).worldSize;
  }

  get backend(): DistributedBackend {
    return nativeGroup(this).backend;
  }

  /** Resolves once every rank has called it. */
  barrier(): Promise<void> {
    return nativeGroup(this).barrier();
  }

  /** The element-wise sum over ranks of a tensor of the same shape on every rank (one dimension or more), as float32. */
  async allreduce(tensor: TensorLike): Promise<Tensor<Float32Array>> {
    const checked = checkTensor(tensor, 'tensor');
    if (checked.shape.length === 0) throw new RangeError('tensor: expected one dimension or more, got a 0-d tensor');
    return (await nativeGroup(this).allreduce(checked)) as Tensor<Float32Array>;
  }
}

/** The native group behind a ProcessGroup (fit hands it to the core); a TypeError naming `name` for anything else. */
export function nativeGroup(value: unknown, name = 'processGroup'): NativeProcessGroup {
  const found = value instanceof ProcessGroup ? groups.get(value) : undefined;
  if (!found) throw typeError(name, 'a ProcessGroup from ProcessGroup.init()', value);
  return found;
}

/** Whether this build can train across processes: null per backend it has, else what is missing and the fix. */
export function distributedSupport(): Record<DistributedBackend, string | null> {
  return native.distributedSupport();
}
