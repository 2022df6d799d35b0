// What libtorch runs on: version, CUDA devices, threads, BLAS, the CPU's bf16; and the precisions it computes in.
import { native } from '../binding/loader.js';

/**
 * The number format of the network. 'fp32' everywhere. 'bf16' is mixed precision: convolutions in bf16, weights,
 * optimiser state, losses and the logits returned in fp32; on the CPU it needs native bf16 (AVX512-BF16 or AMX,
 * see backendInfo().cpuBf16) and is refused without it. 'fp16': CUDA only, predict and forward only. 'auto':
 * bf16 on a CPU with native bf16, else fp32 (backendInfo().autoPrecision).
 */
export type Precision = 'fp32' | 'bf16' | 'fp16' | 'auto';

export interface BackendInfo {
  /** libtorch version, e.g. "1.13.0". */
  torchVersion: string;
  /** Whether this libtorch sees a CUDA device. */
  cuda: boolean;
  cudaDevices: number;
  /** libtorch's intra-op threads (default: OMP_NUM_THREADS when set, else the cores this process may use). */
  threads: number;
  /** The compute threads' nice value (Linux; 0 unless setComputeNice changed it or the process started niced). */
  nice: number;
  /** The BLAS library in use, e.g. "OpenBLAS (/usr/lib/.../libblas.so.3)". */
  blas: string;
  /** Whether the CPU computes bf16 dot products in hardware (AVX512-BF16 or AMX), with the OS's support. */
  cpuBf16: boolean;
  /** Whether it has AMX tiles with bf16 (Sapphire Rapids and later). */
  cpuAmx: boolean;
  /** What precision 'auto' picks on the CPU. */
  autoPrecision: 'bf16' | 'fp32';
}

export function backendInfo(): BackendInfo {
  return native.backendInfo();
}

/**
 * Sets libtorch's intra-op threads (1 to 1024) on the compute thread that runs all its work: at once when it is
 * idle, else right after the running operation, which keeps its threads.
 */
export function setThreads(threads: number): void {
  native.setThreads(threads);
}

/**
 * Sets the nice value (-20 to 19) of the compute thread and of libtorch's threads under it (Linux): at 10, say,
 * the event loop gets a core first when both want one, which keeps a busy server's loop delay down at no cost in
 * throughput when nothing else competes. Raising it is always allowed; lowering it needs CAP_SYS_NICE.
 */
export function setComputeNice(nice: number): void {
  native.setComputeNice(nice);
}
