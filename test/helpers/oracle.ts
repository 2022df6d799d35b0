// Runs a Python oracle script (python3-torch, the same libtorch) and decodes the tensors it prints.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import type { Tensor, TensorData, DType } from '../../lib/tensor.js';

export const PYTHON = '/usr/bin/python3';
const oracleDir = join(import.meta.dirname, '..', 'oracle');

interface Encoded {
  dtype: DType;
  shape: number[];
  b64: string;
}

const arrays: Record<DType, (buffer: ArrayBuffer) => TensorData> = {
  float32: (b) => new Float32Array(b),
  float64: (b) => new Float64Array(b),
  uint8: (b) => new Uint8Array(b),
  int32: (b) => new Int32Array(b),
  int64: (b) => new BigInt64Array(b),
};

export function decode(item: Encoded): Tensor {
  const bytes = Buffer.from(item.b64, 'base64');
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { data: arrays[item.dtype](copy), shape: item.shape, dtype: item.dtype };
}

export function encode(tensor: { data: TensorData; shape: readonly number[] }): Encoded {
  const dtype = ({ Float32Array: 'float32', Float64Array: 'float64', Uint8Array: 'uint8', Int32Array: 'int32', BigInt64Array: 'int64' } as const)[
    tensor.data.constructor.name as 'Float32Array'
  ];
  const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return { dtype, shape: [...tensor.shape], b64: bytes.toString('base64') };
}

/** Runs test/oracle/<script> with a JSON request on stdin and returns its parsed JSON output. */
export function runOracle<T>(script: string, request: unknown): T {
  const output = execFileSync(PYTHON, [join(oracleDir, script)], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: '2' },
  });
  return JSON.parse(output) as T;
}

export function maxAbsDifference(a: TensorData, b: TensorData): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(Number(a[i]) - Number(b[i])));
  return max;
}

export function maxAbs(a: TensorData): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(Number(a[i])));
  return max;
}

/** Plain numbers of any tensor data (int64 included), for comparisons. */
export function toNumbers(data: TensorData): number[] {
  return Array.from(data as ArrayLike<number | bigint>, Number);
}
