// What libtorch runs on: version, CUDA devices, threads, BLAS.
import { native } from '../binding/loader.js';

export interface BackendInfo {
  /** libtorch version, e.g. "1.13.0". */
  torchVersion: string;
  /** Whether this libtorch sees a CUDA device. */
  cuda: boolean;
  cudaDevices: number;
  /** libtorch's intra-op threads (default: the cores this process may use). */
  threads: number;
  /** The BLAS library in use, e.g. "OpenBLAS (/usr/lib/.../libblas.so.3)". */
  blas: string;
  /** Whether the CPU computes bf16 dot products in hardware (AVX512-BF16 or AMX), with the OS's support. */
  cpuBf16: boolean;
  /** Whether it has AMX tiles with bf16 (Sapphire Rapids and later). */
  cpuAmx: boolean;
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
