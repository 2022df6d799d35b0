import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { backendInfo, setThreads } from '../lib/index.js';
import { PYTHON } from './helpers/oracle.js';

describe('backendInfo', () => {
  it('reports the libtorch that python3-torch also uses, its BLAS and the threads', () => {
    const info = backendInfo();
    const pythonTorch = execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
    expect(pythonTorch.startsWith(info.torchVersion)).toBe(true);
    expect(info.blas).toMatch(/OpenBLAS|MKL|BLIS|reference BLAS|ATLAS/);
    expect(info.cuda).toBe(info.cudaDevices > 0);
  });

  it("reports the CPU's native bf16 instructions as the kernel lists them", () => {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
    const info = backendInfo();
    expect(info.cpuAmx).toBe(flags.includes('amx_bf16') && flags.includes('amx_tile'));
    expect(info.cpuBf16).toBe(info.cpuAmx || (flags.includes('avx512_bf16') && flags.includes('avx512f')));
  });

  it('uses every available core by default, and setThreads changes it', () => {
    expect(backendInfo().threads).toBe(availableParallelism());
    setThreads(1);
    expect(backendInfo().threads).toBe(1);
    setThreads(availableParallelism());
    expect(backendInfo().threads).toBe(availableParallelism());
    expect(() => setThreads(0)).toThrow(RangeError);
    expect(() => setThreads(1.5)).toThrow(TypeError);
  });
});

describe('torch-unet info', () => {
  it('prints backendInfo as JSON', () => {
    const cli = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
    const output = execFileSync(process.execPath, ['--import', 'tsx', cli, 'info', '--json'], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual(backendInfo());
  });

  it('exits with 2 and a readable line on wrong usage', () => {
    const cli = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', cli, 'infoo'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      ({ status, stderr } = error as { status: number; stderr: string });
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/unknown command 'infoo'/);
  });
});
