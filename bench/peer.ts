// Shared by the benches: a persistent Python (PyTorch eager) peer that answers one JSON line per request, weight
// export for it, timing statistics and the environment printout.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { backendInfo, type StateDict, type UNetConfig } from '../lib/index.js';

/** The Debian python3 with torch 1.13 on the same libtorch; the `python3` on PATH lacks torch. */
export const PYTHON = '/usr/bin/python3';

export interface ImageBatch {
  data: Float32Array;
  shape: number[];
}

/** How a batch size is timed: warm-up runs, then rounds in which each side runs `runs` times. */
export interface BatchPlan {
  batch: number;
  warmup: number;
  rounds: number;
  /** Timed runs of each side a round. */
  runs: number;
}

export interface Stats {
  medianMs: number;
  p90Ms: number;
  imagesPerSecond: number;
}

/** A Python process that stays up between requests, so the two sides can take turns without start-up costs. */
export class PythonPeer {
  readonly #process;
  readonly #lines;

  constructor(script: string) {
    this.#process = spawn(PYTHON, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#lines = createInterface({ input: this.#process.stdout })[Symbol.asyncIterator]();
  }

  async ask<T>(request: unknown): Promise<T> {
    this.#process.stdin.write(`${JSON.stringify(request)}\n`);
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('the PyTorch side exited early (see its messages above)');
    return JSON.parse(value) as T;
  }

  close(): void {
    this.#process.stdin.end();
  }
}

export interface EagerSetup {
  /** Holds weights.bin, manifest.json and check_input.bin (exportState, then the check images' raw float32). */
  dir: string;
  config: UNetConfig;
  threads: number;
  /** Shape of check_input.bin; the peer writes its logits for it to check_logits_torch.bin. */
  checkShape: number[];
  height: number;
  width: number;
  /** Also export the network to this ONNX file (batch axis dynamic), for onnxruntime. */
  onnx?: string;
}

/** bench/forward_torch.py: test/reference/unet.py with the exported weights, timed in PyTorch eager on request. */
export class PyTorchEager extends PythonPeer {
  constructor() {
    super(join(import.meta.dirname, 'forward_torch.py'));
  }

  setup(request: EagerSetup) {
    return this.ask<{ torchVersion: string; threads: number }>(request);
  }

  async time(batch: number, warmup: number, runs: number): Promise<number[]> {
    return (await this.ask<{ ms: number[] }>({ batch, warmup, runs })).ms;
  }
}

/** The float32 logits the peer wrote to check_logits_torch.bin. */
export function peerCheckLogits(directory: string): Float32Array {
  const bytes = readFileSync(join(directory, 'check_logits_torch.bin'));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Writes every tensor's raw bytes back to back in weights.bin, with names, shapes and offsets in manifest.json. */
export function exportState(state: StateDict, directory: string): void {
  let offset = 0;
  const manifest = Object.entries(state).map(([name, { data, shape, dtype }]) => {
    const entry = { name, shape, dtype, offset };
    offset += data.byteLength;
    return entry;
  });
  const chunks = Object.values(state).map(({ data }) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(join(directory, 'weights.bin'), Buffer.concat(chunks));
  writeFileSync(join(directory, 'manifest.json'), JSON.stringify(manifest));
}

/** Uniform noise in [-1, 1): the timings do not depend on the values, only on the shape. */
export function randomImages(shape: number[]): ImageBatch {
  const count = shape.reduce((product, size) => product * size, 1);
  return { data: Float32Array.from({ length: count }, () => Math.random() * 2 - 1), shape };
}

function percentile(sorted: number[], fraction: number): number {
  // Nearest rank: the smallest sample with at least `fraction` of the samples at or below it.
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function timingStats(milliseconds: number[], batch: number): Stats {
  const sorted = [...milliseconds].sort((a, b) => a - b);
  const medianMs = median(sorted);
  return { medianMs, p90Ms: percentile(sorted, 0.9), imagesPerSecond: (batch * 1000) / medianMs };
}

/** Where the figures come from; pythonTorch only when a PyTorch peer ran. */
export function environment(pythonTorch?: string): Record<string, string | number> {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const { torchVersion: libtorch, blas, threads } = backendInfo();
  // Other work on the 2 cores skews the timings: a 1-minute load well above our threads means rerun.
  const loadAverage1m = loadavg()[0].toFixed(2);
  const peer: Record<string, string> = pythonTorch === undefined ? {} : { pythonTorch };
  return { libtorch, ...peer, blas, threads, cpuModel, node: process.version, loadAverage1m };
}
