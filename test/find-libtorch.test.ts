// scripts/find-libtorch.js: the order of the four ways, what it reads from a libtorch folder, and its errors.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

interface Found {
  way: string;
  torchDir: string;
  includeDirs: string[];
  libDir: string;
  cxxflags: string;
  cuda: boolean;
  version: string;
  ldflags: string[];
  libraries: string[];
  defines: string[];
}
type FindLibtorch = (options?: { env?: Record<string, string>; python?: string; systemDirs?: string[]; systemIncludes?: string[] }) => Found;

const script: string = '../scripts/find-libtorch.js';
const { findLibtorch } = (await import(script)) as { findLibtorch: FindLibtorch };

/** A fake unzipped libtorch distribution: just the files the finder reads. */
function fakeLibtorch({ cuda = false, abi = 0 } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'libtorch-'));
  mkdirSync(join(root, 'share', 'cmake', 'Torch'), { recursive: true });
  writeFileSync(
    join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'),
    'get_filename_component(TORCH_INSTALL_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../../" ABSOLUTE)\n' +
      `set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${abi}")\n`,
  );
  mkdirSync(join(root, 'lib'));
  writeFileSync(join(root, 'lib', 'libtorch.so'), '');
  if (cuda) writeFileSync(join(root, 'lib', 'libtorch_cuda.so'), '');
  mkdirSync(join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch'), { recursive: true });
  writeFileSync(join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'), '#define TORCH_VERSION \\\n  "2.5.1"\n');
  return root;
}

describe('find-libtorch', () => {
  it('takes LIBTORCH first, with its ABI flag, rpath and version', () => {
    const root = fakeLibtorch();
    const found = findLibtorch({ env: { LIBTORCH: root, Torch_DIR: '/elsewhere' }, systemDirs: [] });
    expect(found).toMatchObject({ way: 'LIBTORCH', libDir: join(root, 'lib'), cxxflags: '-D_GLIBCXX_USE_CXX11_ABI=0', cuda: false, version: '2.5.1' });
    expect(found.includeDirs).toEqual([join(root, 'include'), join(root, 'include', 'torch', 'csrc', 'api', 'include')]);
    expect(found.ldflags).toEqual([`-L${join(root, 'lib')}`, `-Wl,-rpath,${join(root, 'lib')}`]);
    expect(found.libraries).toEqual(['-lc10', '-ltorch_cpu', '-ltorch']);
  });

  it('links torch_cuda with --no-as-needed for a CUDA build, and honours TORCH_CXX_FLAGS', () => {
    const root = fakeLibtorch({ cuda: true });
    const found = findLibtorch({ env: { LIBTORCH: root, TORCH_CXX_FLAGS: '-D_GLIBCXX_USE_CXX11_ABI=1' }, systemDirs: [] });
    expect(found.cuda).toBe(true);
    expect(found.cxxflags).toBe('-D_GLIBCXX_USE_CXX11_ABI=1');
    expect(found.libraries).toEqual(['-lc10', '-ltorch_cpu', '-ltorch', '-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed']);
  });

  it("defines c10d's backends whose headers are there: Gloo's (libgloo-dev), NCCL's on a CUDA build", () => {
    const root = fakeLibtorch({ cuda: true });
    const c10d = join(root, 'include', 'torch', 'csrc', 'distributed', 'c10d');
    mkdirSync(c10d, { recursive: true });
    writeFileSync(join(c10d, 'ProcessGroupGloo.hpp'), '');
    writeFileSync(join(c10d, 'ProcessGroupNCCL.hpp'), '');
    const system = join(root, 'system-include');
    const find = () => findLibtorch({ env: { LIBTORCH: root }, systemDirs: [], systemIncludes: [system] });
    expect(find().defines).toEqual([]); // c10d's headers, but neither Gloo's nor NCCL's
    mkdirSync(join(system, 'gloo'), { recursive: true });
    writeFileSync(join(system, 'gloo', 'config.h'), '');
    expect(find().defines).toEqual(['USE_C10D_GLOO']);
    writeFileSync(join(system, 'nccl.h'), '');
    expect(find().defines).toEqual(['USE_C10D_GLOO', 'USE_C10D_NCCL']);
  });

  it('takes Torch_DIR when LIBTORCH is not set', () => {
    const root = fakeLibtorch();
    const found = findLibtorch({ env: { Torch_DIR: join(root, 'share', 'cmake', 'Torch') }, systemDirs: [] });
    expect(found).toMatchObject({ way: 'Torch_DIR', libDir: join(root, 'lib') });
  });

  it('falls back to the system (here Debian libtorch-dev) when python3 has no torch', () => {
    const found = findLibtorch({ env: {}, python: '/nonexistent/python3' });
    expect(found.way).toBe('system');
    expect(found.version).toMatch(/^\d+\.\d+/);
  });

  it('refuses a LIBTORCH or Torch_DIR that does not hold libtorch, rather than build against another', () => {
    expect(() => findLibtorch({ env: { LIBTORCH: '/nonexistent' }, systemDirs: [] })).toThrow(
      'LIBTORCH=/nonexistent is set, but /nonexistent/share/cmake/Torch/TorchConfig.cmake does not exist',
    );
    expect(() => findLibtorch({ env: { Torch_DIR: '/nonexistent' }, systemDirs: [] })).toThrow('Torch_DIR=/nonexistent is set');
  });

  it('lists the four ways when it finds nothing', () => {
    const attempt = () => findLibtorch({ env: {}, python: '/nonexistent/python3', systemDirs: ['/nonexistent/cmake/Torch'] });
    expect(attempt).toThrow(/1\. LIBTORCH=.*\n.*2\. Torch_DIR=.*\n.*3\. the torch package of python3.*\n.*4\. the system/s);
    expect(attempt).toThrow('system: /nonexistent/cmake/Torch');
  });
});
